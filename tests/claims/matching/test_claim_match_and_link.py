from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.matching import claim_match_and_link
from claims.models import Claim, ClaimLink
from tests import factories as f

pytestmark = pytest.mark.django_db

EARLIER = timezone.now() - timedelta(days=3)


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.FACTCHECK_MATCH_DUPLICATE_THRESHOLD = 0.9
    settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD = 0.3


@pytest.fixture
def background():
    for text in [
        "The central bank raised interest rates by half a point on Thursday.",
        "Unemployment fell to 4 percent in March, according to the statistics office.",
        "Wildfires destroyed 200 homes near the coast over the weekend.",
    ]:
        f.ClaimFactory(text=text, first_seen_at=EARLIER)


def _earlier(text):
    return f.ClaimFactory(text=text, first_seen_at=EARLIER)


def test_a_repeated_claim_becomes_a_duplicate_of_the_earlier_one(background):
    original = _earlier("Russian authorities said the attack killed over 140 people.")
    new = f.ClaimFactory(text="Russian authorities said the attack killed over 140 people")
    links = claim_match_and_link(claim=new)
    new.refresh_from_db()
    assert new.status == Claim.Status.DUPLICATE
    assert new.duplicate_of_id == original.pk
    assert [(link.kind, link.to_claim_id) for link in links] == [("duplicate", original.pk)]
    assert links[0].created_by_job == "matching"
    assert links[0].score >= 0.9


def test_a_reworded_claim_gets_a_suggested_similar_link(background):
    original = _earlier("Russian authorities said the attack on Crocus City Hall killed 140.")
    new = f.ClaimFactory(
        text="The Crocus City Hall attack killed 140 people, according to Russian officials"
    )
    links = claim_match_and_link(claim=new)
    new.refresh_from_db()
    assert new.status == Claim.Status.NEW
    link = next(link for link in links if link.to_claim_id == original.pk)
    assert link.kind == ClaimLink.Kind.SIMILAR
    assert link.status == ClaimLink.Status.SUGGESTED
    assert "crocus" in link.reason["shared_terms"]


def test_a_changed_toll_is_linked_as_a_variant_never_a_duplicate(background):
    original = _earlier("The attack killed 140 people, Russian authorities said.")
    new = f.ClaimFactory(text="The attack killed 14 people, Russian authorities said.")
    links = claim_match_and_link(claim=new)
    new.refresh_from_db()
    assert new.status == Claim.Status.NEW
    assert (links[0].kind, links[0].to_claim_id) == ("variant", original.pk)
    assert links[0].reason["mismatched_figures"] == ["14", "140"]


def test_a_negated_claim_is_linked_as_contradicting(background):
    original = _earlier("The minister did sign the agreement with Mali.")
    new = f.ClaimFactory(text="The minister did not sign the agreement with Mali.")
    links = claim_match_and_link(claim=new)
    new.refresh_from_db()
    assert new.status == Claim.Status.NEW
    assert (links[0].kind, links[0].to_claim_id) == ("contradicts", original.pk)


def test_a_pair_a_reviewer_rejected_is_not_suggested_again(background, reviewer):
    original = _earlier("Drone strikes hit the Kharkiv power station overnight.")
    new = f.ClaimFactory(text="Drone strikes hit the Kharkiv power station overnight.")
    # Rejected the other way round: still the same pair.
    ClaimLink.objects.create(
        from_claim=original,
        to_claim=new,
        kind=ClaimLink.Kind.SIMILAR,
        status=ClaimLink.Status.REJECTED,
        decided_by=reviewer,
    )
    links = claim_match_and_link(claim=new)
    new.refresh_from_db()
    assert original.pk not in [link.to_claim_id for link in links]
    assert new.status == Claim.Status.NEW


def test_running_it_twice_creates_no_second_link(background):
    _earlier("Protesters blocked the port of Odesa for two days.")
    new = f.ClaimFactory(text="Protesters blocked Odesa port for two days, police say.")
    first = claim_match_and_link(claim=new)
    assert first
    assert claim_match_and_link(claim=new) == []
    assert ClaimLink.objects.filter(from_claim=new).count() == len(first)


def test_a_claim_never_becomes_the_duplicate_of_a_later_one(background):
    later = f.ClaimFactory(
        text="Floods displaced 3,000 families in the north.",
        first_seen_at=timezone.now() + timedelta(days=1),
    )
    new = f.ClaimFactory(text="Floods displaced 3,000 families in the north.")
    links = claim_match_and_link(claim=new)
    new.refresh_from_db()
    assert new.status == Claim.Status.NEW
    assert [(link.kind, link.to_claim_id) for link in links] == [("similar", later.pk)]


def test_nothing_below_the_suggestion_threshold_is_linked(background, settings):
    settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD = 0.99
    _earlier("Protesters blocked the port of Odesa for two days.")
    new = f.ClaimFactory(text="Police cleared protesters from the Odesa port.")
    assert claim_match_and_link(claim=new) == []
