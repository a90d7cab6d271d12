"""The attribution and check-worthiness scorers, on tiny synthetic data."""

from __future__ import annotations

import pytest

from claims.extraction.evaluation import (
    GoldAttribution,
    evaluate_attributions,
    evaluate_checkworthiness,
    load_brat_dir,
    parse_ann,
)

TEXT = "The Post reports that Clinton fell ill. Sources said she recovered."
#       0         1         2         3         4         5         6
#       0123456789012345678901234567890123456789012345678901234567890123456
ANN_A = """T1\tSource 0 8\tThe Post
T2\tCue 9 16\treports
T3\tContent 17 38\tthat Clinton fell ill
T4\tAttribution 9 16\treports
E1\tAttribution:T4 Content:T3 Cue:T2 Source:T1
T5\tSource 40 47\tSources
T6\tCue 48 52\tsaid
T7\tContent 53 56;57 66\tshe recovered
E2\tAttribution:T5 Cue:T6 Source:T5 Content:T7
#1\tAnnotatorNotes T1\ta note
"""


@pytest.fixture
def brat_dir(tmp_path):
    (tmp_path / "text").mkdir()
    (tmp_path / "attributions").mkdir()
    (tmp_path / "text" / "doc.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "attributions" / "doc_bbbb.ann").write_text(ANN_A, encoding="utf-8")
    # A second annotator whose file must be ignored: metadata lists bbbb first.
    (tmp_path / "attributions" / "doc_aaaa.ann").write_text("", encoding="utf-8")
    (tmp_path / "metadata.tsv").write_text(
        "compartment\tfilename\tannotators\nx\tdoc\tbbbb|aaaa\n", encoding="utf-8"
    )
    return tmp_path


def test_it_parses_discontinuous_spans_and_ties_roles_by_event():
    attributions = parse_ann(ANN_A)
    assert len(attributions) == 2
    assert attributions[1].content == ((53, 56), (57, 66))
    assert attributions[0].source == ((0, 8),)


def test_it_uses_the_first_listed_annotator_that_has_a_file(brat_dir):
    (document,) = load_brat_dir(brat_dir)
    assert document.annotator == "bbbb"
    assert len(document.attributions) == 2


def test_it_falls_back_to_the_first_file_without_metadata(brat_dir):
    (brat_dir / "metadata.tsv").unlink()
    (document,) = load_brat_dir(brat_dir)
    assert document.annotator == "aaaa"
    assert document.attributions == []


def test_a_perfect_prediction_scores_one_everywhere(brat_dir):
    gold = load_brat_dir(brat_dir)[0].attributions
    result = evaluate_attributions(brat_dir, predict=lambda text: gold)
    for role in ("attribution", "cue", "source", "content"):
        assert result[role] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}, role


def test_a_prediction_is_found_when_its_cue_overlaps_a_gold_cue(brat_dir):
    predicted = [
        # cue overlaps "reports"; source half right; content exact.
        GoldAttribution(cue=((12, 20),), source=((4, 8),), content=((17, 38),)),
        # cue overlaps nothing: a false positive.
        GoldAttribution(cue=((22, 29),), source=(), content=((30, 38),)),
    ]
    result = evaluate_attributions(brat_dir, predict=lambda text: predicted)
    assert result["found"] == 1
    assert result["attribution"]["precision"] == 0.5
    assert result["attribution"]["recall"] == 0.5
    assert result["source"]["precision"] == 1.0
    assert result["source"]["recall"] == 0.5
    assert result["content"]["f1"] == 1.0


def test_matching_is_one_to_one(brat_dir):
    twice = [GoldAttribution(cue=((9, 16),), source=(), content=())] * 2
    result = evaluate_attributions(brat_dir, predict=lambda text: twice)
    assert result["found"] == 1
    assert result["attribution"]["precision"] == 0.5


def test_the_default_predictor_is_the_extractor(brat_dir):
    result = evaluate_attributions(brat_dir)
    assert result["documents"] == 1
    assert result["found"] >= 1


def test_it_scores_checkworthiness_at_a_threshold(tmp_path):
    tsv = tmp_path / "dev.tsv"
    tsv.write_text(
        "Sentence_id\tText\tclass_label\n"
        "1\t140 people were killed.\tYes\n"
        "2\tI love this country.\tNo\n"
        "3\tUnemployment fell to 4 percent.\tYes\n"
        "4\tThank you all.\tNo\n",
        encoding="utf-8",
    )

    def scorer(text: str) -> tuple[float, list[str]]:
        return (0.9 if "killed" in text or "love" in text else 0.1), []

    result = evaluate_checkworthiness(tsv, scorer, threshold=0.5)
    assert result["precision"] == 0.5
    assert result["recall"] == 0.5
    assert result["f1"] == 0.5
    assert result["sentences"] == 4
    everything = evaluate_checkworthiness(tsv, lambda text: 1.0, threshold=0.5)
    assert everything["recall"] == 1.0
