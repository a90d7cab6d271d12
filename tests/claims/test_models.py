"""Invariants enforced by the database: a violating row is refused whatever code writes it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from claims.models import (
    ActorAlias,
    Claim,
    ClaimLink,
    Figure,
    Rating,
    Review,
    ReviewTask,
    Source,
    normalize_url,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_the_same_url_cannot_be_stored_twice_even_written_differently():
    f.SourceFactory(url="https://Example.org/news/1/?utm_source=x#top")
    assert refused(lambda: f.SourceFactory(url="https://example.org/news/1"))


def test_sources_without_a_url_do_not_collide():
    f.SourceFactory(url="", text="one text")
    f.SourceFactory(url="", text="another text")
    assert Source.objects.filter(url="").count() == 2


def test_the_same_text_cannot_be_stored_twice():
    f.SourceFactory(text="Officials said 5 people died.")
    assert refused(lambda: f.SourceFactory(text="  officials said 5  people died. "))


def test_a_source_needs_a_url_or_text():
    assert refused(lambda: f.SourceFactory(url="", text=""))


def test_url_normalisation_keeps_what_identifies_the_page():
    assert normalize_url("HTTPS://WWW.Example.org:443/a/b/?b=2&a=1&fbclid=z#frag") == (
        "https://www.example.org/a/b?a=1&b=2"
    )


def test_an_alias_names_one_actor_only_whatever_its_case_and_accents():
    ActorAlias.objects.create(actor=f.ActorFactory(), alias="Assimi Goïta")
    assert refused(lambda: ActorAlias.objects.create(actor=f.ActorFactory(), alias="assimi goita"))


@pytest.mark.parametrize("score", [-0.01, 1.01])
def test_checkworthiness_outside_zero_to_one_is_refused(score):
    assert refused(lambda: f.ClaimFactory(checkworthiness=score))


def test_a_duplicate_must_name_the_claim_it_repeats():
    assert refused(lambda: f.ClaimFactory(status=Claim.Status.DUPLICATE))


def test_a_claim_cannot_duplicate_itself():
    claim = f.ClaimFactory()
    claim.duplicate_of_id = claim.pk
    assert refused(lambda: claim.save())


def test_appearance_offsets_must_be_ordered():
    assert refused(lambda: f.AppearanceFactory(start=10, end=10))


def test_attribution_spans_must_be_ordered():
    assert refused(lambda: f.AttributionFactory(cue_start=20, cue_end=5))


def test_an_attribution_cannot_be_its_own_parent():
    attribution = f.AttributionFactory()
    attribution.parent_id = attribution.pk
    assert refused(lambda: attribution.save())


@pytest.mark.parametrize(("lower", "value", "upper"), [(150, 140, None), (None, 140, 100)])
def test_a_figure_keeps_lower_le_value_le_upper(lower, value, upper):
    assert refused(lambda: f.FigureFactory(lower=lower, value=value, upper=upper))


def test_a_figure_range_is_accepted():
    fig = f.FigureFactory(lower=100, value=150, upper=200, qualifier=Figure.Qualifier.RANGE)
    assert fig.pk


def test_a_claim_cannot_link_to_itself():
    claim = f.ClaimFactory()
    assert refused(
        lambda: ClaimLink.objects.create(from_claim=claim, to_claim=claim, kind="similar")
    )


def test_a_review_cannot_be_approved_by_its_reviewer(reviewer):
    claim = f.ClaimFactory()
    assert refused(
        lambda: Review.objects.create(
            claim=claim, reviewer=reviewer, approver=reviewer, rating=f.rating()
        )
    )


def test_a_claim_has_at_most_one_published_review(reviewer, editor):
    claim = f.ClaimFactory()
    Review.objects.create(claim=claim, reviewer=reviewer, status="published", rating=f.rating())
    assert refused(
        lambda: Review.objects.create(
            claim=claim, reviewer=editor, status="published", rating=f.rating()
        )
    )


def test_a_submitted_review_must_carry_a_rating(reviewer):
    assert refused(
        lambda: Review.objects.create(claim=f.ClaimFactory(), reviewer=reviewer, status="submitted")
    )


def test_a_claim_has_at_most_one_open_task_of_each_kind():
    claim = f.ClaimFactory()
    ReviewTask.objects.create(claim=claim, kind="review")
    assert refused(lambda: ReviewTask.objects.create(claim=claim, kind="review"))
    ReviewTask.objects.create(claim=claim, kind="approval")


def test_an_assigned_task_names_its_assignee():
    assert refused(lambda: ReviewTask.objects.create(claim=f.ClaimFactory(), state="assigned"))


def test_the_default_rating_scale_maps_onto_claimreview():
    scale = {r.slug: (r.value, r.best, r.worst) for r in Rating.objects.all()}
    assert scale == {
        "false": (1, 5, 1),
        "mostly-false": (2, 5, 1),
        "mixed": (3, 5, 1),
        "mostly-true": (4, 5, 1),
        "true": (5, 5, 1),
        "unproven": (None, 5, 1),
    }


def test_a_rating_value_outside_its_scale_is_refused():
    assert refused(lambda: Rating.objects.create(slug="x", label="X", value=9, best=5, worst=1))


def test_history_is_kept_for_claims_attributions_figures_reviews_and_tasks():
    for model in (Claim, f.AttributionFactory._meta.model, Figure, Review, ReviewTask):
        assert hasattr(model, "history"), model


def test_url_normalisation_keeps_ipv6_literals_bracketed():
    assert normalize_url("http://[::1]:9/x/") == "http://[::1]:9/x"
