"""The extractor on PolNeAR dev (external data beside the repo; skipped when absent).

Thresholds: attribution F1 >= 0.65 with cue-overlap matching; on found pairs, character
overlap F1 of sources and of contents >= 0.60. The rules were tuned on train only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.extraction.evaluation import AttributionScores, evaluate_attributions

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
DEV = DATA / "polnear" / "dev"

pytestmark = pytest.mark.skipif(
    not (DEV / "text").is_dir(), reason=f"PolNeAR dev not found at {DEV}"
)


@pytest.fixture(scope="module")
def scores() -> AttributionScores:
    return evaluate_attributions(DEV)


def test_it_finds_attributions_on_polnear_dev_with_f1_of_at_least_065(scores):
    assert scores["documents"] == 84
    assert scores["attribution"]["f1"] >= 0.65, scores["attribution"]


def test_it_finds_the_source_of_found_attributions_with_f1_of_at_least_060(scores):
    assert scores["source"]["f1"] >= 0.60, scores["source"]


def test_it_finds_the_content_of_found_attributions_with_f1_of_at_least_060(scores):
    assert scores["content"]["f1"] >= 0.60, scores["content"]
