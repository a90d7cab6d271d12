"""Splitting text into sentences with offsets (regex, no model)."""

# Curly quotes and dashes in strings are deliberate: news text uses them.
# ruff: noqa: RUF001

from __future__ import annotations

import re

from claims.extraction._regex import words

# A run of terminators, closing quotes or brackets, then whitespace; or a line break.
_BREAK = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s)|\n")
_LAST_WORD = re.compile(r"([\w.]+)\.$")
_ABBREVIATIONS = words(
    """
    mr mrs ms dr prof sen rep gov gen lt col sgt capt st jr sr rev hon pres adm maj cmdr
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun
    inc co corp ltd llc no vs etc al approx dept est fig vol ft mt ave blvd sq
    """
)


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the '.' at ``dot`` ends an abbreviation or initial rather than a sentence."""
    match = _LAST_WORD.search(text, max(0, dot - 20), dot + 1)
    if match is None:
        return False
    word = match.group(1)
    if "." in word:  # U.S. / a.m. / D.C.
        return len(word) <= 6
    if len(word) == 1 and word.isupper():  # an initial: "George W. Bush"
        return True
    return word.lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trimmed of surrounding whitespace, never empty."""
    bounds: list[tuple[int, int]] = []
    start = 0
    length = len(text)
    for match in _BREAK.finditer(text):
        end = match.end()
        if match.group() != "\n":
            # Only a break if the next visible character can start a sentence.
            nxt = end
            while nxt < length and text[nxt] in " \t":
                nxt += 1
            if nxt < length and text[nxt] not in "\n\r":
                char = text[nxt]
                if not (char.isupper() or char.isdigit() or char in "\"“‘'([—-"):
                    continue
            single_dot = match.group()[0] == "." and len(match.group().rstrip("\"”’')]")) == 1
            if single_dot and _is_abbreviation(text, match.start()):
                continue
        _append_trimmed(text, start, end, bounds)
        start = end
    _append_trimmed(text, start, length, bounds)
    return bounds


# Longer "sentences" (tables, lists, text without punctuation) are cut into pieces so
# that every later per-sentence step works on bounded input.
MAX_SENTENCE_CHARS = 1500


def _append_trimmed(text: str, start: int, end: int, bounds: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE_CHARS:
        cut = start + MAX_SENTENCE_CHARS
        space = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, cut)
        if space > start:
            cut = space
        _append_trimmed(text, start, cut, bounds)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        bounds.append((start, end))
