from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.errors import ApplicationError
from claims.matching import similar_claims
from tests import factories as f

pytestmark = pytest.mark.django_db

BACKGROUND = [
    "The central bank raised interest rates by half a point on Thursday.",
    "Flooding in the northern province displaced 3,000 families, the governor said.",
    "The opposition leader said the election was rigged in three districts.",
    "Unemployment fell to 4 percent in March, according to the statistics office.",
    "The health ministry reported 120 new measles cases in the capital.",
    "Wildfires destroyed 200 homes near the coast over the weekend.",
]


@pytest.fixture
def corpus():
    return [f.ClaimFactory(text=text) for text in BACKGROUND]


def _ids(matches):
    return [m.claim_id for m in matches]


def test_a_paraphrase_is_found_first(corpus):
    original = f.ClaimFactory(
        text="Russian authorities said the attack on Crocus City Hall killed over 140 people."
    )
    found = similar_claims(
        text="Over 140 people were killed in the Crocus City Hall attack, "
        "according to the Russian authorities"
    )
    assert found[0].claim_id == original.pk
    assert found[0].relation in {"similar", "duplicate"}
    assert "crocus" in found[0].reasons["shared_terms"]
    assert found[0].reasons["matched_figures"] == ["140"]


def test_the_same_text_is_a_duplicate_scoring_near_one(corpus):
    original = f.ClaimFactory(text="The army withdrew 1,000 troops from the border region.")
    best = similar_claims(text="The army withdrew 1,000 troops from the border region.")[0]
    assert best.claim_id == original.pk
    assert best.score > 0.95
    assert best.relation == "duplicate"


def test_a_changed_number_is_a_variant_not_a_duplicate(corpus):
    original = f.ClaimFactory(text="The attack killed 140 people, Russian authorities said.")
    best = similar_claims(text="The attack killed 14 people, Russian authorities said.")[0]
    assert best.claim_id == original.pk
    assert best.relation == "variant"
    assert best.reasons["mismatched_figures"] == ["14", "140"]


def test_a_negated_claim_contradicts_rather_than_duplicates(corpus):
    original = f.ClaimFactory(text="The minister did sign the agreement with Mali.")
    best = similar_claims(text="The minister did not sign the agreement with Mali.")[0]
    assert best.claim_id == original.pk
    assert best.relation == "contradicts"
    assert best.reasons["negation_mismatch"] is True


def test_matching_a_claim_never_returns_the_claim_itself(corpus):
    claim = corpus[0]
    twin = f.ClaimFactory(text=claim.text + " ")
    found = similar_claims(claim=claim)
    assert claim.pk not in _ids(found)
    assert found[0].claim_id == twin.pk


def test_since_limits_matching_to_recent_claims(corpus):
    old = f.ClaimFactory(
        text="Protesters blocked the port of Odesa for two days.",
        first_seen_at=timezone.now() - timedelta(days=90),
    )
    text = "Protesters blocked the port of Odesa for two days."
    assert old.pk in _ids(similar_claims(text=text))
    recent_only = similar_claims(text=text, since=timezone.now() - timedelta(days=7))
    assert old.pk not in _ids(recent_only)


def test_excluded_claims_and_duplicates_are_left_out(corpus):
    first = f.ClaimFactory(text="Drone strikes hit the Kharkiv power station overnight.")
    copy = f.ClaimFactory(
        text="Drone strikes hit the Kharkiv power station overnight!",
        status="duplicate",
        duplicate_of=first,
    )
    found = _ids(similar_claims(text="Drone strikes hit the Kharkiv power station overnight"))
    assert first.pk in found
    assert copy.pk not in found
    assert first.pk not in _ids(
        similar_claims(text="Drone strikes hit Kharkiv power station", exclude_ids=[first.pk])
    )


def test_scores_are_between_zero_and_one_and_sorted(corpus):
    found = similar_claims(text="The bank raised rates and unemployment fell", limit=5)
    scores = [m.score for m in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(found) <= 5


def test_a_text_with_no_words_in_common_finds_nothing_close(corpus):
    found = similar_claims(text="Quantum chromodynamics lattice gauge theory", min_score=0.5)
    assert found == []


def test_it_wants_exactly_one_of_text_and_claim(corpus):
    with pytest.raises(ApplicationError):
        similar_claims()
    with pytest.raises(ApplicationError):
        similar_claims(text="x", claim=corpus[0])


def test_shared_actors_and_changed_structured_figures_are_reasons():
    actor = f.ActorFactory(name="Russian authorities")
    a = f.AttributionFactory(
        actor=actor, appearance__claim__text="The attack killed over 140 people."
    )
    b = f.AttributionFactory(
        actor=actor, appearance__claim__text="The attack killed over 140 people, officials say."
    )
    f.FigureFactory(appearance=a.appearance, metric="killed", value=140)
    f.FigureFactory(appearance=b.appearance, metric="killed", value=137, lower=137)
    best = similar_claims(claim=b.appearance.claim)[0]
    assert best.claim_id == a.appearance.claim_id
    assert best.reasons["shared_actor_ids"] == [actor.pk]
    assert best.reasons["changed_metrics"] == ["killed"]
    assert best.relation == "variant"
