from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.errors import NotAllowed
from claims.matching import claim_link_decide, claim_match_and_link
from claims.models import Claim, ClaimLink
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.FACTCHECK_MATCH_DUPLICATE_THRESHOLD = 0.9
    settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD = 0.3


@pytest.fixture
def pair():
    original = f.ClaimFactory(
        text="Russian authorities said the Crocus City Hall attack killed 140.",
        first_seen_at=timezone.now() - timedelta(days=2),
    )
    new = f.ClaimFactory(text="The Crocus City Hall attack killed 140 people, officials said")
    return original, new


def _suggested(new):
    claim_match_and_link(claim=new)
    return ClaimLink.objects.get(from_claim=new, status=ClaimLink.Status.SUGGESTED)


def test_a_reviewer_confirms_a_suggested_link(pair, reviewer):
    _, new = pair
    link = claim_link_decide(link=_suggested(new), by=reviewer, confirm=True)
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.CONFIRMED
    assert link.decided_by == reviewer


def test_a_rejected_link_is_recorded_and_never_suggested_again(pair, reviewer):
    original, new = pair
    link = claim_link_decide(link=_suggested(new), by=reviewer, confirm=False)
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.REJECTED
    assert link.decided_by == reviewer
    assert claim_match_and_link(claim=new) == []
    # Nor the other way round, when the earlier claim is matched again.
    assert new.pk not in [lk.to_claim_id for lk in claim_match_and_link(claim=original)]


def test_someone_without_a_reviewer_role_cannot_decide(pair, outsider):
    _, new = pair
    with pytest.raises(NotAllowed):
        claim_link_decide(link=_suggested(new), by=outsider, confirm=True)


def test_an_editor_rejecting_an_automatic_duplicate_reopens_the_claim(editor):
    original = f.ClaimFactory(
        text="The army withdrew 1,000 troops from the border.",
        first_seen_at=timezone.now() - timedelta(days=2),
    )
    new = f.ClaimFactory(text="The army withdrew 1,000 troops from the border")
    [link] = claim_match_and_link(claim=new)
    new.refresh_from_db()
    assert new.status == Claim.Status.DUPLICATE
    claim_link_decide(link=link, by=editor, confirm=False)
    new.refresh_from_db()
    link.refresh_from_db()
    assert new.status == Claim.Status.TRIAGED
    assert new.duplicate_of is None
    assert link.status == ClaimLink.Status.REJECTED
    assert claim_match_and_link(claim=new) == []
    assert original.pk


def test_a_reviewer_cannot_undo_a_duplicate(reviewer):
    f.ClaimFactory(
        text="The army withdrew 1,000 troops from the border.",
        first_seen_at=timezone.now() - timedelta(days=2),
    )
    new = f.ClaimFactory(text="The army withdrew 1,000 troops from the border")
    [link] = claim_match_and_link(claim=new)
    with pytest.raises(NotAllowed):
        claim_link_decide(link=link, by=reviewer, confirm=False)


def test_confirming_a_suggested_duplicate_link_makes_the_claim_a_duplicate(pair, editor):
    original, new = pair
    link = ClaimLink.objects.create(
        from_claim=new, to_claim=original, kind=ClaimLink.Kind.DUPLICATE, score=0.8
    )
    claim_link_decide(link=link, by=editor, confirm=True)
    new.refresh_from_db()
    link.refresh_from_db()
    assert new.status == Claim.Status.DUPLICATE
    assert new.duplicate_of_id == original.pk
    assert link.status == ClaimLink.Status.CONFIRMED
    assert link.decided_by == editor
