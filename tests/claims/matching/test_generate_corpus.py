from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from claims.models import Appearance, Attribution, Claim, ClaimLink, Review, ReviewTask, Source

pytestmark = pytest.mark.django_db


def _generate(n: int, seed: int) -> str:
    out = StringIO()
    call_command("generate_corpus", claims=n, seed=seed, batch=150, stdout=out, verbosity=0)
    return out.getvalue()


def test_it_generates_claims_with_sources_attributions_figures_and_review_work():
    report = _generate(800, seed=5)
    assert "800 claims" in report
    assert Claim.objects.count() == 800
    # About eight claims per source; a third of the claims appear in a second source.
    assert 60 <= Source.objects.count() <= 160
    appearances = Appearance.objects.count()
    assert 1.2 * 800 <= appearances <= 1.5 * 800
    per_claim = set(Claim.objects.annotate(n=Count("appearances")).values_list("n", flat=True))
    assert per_claim == {1, 2}
    # Every appearance's offsets point at its sentence in the source's text.
    for appearance in Appearance.objects.select_related("source").order_by("?")[:50]:
        text = appearance.source.text
        assert text[appearance.start : appearance.end] == appearance.sentence
    # Attributions on about half the appearances, figures on about a fifth of the claims.
    assert 0.4 * appearances <= Attribution.objects.count() <= 0.6 * appearances
    with_figures = Claim.objects.filter(appearances__figures__isnull=False).distinct().count()
    assert 0.1 * 800 <= with_figures <= 0.3 * 800
    statuses = dict(Claim.objects.values_list("status").annotate(n=Count("pk")))
    assert {"queued", "published", "dismissed", "duplicate", "triaged"} <= set(statuses)
    assert statuses["published"] <= 0.1 * 800
    # Published claims have a rated, published review with its ClaimReview; queued claims
    # and claims in review have an open task.
    published = Review.objects.filter(status="published")
    assert published.count() == statuses["published"]
    assert not published.filter(rating__isnull=True).exists()
    assert not published.filter(claimreview__isnull=True).exists()
    open_tasks = ReviewTask.objects.filter(state__in=["queued", "assigned"], kind="review")
    assert open_tasks.count() == statuses["queued"] + statuses.get("in_review", 0)


def test_duplicates_point_at_an_earlier_claim_with_a_confirmed_link():
    _generate(400, seed=6)
    for claim in Claim.objects.filter(status="duplicate")[:20]:
        assert claim.duplicate_of.first_seen_at <= claim.first_seen_at
        assert ClaimLink.objects.filter(
            from_claim=claim, to_claim=claim.duplicate_of, kind="duplicate"
        ).exists()


def test_the_same_seed_gives_the_same_claims():
    _generate(120, seed=9)
    _generate(120, seed=9)
    texts = list(Claim.objects.order_by("pk").values_list("text", flat=True))
    assert texts[:120] == texts[120:]


def test_generated_claims_can_be_matched_and_new_ones_get_fresh_ids():
    from claims.matching import similar_claims

    _generate(200, seed=3)
    claim = Claim.objects.exclude(status="duplicate").order_by("pk").first()
    assert similar_claims(text=claim.text)[0].claim_id == claim.pk
    # The sequences were moved past the copied ids.
    assert Claim.objects.create(text="A claim typed by hand.").pk > 200
