"""Who the sources are: one actor per person, body or group, with every mention.

"Russian President Vladimir Putin", "President Putin" and "Putin" are one person (keyed
by surname, named by the longest full name seen). "he"/"she" resolve to the person
mentioned last, "they" and "the two nations" to the group named last ("Mali, Niger and
Burkina Faso"), and "the statement" to the body that was last quoted.
"""

# Curly quotes and dashes in strings are deliberate: news text uses them.
# ruff: noqa: RUF001

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from claims.extraction._regex import words
from claims.extraction.attributions import RawAttribution
from claims.extraction.lexicon import (
    ANONYMOUS_SOURCE_HEADS,
    COLLECTIVE_HEADS,
    COUNTRIES,
    GOVERNMENT_WORDS,
    ORGANISATION_WORDS,
    OUTLET_TAILS,
    OUTLET_WORDS,
    TITLE_WORDS,
)
from claims.extraction.records import Actor, Span

_NAME = r"[A-Z][\w’'-]+(?: [A-Z][\w’'-]+)?"
_COORDINATED = re.compile(
    rf"\b{_NAME}(?:, {_NAME}){{0,6}},? and (?:neighbou?ring |fellow )?{_NAME}"
)
_SPLIT_MEMBERS = re.compile(r",? and (?:neighbou?ring |fellow )?|, ")
_DETERMINERS = words("the a an this that these those his her its their")
_PERSON_PRONOUNS = words("he she him her")
_PLURAL_PRONOUNS = words("they them")
_DOCUMENTS = words("statement statements report release announcement memo letter communique")
_GROUP_REFERENCES = re.compile(
    r"\A(?:the|both) (?:two |three |four )?(?:nations|countries|sides|governments|states)\Z",
    re.IGNORECASE,
)
_NOT_FIRST_NAMES = words(
    """
    The A An In On At But And Or If As When While After Before Since President Prime
    Minister Mr Mrs Ms Dr Sen Rep Gov Gen Chief Leader Russian American French British
    Chinese Malian Nigerien Iranian Ukrainian Israeli European Western African Last
    This That Then However Meanwhile Also Former Interim
    """
)


@dataclass
class _ActorDraft:
    name: str
    kind: str
    key: tuple[str, str]
    forms: set[str] = field(default_factory=set)
    sources: list[tuple[int, int]] = field(default_factory=list)
    fixed_mentions: list[tuple[int, int]] = field(default_factory=list)
    members: int = 0


def _country(words: str) -> bool:
    return words.lower() in COUNTRIES or words.split()[0].lower() in COUNTRIES


class _Registry:
    def __init__(self, text: str) -> None:
        self.text = text
        self.drafts: list[_ActorDraft] = []
        self.by_key: dict[tuple[str, str], int] = {}

    def add(self, name: str, kind: str, key_name: str | None = None) -> int:
        key = (kind if kind != "country" else "country", (key_name or name).lower())
        if kind == "person":
            key = ("person", name.split()[-1].lower())
        found = self.by_key.get(key)
        if found is None:
            found = len(self.drafts)
            self.drafts.append(_ActorDraft(name, kind, key))
            self.by_key[key] = found
        draft = self.drafts[found]
        if kind == "person" and len(draft.name.split()) < len(name.split()) <= 3:
            draft.name = name
        draft.forms.add(name)
        if kind == "person":
            draft.forms.add(name.split()[-1])
        return found


def _collectives(text: str, registry: _Registry) -> list[tuple[int, int]]:
    """Coordinated country lists ("Mali, Niger, and neighboring Burkina Faso")."""
    mentions: list[tuple[int, int]] = []  # (start, actor)
    for match in _COORDINATED.finditer(text):
        members = [m for m in _SPLIT_MEMBERS.split(match.group()) if m]
        if len(members) < 2 or not all(_country(m) for m in members):
            continue
        name = ", ".join(members[:-1]) + " and " + members[-1]
        key = "|".join(sorted(m.lower() for m in members))
        actor = registry.add(name, "collective", key_name=key)
        registry.drafts[actor].members = len(members)
        registry.drafts[actor].fixed_mentions.append(match.span())
        mentions.append((match.start(), actor))
    return mentions


def _strip_determiners(words: list[str]) -> list[str]:
    while words and words[0].lower() in _DETERMINERS:
        words = words[1:]
    return words


_PAIR = re.compile(r"\b([A-Z][\w’'-]+) (?=([A-Z][\w’'-]+)\b)")


class _FirstNames:
    """Surname -> the first "First Surname" form in the text, computed once per text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._map: dict[str, str] | None = None

    def get(self, surname: str) -> str | None:
        if self._map is None:
            self._map = {}
            for match in _PAIR.finditer(self.text):
                first, last = match.group(1), match.group(2)
                if first in _NOT_FIRST_NAMES or first.lower() in TITLE_WORDS:
                    continue
                self._map.setdefault(last, first)
        first = self._map.get(surname)
        return f"{first} {surname}" if first else None


def classify_source(first_names: _FirstNames, source: str) -> tuple[str, str] | None:
    """(canonical name, kind) of a named source; None for pronouns and anonymous ones."""
    source = source.split(",")[0].strip()
    words = _strip_determiners(source.replace("’s", "").replace("'s", "").split())
    if not words:
        return None
    lowered = [w.lower() for w in words]
    # The trailing run of capitalised words that are not titles: the name.
    run: list[str] = []
    for word in reversed(words):
        if not word[:1].isupper() or word.lower().rstrip(".") in TITLE_WORDS:
            break
        run.insert(0, word)
    has_title = len(run) < len(words) and any(
        w.rstrip(".") in TITLE_WORDS for w in lowered[: len(words) - len(run)]
    )
    if run:
        name = " ".join(run)
        lower_name = name.lower()
        if any(w.lower() in GOVERNMENT_WORDS for w in run) or "white house" in lower_name:
            return name, "government"
        if _country(name) and len(run) <= 3:
            return name, "country"
        if run[-1] in OUTLET_TAILS or lower_name in OUTLET_WORDS:
            return name, "outlet"
        if any(w.lower() in ORGANISATION_WORDS for w in run) or (name.isupper() and len(name) <= 6):
            return name, "organisation"
        if len(run) >= 2 and len(run) <= 4:
            return name, "person"
        if len(run) == 1:
            full = first_names.get(name)
            if full is not None:
                return full, "person"
            if has_title:
                return name, "person"
            return name, "unknown"
        return name, "organisation"
    head = lowered[-1]
    phrase = " ".join(words)
    if head in ANONYMOUS_SOURCE_HEADS and head not in {"authorities"}:
        return None
    if head in GOVERNMENT_WORDS:
        return phrase, "government"
    if head in COLLECTIVE_HEADS:
        return phrase, "collective"
    if head in ORGANISATION_WORDS:
        return phrase, "organisation"
    return phrase, "unknown"


def resolve_actors(text: str, raws: list[RawAttribution]) -> tuple[list[Actor], list[int | None]]:
    """Actors, and for each raw attribution the index of its actor (or None)."""
    registry = _Registry(text)
    first_names = _FirstNames(text)
    collective_mentions = _collectives(text, registry)
    assigned: list[int | None] = [None] * len(raws)
    pending: list[tuple[int, str]] = []  # (raw index, what kind of reference)
    for i, raw in enumerate(raws):
        if raw.source is None:
            continue
        source = text[raw.source[0] : raw.source[1]]
        lower = source.lower()
        words = lower.split()
        if lower in _PERSON_PRONOUNS:
            pending.append((i, "person"))
        elif lower in _PLURAL_PRONOUNS or _GROUP_REFERENCES.match(source):
            pending.append((i, "group"))
        elif words and words[-1] in _DOCUMENTS and len(words) <= 3:
            pending.append((i, "document"))
        elif lower in {"it", "we", "i", "you", "who"}:
            continue
        else:
            named = classify_source(first_names, source)
            if named is None:
                continue
            named_actor = registry.add(*named)
            registry.drafts[named_actor].sources.append(raw.source)
            assigned[i] = named_actor
    mentions = _find_mentions(text, registry)
    person_starts: list[tuple[int, int]] = sorted(
        (start, actor)
        for actor, spans in mentions.items()
        if registry.drafts[actor].kind == "person"
        for start, _ in spans
    )
    group_starts = sorted(collective_mentions)
    for i, reference in pending:
        raw = raws[i]
        assert raw.source is not None
        position = raw.source[0]
        actor: int | None = None
        if reference == "person":
            actor = _latest_before(person_starts, position)
        elif reference == "group":
            actor = _latest_before(group_starts, position)
        else:
            for j in range(i - 1, -1, -1):
                earlier = assigned[j]
                if earlier is not None and registry.drafts[earlier].kind != "collective":
                    actor = earlier
                    break
        if actor is not None:
            assigned[i] = actor
            registry.drafts[actor].sources.append(raw.source)
    # Keep only actors some attribution points at (a group that is merely named, like
    # "Russia and Iran", is not a source), renumbered in order of first use.
    renumber: dict[int, int] = {}
    for actor_index in assigned:
        if actor_index is not None and actor_index not in renumber:
            renumber[actor_index] = len(renumber)
    actors: list[Actor] = []
    for index, draft in sorted(
        ((i, d) for i, d in enumerate(registry.drafts) if i in renumber),
        key=lambda pair: renumber[pair[0]],
    ):
        # Name mentions first; a source span ("President Putin", "he", "the statement")
        # only where it does not overlap one.
        names = sorted(set(mentions.get(index, [])) | set(draft.fixed_mentions))
        kept = list(names)
        for start, end in sorted(set(draft.sources)):
            if not _overlaps_any(names, start, end):
                kept.append((start, end))
        kept.sort()
        actors.append(
            Actor(
                index=renumber[index],
                name=draft.name,
                kind=draft.kind,
                mentions=[Span(s, e, text[s:e]) for s, e in kept],
            )
        )
    assigned = [None if a is None else renumber[a] for a in assigned]
    return actors, assigned


def _overlaps_any(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps a span of ``spans`` (sorted, rarely overlapping)."""
    k = bisect.bisect_left(spans, (end, -1))
    return any(spans[j][1] > start for j in range(k - 1, max(-1, k - 4), -1))


def _latest_before(starts: list[tuple[int, int]], position: int) -> int | None:
    k = bisect.bisect_left(starts, (position, -1))
    return starts[k - 1][1] if k > 0 else None


def _find_mentions(text: str, registry: _Registry) -> dict[int, list[tuple[int, int]]]:
    """Every whole-word occurrence of every actor's name forms (longest form wins)."""
    form_to_actor: dict[str, int] = {}
    for index, draft in enumerate(registry.drafts):
        if draft.kind == "collective":
            continue
        for form in draft.forms:
            if len(form) >= 2:
                form_to_actor.setdefault(form, index)
    taken: list[tuple[int, int, int]] = []
    covered = bytearray(len(text)) if form_to_actor else bytearray()
    for form in sorted(form_to_actor, key=len, reverse=True):
        position = text.find(form)
        while position >= 0:
            end = position + len(form)
            whole_word = (position == 0 or not text[position - 1].isalnum()) and (
                end == len(text) or not text[end].isalnum()
            )
            if whole_word and not any(covered[position:end]):
                covered[position:end] = b"\x01" * (end - position)
                taken.append((position, end, form_to_actor[form]))
            position = text.find(form, end)
    found: dict[int, list[tuple[int, int]]] = {}
    for start, end, actor in sorted(taken):
        found.setdefault(actor, []).append((start, end))
    return found
