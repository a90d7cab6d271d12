"""Properties that hold for any input: extract never raises and every span is honest."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.extraction import Extraction, Span, extract

SEED = (Path(__file__).resolve().parents[3] / "seeds" / "russia-mali-talks.txt").read_text(
    encoding="utf-8"
)

# Pieces that drive the extractor down its interesting paths.
NEWSY = st.sampled_from(
    [
        "said", "says", " said ", "according to", "According to", "told", "claims", "wrote on X",
        '"', "“", "”", "''", "'", ",", ".", "?", "!", ":", "\n", "\n\n", " ", "  ", "—", "(", ")",
        "Putin", "President", "Mr.", "U.S.", "he", "they", "the statement", "Mali, Niger and Chad",
        "over", "some", "between", "and", "more", "1,000", "140", "2.5", "two hundred", "a dozen",
        "thousands", "killed", "injured", "troops", "people", "%", "$", "percent", "Comment:",
        "I think", "é", "ß", "İ", "\u0300", "\u200b", "\r\n", "\t", "😀", "٣", "Ⅻ", "ﬁ",
    ]
)  # fmt: skip
NEWSY_TEXT = st.lists(st.one_of(NEWSY, st.text(max_size=8)), max_size=80).map("".join)


def all_spans(result: Extraction) -> list[tuple[str, Span]]:
    spans: list[tuple[str, Span]] = []
    for s in result.sentences:
        spans.append(("sentence", Span(s.start, s.end, s.text)))
    for a in result.attributions:
        for role in ("cue", "source", "content"):
            span = getattr(a, role)
            if span is not None:
                spans.append((f"attribution.{role}", span))
    for f in result.figures:
        spans.append(("figure", Span(f.start, f.end, f.text)))
    for actor in result.actors:
        spans.extend(("actor.mention", m) for m in actor.mentions)
    for c in result.claims:
        spans.append(("claim", Span(c.start, c.end, c.text)))
    return spans


def check(text: str) -> Extraction:
    result = extract(text)
    for what, span in all_spans(result):
        assert 0 <= span.start < span.end <= len(text), (what, span)
        assert text[span.start : span.end] == span.text, (what, span)
    n_attributions, n_figures = len(result.attributions), len(result.figures)
    for a in result.attributions:
        assert a.actor is None or 0 <= a.actor < len(result.actors)
        assert a.parent is None or 0 <= a.parent < n_attributions
        assert 0 <= a.sentence < len(result.sentences)
    for c in result.claims:
        assert all(0 <= i < n_attributions for i in c.attributions)
        assert all(0 <= i < n_figures for i in c.figures)
        assert 0.0 <= c.checkworthiness <= 1.0
    for s in result.sentences:
        assert 0.0 <= s.checkworthiness <= 1.0
        assert s.kind in {"claim", "opinion", "question", "other"}
    json.dumps(dataclasses.asdict(result))
    return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_extract_never_raises_and_spans_are_honest_on_arbitrary_unicode(text):
    check(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NEWSY_TEXT)
def test_extract_never_raises_and_spans_are_honest_on_news_like_noise(text):
    check(text)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(SEED)), st.integers(0, len(SEED)), st.text(max_size=20))
def test_spans_stay_honest_when_the_seed_article_is_cut_and_spliced(cut, other, noise):
    check(SEED[:cut] + noise + SEED[other:])


def test_empty_and_blank_text_give_an_empty_extraction():
    for text in ("", " ", "\n\n\t"):
        result = check(text)
        assert result.sentences == result.attributions == result.claims == []


def test_a_megabyte_of_text_is_processed_in_bounded_time():
    noise = "“Unclosed quote said according to '' 1,000 between and (( Mr. "
    text = (SEED + noise) * ((1 << 20) // (len(SEED) + len(noise)) + 1)
    text = text[: 1 << 20]
    started = time.perf_counter()
    result = check(text)
    elapsed = time.perf_counter() - started
    assert result.sentences
    assert elapsed < 30, elapsed


def test_a_long_text_without_any_sentence_break_is_processed_in_bounded_time():
    text = ("said according to 1,000 " * 12_000)[: 1 << 18]
    started = time.perf_counter()
    check(text)
    assert time.perf_counter() - started < 15
