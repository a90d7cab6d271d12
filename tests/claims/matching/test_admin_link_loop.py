"""The admin loop: the claim page suggests similar claims with their verdicts, a reviewer
confirms or rejects each one there, and a rejected pair is not suggested again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.matching import claim_match_and_link
from claims.models import ClaimLink, Review
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.FACTCHECK_MATCH_DUPLICATE_THRESHOLD = 0.99
    settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD = 0.3


@pytest.fixture
def suggested(reviewer, editor):
    earlier = f.ClaimFactory(
        text="Russian authorities said the Crocus City Hall attack killed 140 people.",
        first_seen_at=timezone.now() - timedelta(days=3),
        status="published",
    )
    Review.objects.create(
        claim=earlier,
        reviewer=reviewer,
        approver=editor,
        rating=f.rating("false"),
        status="published",
        published_at=timezone.now(),
    )
    new = f.ClaimFactory(text="The Crocus City Hall attack killed 140 people, officials said.")
    claim_match_and_link(claim=new)
    link = ClaimLink.objects.get(from_claim=new, to_claim=earlier)
    assert link.status == ClaimLink.Status.SUGGESTED
    return new, earlier, link


def _act(client, claim, link, action):
    return client.post(
        reverse("admin:claims_claim_act", args=[claim.pk]),
        {"action": action, "link": link.pk, "version": claim.version},
    )


def test_the_claim_page_lists_the_suggestion_with_the_earlier_verdict(client, reviewer, suggested):
    new, earlier, link = suggested
    client.force_login(reviewer)
    page = client.get(reverse("admin:claims_claim_change", args=[new.pk])).content.decode()
    assert "Similar and linked claims" in page
    assert f'name="link" value="{link.pk}"' in page
    assert reverse("admin:claims_claim_change", args=[earlier.pk]) in page
    assert "False" in page  # the earlier claim's published verdict
    assert 'value="link_confirm"' in page
    assert 'value="link_reject"' in page


def test_a_reviewer_confirms_a_suggestion_from_the_claim_page(client, reviewer, suggested):
    new, _, link = suggested
    client.force_login(reviewer)
    assert _act(client, new, link, "link_confirm").status_code == 302
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.CONFIRMED
    assert link.decided_by == reviewer


def test_a_suggestion_rejected_on_the_claim_page_is_not_suggested_again(
    client, reviewer, suggested
):
    new, earlier, link = suggested
    client.force_login(reviewer)
    assert _act(client, new, link, "link_reject").status_code == 302
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.REJECTED
    assert link.decided_by == reviewer
    # Matching again, even the other way round, suggests nothing between the two.
    assert claim_match_and_link(claim=new) == []
    assert claim_match_and_link(claim=earlier) == []
    assert ClaimLink.objects.filter(status=ClaimLink.Status.SUGGESTED).count() == 0
    page = client.get(reverse("admin:claims_claim_change", args=[new.pk])).content.decode()
    assert 'value="link_reject"' not in page
