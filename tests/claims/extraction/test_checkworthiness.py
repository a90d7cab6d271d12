"""The sentence check-worthiness scorer (claims.extraction.checkworthiness)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.extraction import checkworthiness as cw

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "checkthat2024-task1-en"

FACTUAL = [
    "Unemployment fell to 3.5 percent in 2019, the lowest rate since 1969.",
    "The city spent $4.2 million on the new bridge last year.",
    "Crime rose by 12% in the first half of the year, according to police figures.",
]
CHATTER = [
    "Thank you so much, it's great to be here tonight.",
    "I think we all want what's best for our children.",
    "Well, let me tell you something.",
]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_scores_are_probabilities_with_string_reasons_for_any_text(text: str) -> None:
    p, reasons = cw.score(text)
    assert 0.0 <= p <= 1.0
    assert all(isinstance(r, str) and r for r in reasons)
    assert len(reasons) <= 3
    assert cw.probability(text) == pytest.approx(p, abs=1e-9)
    assert cw.is_checkworthy(text) == (p >= cw.THRESHOLD)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "...", "\x00", "\ud800", "🙂🙂", "_"])
def test_empty_or_wordless_text_scores_zero_without_raising(text: str) -> None:
    p, reasons = cw.score(text)
    assert p == 0.0
    assert reasons == ["has no words"]
    assert cw.is_checkworthy(text) is False


def test_very_long_text_is_scored_quickly_and_safely() -> None:
    p, _ = cw.score("The deficit grew by 4 percent. " * 10_000)
    assert 0.0 <= p <= 1.0


@pytest.mark.parametrize("factual", FACTUAL)
@pytest.mark.parametrize("chatter", CHATTER)
def test_a_factual_numeric_sentence_outscores_opinion_or_small_talk(
    factual: str, chatter: str
) -> None:
    assert cw.score(factual)[0] > cw.score(chatter)[0]


@pytest.mark.parametrize("factual", FACTUAL)
def test_factual_numeric_sentences_are_checkworthy_with_reasons(factual: str) -> None:
    p, reasons = cw.score(factual)
    assert p >= cw.THRESHOLD
    assert cw.is_checkworthy(factual)
    assert reasons
    assert not any(r.startswith("against:") for r in reasons)


@pytest.mark.parametrize("chatter", CHATTER)
def test_small_talk_is_not_checkworthy_and_reasons_say_why_not(chatter: str) -> None:
    p, reasons = cw.score(chatter)
    assert p < cw.THRESHOLD
    assert not cw.is_checkworthy(chatter)
    assert all(r.startswith("against:") for r in reasons)


def test_numbers_percentages_and_money_are_recognised_as_cues() -> None:
    feats = cw.features("Taxes rose 20% to $3.5 billion in 2019, he said.")
    for cue in ("c:number", "c:percent", "c:money", "c:year", "c:magnitude", "c:reporting"):
        assert cue in feats


def test_first_person_opinion_is_recognised_as_a_cue() -> None:
    assert "c:opinion" in cw.features("I think this is wrong.")


def test_the_threshold_constant_matches_the_shipped_model() -> None:
    with gzip.open(cw.MODEL_PATH, "rt", encoding="utf-8") as fh:
        raw = json.load(fh)
    assert raw["threshold"] == pytest.approx(cw.THRESHOLD)
    assert cw.load_model().threshold == pytest.approx(cw.THRESHOLD)


def test_the_shipped_model_file_is_small() -> None:
    assert cw.MODEL_PATH.stat().st_size < 3 * 1024 * 1024


def _read_split(path: Path) -> list[tuple[str, bool]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        return [(rec[1], rec[2].strip() == "Yes") for rec in reader if len(rec) == 3]


@pytest.mark.skipif(
    not (DATA_DIR / "dev-test.tsv").is_file(),
    reason=f"CheckThat! 2024 data not found at {DATA_DIR}",
)
def test_f1_of_yes_on_the_dev_test_split_is_at_least_075() -> None:
    rows = _read_split(DATA_DIR / "dev-test.tsv")
    assert len(rows) == 318
    tp = fp = fn = 0
    for text, gold in rows:
        pred = cw.is_checkworthy(text)
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.75, f"F1(Yes) on dev-test = {f1:.4f}"
