"""Claim extraction: sentences, attributions, figures, actors and claims from plain text.

Pure Python (stdlib only, no Django), so it can be tested and benchmarked alone::

    from claims.extraction import extract
    result = extract(article_text)
    dataclasses.asdict(result)  # JSON-ready

All offsets are character offsets into the given text, end exclusive.
"""

# Curly quotes and dashes in strings are deliberate: news text uses them.
# ruff: noqa: RUF001

from __future__ import annotations

import bisect
import importlib
import re
from collections.abc import Callable

from claims.extraction.actors import resolve_actors
from claims.extraction.attributions import RawAttribution, find_in_sentence, find_quotes
from claims.extraction.figures import RawFigure, find_figures
from claims.extraction.records import (
    Actor,
    Attribution,
    Claim,
    Extraction,
    Figure,
    Sentence,
    Span,
)
from claims.extraction.sentences import split_sentences

__all__ = [
    "EXTRACTOR_VERSION",
    "Actor",
    "Attribution",
    "Claim",
    "Extraction",
    "Figure",
    "Sentence",
    "Span",
    "extract",
    "heuristic_checkworthiness",
]

# Bump when the output for the same text can change (stored extractions record it).
EXTRACTOR_VERSION = "1.0.0"

_OPINION_LABEL = re.compile(
    r"\A\W{0,3}(?:Comment|Commentary|Opinion|Editorial|Editor[’']s note|Analysis|Op-ed|"
    r"Our view|View)\s*:",
    re.IGNORECASE,
)
_FIRST_PERSON_VIEW = re.compile(
    r"\b(?:I|we) (?:think|believe|feel|hope|fear|guess|suppose|reckon|would argue)\b|"
    r"\bin (?:my|our) (?:view|opinion)\b|\b(?:I|we) (?:am|are) (?:sure|convinced)\b",
    re.IGNORECASE,
)
_NORMATIVE = re.compile(r"\b(?:should|ought to|shame|disgrace|shameful|outrageous)\b")
# Matched against the lower-cased sentence.
_CAUSAL = re.compile(
    r"\b(?:because|due to|caused|causing|led to|leads to|resulted in|as a result|"
    r"blamed for|responsible for|thanks to)\b"
)
_PREDICTION = re.compile(
    r"\b(?:will|is expected to|are expected to|plans? to|forecasts?|predicts?|is set to|"
    r"are set to|is likely to|are likely to)\b"
)
_EVENT = re.compile(r"ed\b|\b(?:was|were|has|have|had|met|made|held|took|came|spoke)\b")
_DIGIT = re.compile(r"\d")
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+")
_SPAN_BUDGET = 5  # max partial quotes recorded per attribution

Scorer = Callable[[str], tuple[float, list[str]]]
_scorer: Scorer | None = None


def heuristic_checkworthiness(text: str) -> tuple[float, list[str]]:
    """A small rule score used when no trained model is installed."""
    score = 0.25
    reasons: list[str] = []
    lowered = text.lower()
    if _DIGIT.search(text):
        score += 0.3
        reasons.append("has a number")
    if len(_CAPITALISED.findall(text)) >= 2:
        score += 0.15
        reasons.append("names people, places or bodies")
    if _EVENT.search(lowered):
        score += 0.1
        reasons.append("reports an event")
    if _CAUSAL.search(lowered):
        score += 0.1
        reasons.append("makes a causal claim")
    if ("i " in lowered or "we " in lowered or "my " in lowered or "our " in lowered) and (
        _FIRST_PERSON_VIEW.search(text)
    ):
        score -= 0.3
        reasons.append("first-person view")
    return max(0.0, min(1.0, score)), reasons


def _get_scorer() -> Scorer:
    """The trained model in checkworthiness.py when present and loadable, else rules."""
    global _scorer
    if _scorer is None:
        try:
            module = importlib.import_module("claims.extraction.checkworthiness")
            candidate = module.score
            candidate("The army said 140 people were killed.")
            _scorer = candidate
        except Exception:  # any failure to load means: use the rules
            _scorer = heuristic_checkworthiness
    return _scorer


def _score(text: str) -> tuple[float, list[str]]:
    try:
        probability, reasons = _get_scorer()(text)
        return max(0.0, min(1.0, float(probability))), list(reasons)
    except Exception:  # a model failure must not lose the extraction
        return heuristic_checkworthiness(text)


def _sentence_kind(text: str, in_opinion_paragraph: bool, cues: bool) -> tuple[str, str]:
    stripped = text.rstrip("\"”’') ")
    if _OPINION_LABEL.match(text) or in_opinion_paragraph:
        return "opinion", "labelled as comment or opinion"
    if stripped.endswith("?"):
        return "question", "a question"
    if not cues and text[:1] not in '"“' and _FIRST_PERSON_VIEW.search(text):
        return "opinion", "first-person view"
    if not cues and text[:1] not in '"“' and _NORMATIVE.search(text):
        return "opinion", "normative or evaluative language"
    words = text.split()
    if len(words) < 4 or (len(words) < 12 and stripped[-1:] not in '.!"”'):
        return "other", "a headline or fragment"
    return "claim", "a statement of fact"


def _claim_kind(text: str, figures: int, quoted: bool) -> str:
    text = text.lower()
    if figures:
        return "figure"
    if quoted:
        return "quote"
    if _CAUSAL.search(text):
        return "causal"
    if _PREDICTION.search(text):
        return "prediction"
    if _EVENT.search(text):
        return "event"
    return "other"


def _drop_covered_unattributed(
    raws: list[RawAttribution], sentence_raws: list[list[int]]
) -> tuple[list[RawAttribution], list[list[int]]]:
    """An "unattributed" sentence that turned out to open a later quote is not the outlet's."""
    spans = sorted(r.content for r in raws if r.cue is not None)
    starts = [s for s, _ in spans]
    keep: list[int] = []
    for i, raw in enumerate(raws):
        if raw.kind == "unattributed":
            k = bisect.bisect_right(starts, raw.content[0])
            # Any cue content starting at or before this sentence and reaching past it?
            if any(spans[j][1] >= raw.content[1] for j in range(max(0, k - 3), k)):
                continue
        keep.append(i)
    if len(keep) == len(raws):
        return raws, sentence_raws
    new_index = {old: new for new, old in enumerate(keep)}
    kept = []
    for old in keep:
        raw = raws[old]
        if raw.parent is not None:
            raw.parent = new_index.get(raw.parent)
        kept.append(raw)
    return kept, [[new_index[i] for i in mine if i in new_index] for mine in sentence_raws]


def extract(text: str) -> Extraction:
    """Sentences, attributions, figures, actors and claims of ``text``."""
    result = Extraction(version=EXTRACTOR_VERSION)
    bounds = split_sentences(text)
    raws: list[RawAttribution] = []
    raw_figures: list[tuple[int, RawFigure]] = []
    sentence_raws: list[list[int]] = []
    paragraph_start = 0
    previous_end = 0
    opinion_paragraph = False
    covered_until = -1  # end of the furthest content seen (quotes running over sentences)
    speaker: int | None = None  # the last attribution with a source, for continued quotes
    speaker_sentence = -10
    for index, (start, end) in enumerate(bounds):
        newline = text.rfind("\n", previous_end, start)
        if newline >= 0:
            paragraph_start = newline + 1
            opinion_paragraph = False
        previous_end = end
        found = find_in_sentence(text, index, start, end, paragraph_start)
        mine = []
        for raw in found:
            mine.append(len(raws))
            raws.append(raw)
        for raw in found:
            covered_until = max(covered_until, raw.content[1])
        sentence_text = text[start:end]
        kind, reason = _sentence_kind(sentence_text, opinion_paragraph, bool(found))
        if kind == "opinion" and _OPINION_LABEL.match(sentence_text):
            opinion_paragraph = True
        score, reasons = _score(sentence_text)
        if kind in {"opinion", "question"}:
            score = min(score, 0.1)
        elif kind == "other":
            score = min(score, 0.3)
        result.sentences.append(
            Sentence(index, start, end, sentence_text, kind, round(score, 4), [reason, *reasons])
        )
        for figure in find_figures(text, start, end):
            raw_figures.append((index, figure))
        # Quoted sentences with no cue continue the last speaker's quote.
        if found and any(r.source is not None for r in found):
            speaker = mine[-1] if found[-1].source is not None else mine[0]
            speaker_sentence = index
        if (
            not found
            and sentence_text[:1] in '"“'
            and speaker is not None
            and index - speaker_sentence <= 3
        ):
            speaker_sentence = index
            mine.append(len(raws))
            raws.append(
                RawAttribution(
                    index,
                    "direct_quote",
                    None,
                    None,
                    (start, end),
                    parent=speaker,
                    inherit_actor=True,
                )
            )
        elif not found and kind == "claim" and end > covered_until:
            mine.append(len(raws))
            raws.append(RawAttribution(index, "unattributed", None, None, (start, end)))
        sentence_raws.append(mine)

    raws, sentence_raws = _drop_covered_unattributed(raws, sentence_raws)

    # Quotes inside a reported content are partial quotes, children of that attribution.
    for parent in range(len(raws)):
        raw = raws[parent]
        if raw.cue is None:
            continue
        c_start, c_end = raw.content
        quotes = find_quotes(text, c_start, c_end)
        if not quotes or (quotes[0][0] <= c_start + 1 and quotes[-1][1] >= c_end - 1):
            continue  # no quote, or the whole content is one quote
        for q_start, q_end in quotes[:_SPAN_BUDGET]:
            child = RawAttribution(
                raw.sentence,
                "partial_quote",
                None,
                raw.source,
                (q_start, q_end),
                channel=raw.channel,
                parent=parent,
                inherit_actor=True,
            )
            sentence_raws[raw.sentence].append(len(raws))
            raws.append(child)

    actors, assigned = resolve_actors(text, raws)
    result.actors = actors
    for i, raw in enumerate(raws):
        actor = assigned[i]
        if raw.inherit_actor and raw.parent is not None:
            actor = result.attributions[raw.parent].actor if raw.parent < i else actor
        cue = Span(raw.cue[0], raw.cue[1], text[raw.cue[0] : raw.cue[1]]) if raw.cue else None
        source = (
            Span(raw.source[0], raw.source[1], text[raw.source[0] : raw.source[1]])
            if raw.source
            else None
        )
        content = Span(raw.content[0], raw.content[1], text[raw.content[0] : raw.content[1]])
        chain_parent = raw.parent if raw.kind == "partial_quote" else None
        result.attributions.append(
            Attribution(
                i, raw.sentence, raw.kind, cue, source, content, actor, raw.channel, chain_parent
            )
        )

    sentence_figures: dict[int, list[int]] = {}
    for index, figure in raw_figures:
        number = len(result.figures)
        sentence_figures.setdefault(index, []).append(number)
        result.figures.append(
            Figure(
                number,
                index,
                figure.start,
                figure.end,
                text[figure.start : figure.end],
                figure.value,
                figure.lower,
                figure.upper,
                figure.qualifier,
                figure.metric,
                figure.unit,
                figure.subject,
                figure.additional,
            )
        )

    for sentence in result.sentences:
        if sentence.kind != "claim":
            continue
        attributions = sentence_raws[sentence.index]
        figures = sentence_figures.get(sentence.index, [])
        quoted = any(
            result.attributions[a].kind in {"direct_quote", "partial_quote"}
            or result.attributions[a].content.text[:1] in '"“'
            for a in attributions
        )
        result.claims.append(
            Claim(
                index=len(result.claims),
                sentence=sentence.index,
                start=sentence.start,
                end=sentence.end,
                text=sentence.text,
                kind=_claim_kind(sentence.text, len(figures), quoted),
                checkworthiness=sentence.checkworthiness,
                attributions=list(attributions),
                figures=list(figures),
            )
        )
    return result
