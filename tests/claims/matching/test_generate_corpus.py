from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from claims.models import Appearance, Attribution, Claim, ClaimLink, Figure, ReviewTask, Source

pytestmark = pytest.mark.django_db


def _generate(n: int, seed: int) -> str:
    out = StringIO()
    call_command("generate_corpus", claims=n, seed=seed, batch=150, stdout=out, verbosity=0)
    return out.getvalue()


def test_it_generates_claims_with_sources_attributions_figures_and_review_work():
    report = _generate(400, seed=5)
    assert "400 claims" in report
    assert Claim.objects.count() == 400
    assert Appearance.objects.count() == 400
    assert Source.objects.count() > 50
    assert Attribution.objects.count() > 250
    assert Figure.objects.exists()
    assert ReviewTask.objects.exists()
    statuses = dict(Claim.objects.values_list("status").annotate(n=Count("pk")))
    assert {"queued", "published", "dismissed", "duplicate"} <= set(statuses)


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
