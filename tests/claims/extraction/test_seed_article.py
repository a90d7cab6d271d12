"""The seed article (Russia-Mali talks) against hand-written expectations in seed_gold.json.

Every expectation is checked on the text that the extractor's offsets point at, so a
span that is right by content but wrong by offset fails.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from claims.extraction import EXTRACTOR_VERSION, Attribution, Extraction, Span, extract

REPO = Path(__file__).resolve().parents[3]
GOLD = json.loads((Path(__file__).parent / "seed_gold.json").read_text(encoding="utf-8"))
TEXT = (REPO / GOLD["article"]).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def result() -> Extraction:
    return extract(TEXT)


def at(span: Span | None) -> str | None:
    """The text the span's offsets point at (not the span's own copy)."""
    return None if span is None else TEXT[span.start : span.end]


def actor_name(result: Extraction, attribution: Attribution) -> str | None:
    return None if attribution.actor is None else result.actors[attribution.actor].name


def find_attribution(result: Extraction, expected: dict) -> Attribution:
    for attribution in result.attributions:
        if attribution.kind != expected["kind"]:
            continue
        if "cue" in expected and at(attribution.cue) != expected["cue"]:
            continue
        if at(attribution.source) != expected["source"]:
            continue
        if "content" in expected and at(attribution.content) != expected["content"]:
            continue
        return attribution
    found = [(a.kind, at(a.cue), at(a.source), a.content.text[:40]) for a in result.attributions]
    raise AssertionError(f"no attribution like {expected['what']!r}; found {found}")


@pytest.mark.parametrize("expected", GOLD["attributions"], ids=lambda e: e["what"])
def test_it_finds_each_attribution_of_the_seed_article(result, expected):
    attribution = find_attribution(result, expected)

    content = at(attribution.content)
    assert content is not None
    if "content_starts" in expected:
        assert content.startswith(expected["content_starts"])
    if "content_ends" in expected:
        assert content.endswith(expected["content_ends"])
    if "actor" in expected:
        assert actor_name(result, attribution) == expected["actor"]
    if "channel" in expected:
        assert attribution.channel == expected["channel"]
    if "parent_cue" in expected:
        assert attribution.parent is not None
        assert at(result.attributions[attribution.parent].cue) == expected["parent_cue"]


@pytest.mark.parametrize("expected", GOLD["figures"], ids=lambda e: e["text"])
def test_it_reads_each_figure_of_the_seed_article(result, expected):
    matches = [f for f in result.figures if TEXT[f.start : f.end] == expected["text"]]
    assert len(matches) == 1, [f.text for f in result.figures]
    figure = dataclasses.asdict(matches[0])
    for field, value in expected.items():
        assert figure[field] == value, field


def test_the_casualty_figures_sit_in_the_sentence_attributed_to_russian_authorities(result):
    attribution = find_attribution(result, GOLD["attributions"][3])
    figures = [f for f in result.figures if f.sentence == attribution.sentence]
    assert {f.metric for f in figures} == {"killed", "injured"}
    assert all(
        attribution.content.start <= f.start < f.end <= attribution.content.end for f in figures
    )


@pytest.mark.parametrize("expected", GOLD["actors"], ids=lambda e: e["name"])
def test_it_normalises_each_actor_to_one_entry(result, expected):
    named = [a for a in result.actors if a.name == expected["name"]]
    assert len(named) == 1, [a.name for a in result.actors]
    actor = named[0]
    assert actor.kind == expected["kind"]
    mentions = {at(m) for m in actor.mentions}
    assert set(expected["mentions"]) <= mentions


def test_every_putin_mention_belongs_to_one_actor(result):
    putin = [a for a in result.actors if "Putin" in a.name]
    assert len(putin) == 1
    mentioned = sorted(m.start for m in putin[0].mentions)
    for start in (i for i in range(len(TEXT)) if TEXT.startswith("Putin", i)):
        assert any(m.start <= start < m.end for m in putin[0].mentions), start
    assert len(mentioned) >= TEXT.count("Putin") - 1  # "Vladimir Putin" is one mention


def test_the_comment_line_is_opinion_and_yields_no_checkable_claim(result):
    sentences = [s for s in result.sentences if TEXT[s.start : s.end] == GOLD["opinion"]]
    assert len(sentences) == 1
    sentence = sentences[0]
    assert sentence.kind == "opinion"
    assert sentence.checkworthiness <= 0.1
    assert all(claim.sentence != sentence.index for claim in result.claims)
    assert all(not (sentence.start <= claim.start < sentence.end) for claim in result.claims)


def test_a_statement_in_the_outlets_own_voice_is_unattributed(result):
    unattributed = [a for a in result.attributions if a.kind == "unattributed"]
    assert any(
        TEXT[a.content.start : a.content.end].startswith(GOLD["unattributed_starts"])
        for a in unattributed
    )
    assert all(a.cue is None and a.source is None and a.actor is None for a in unattributed)


def test_the_headline_is_not_a_claim(result):
    headline = result.sentences[0]
    assert at(headline) == "Putin and Mali leader Traore"
    assert headline.kind == "other"
    assert all(claim.sentence != 0 for claim in result.claims)


def test_claims_point_at_their_attributions_and_figures(result):
    casualty = next(c for c in result.claims if "killed over 140" in c.text)
    assert casualty.kind == "figure"
    assert {result.figures[i].metric for i in casualty.figures} == {"killed", "injured"}
    assert "according_to" in {result.attributions[i].kind for i in casualty.attributions}
    assert all(0.0 <= c.checkworthiness <= 1.0 for c in result.claims)


def test_the_result_serialises_to_json_with_its_version(result):
    payload = json.loads(json.dumps(dataclasses.asdict(result)))
    assert payload["version"] == EXTRACTOR_VERSION
    assert len(payload["attributions"]) == len(result.attributions)
