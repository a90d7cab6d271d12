"""Numbers in claims: value, bounds, qualifier, and what is being counted.

``killed over 140 people and injured 200 more`` gives two figures: 140 (over, metric
"killed", subject "people") and 200 (exact, metric "injured", additional).
"""

# Curly quotes and dashes in strings are deliberate: news text uses them.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from dataclasses import dataclass

from claims.extraction._regex import trie_pattern, words

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {
    "hundred": 100.0,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "bn": 1e9,
    "m": 1e6,
    "k": 1e3,
}
# Plural scale words used alone: "thousands of people" means at least two thousand.
_VAGUE = {
    "dozens": 24.0,
    "scores": 40.0,
    "hundreds": 200.0,
    "thousands": 2000.0,
    "millions": 2e6,
    "billions": 2e9,
    "tens of thousands": 20000.0,
    "hundreds of thousands": 200000.0,
    "tens of millions": 2e7,
    "hundreds of millions": 2e8,
}
_QUALIFIERS = {
    "more than": "over", "over": "over", "upwards of": "over", "in excess of": "over",
    "above": "over", "just over": "over", "well over": "over", "exceeding": "over",
    "at least": "at_least", "no fewer than": "at_least", "no less than": "at_least",
    "a minimum of": "at_least",
    "about": "about", "around": "about", "approximately": "about", "roughly": "about",
    "some": "about", "nearly": "about", "almost": "about", "close to": "about",
    "an estimated": "about", "estimated": "about", "circa": "about", "approx.": "about",
    "up to": "up_to", "as many as": "up_to", "as much as": "up_to", "at most": "up_to",
    "no more than": "up_to", "a maximum of": "up_to",
    "fewer than": "under", "less than": "under", "under": "under", "below": "under",
    "just under": "under",
    "between": "range", "from": "range",
}  # fmt: skip
# "nearly 100" is about 100 but below it.
_BELOW_VALUE = frozenset({"nearly", "almost", "just under"})

_UNIT_WORD = trie_pattern(_UNITS)
_SCALE_WORD = "hundred|thousand|million|billion|trillion|dozen"
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORDS = (
    rf"(?:(?:tens|hundreds) of (?:thousands|millions)|dozens|scores|hundreds|thousands|"
    rf"millions|billions|an? (?:{_SCALE_WORD})\b|(?:{_UNIT_WORD})\b"
    rf"(?:(?:[ -]|\s+and\s+)(?:{_UNIT_WORD}|{_SCALE_WORD})\b)*)"
)
_NUMBER = rf"(?:{_DIGITS}|{_WORDS})"
_QUALIFIER = trie_pattern(_QUALIFIERS)
_FIGURE = re.compile(
    rf"(?<![\w.,$€£-])(?:(?P<q>{_QUALIFIER})\s+)?(?P<cur>[$€£])?(?P<num>{_NUMBER})(?![\w])"
    rf"(?P<scale>\s?(?:hundred|thousand|million|billion|trillion)\b|(?:bn|m|k)\b)?"
    rf"(?P<pct>\s?(?:%|percent\b|per cent\b))?"
    rf"(?:(?P<sep>\s*(?:-|–|to|and)\s*)[$€£]?(?P<num2>{_DIGITS}|{_WORDS})(?![\w])"
    rf"(?P<scale2>\s?(?:hundred|thousand|million|billion|trillion)\b|(?:bn|m|k)\b)?"
    rf"(?P<pct2>\s?(?:%|percent\b|per cent\b))?)?"
    rf"(?P<more>\s+(?:more|additional|others)\b)?",
    re.IGNORECASE,
)
_ANY_NUMBER = re.compile(
    r"\d|\b(?i:"
    + trie_pattern(
        [
            *_UNITS,
            "dozen",
            "dozens",
            "scores",
            "hundred",
            "hundreds",
            "thousand",
            "thousands",
            "million",
            "millions",
            "billion",
            "billions",
            "tens",
        ]
    )
    + r")\b"
)
_MONTHS = re.compile(
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s*\Z", re.IGNORECASE
)
_NEXT_WORDS = re.compile(r"\s*([A-Za-z][\w’'-]*)")
_PREV_WORDS = re.compile(r"([A-Za-z][\w’'-]*)\W*\Z")

# What a number counts or measures, normalised.
_CASUALTY_VERBS = {
    "killed": "killed", "killing": "killed", "kills": "killed", "dead": "killed",
    "died": "killed", "deaths": "killed", "death": "killed", "fatalities": "killed",
    "injured": "injured", "injuring": "injured", "injuries": "injured", "hurt": "injured",
    "wounded": "wounded", "wounding": "wounded",
    "arrested": "arrested", "detained": "detained", "missing": "missing",
    "displaced": "displaced", "evacuated": "evacuated", "rescued": "rescued",
    "deployed": "deployed", "captured": "captured",
}  # fmt: skip
_METRIC_NOUNS = words(
    """
    people persons troops soldiers civilians children women men fighters militants
    refugees migrants casualties victims hostages prisoners workers contractors
    votes voters jobs cases deaths dollars euros pounds tonnes tons barrels km miles
    kilometres kilometers acres hectares homes houses buildings schools hospitals
    members delegates seats missiles drones tanks aircraft jets
    weapons rockets shells vehicles students patients doctors officers police
    residents citizens households families
    """
)
_SUBJECT_STOP = words(
    """
    to who that which were was are is in on at from by for of with had have has
    and as than since after before into during while when where will would could
    said says according killed injured wounded died
    """
)
_PASSIVE = re.compile(
    r"(?:\s+[A-Za-z][\w’'-]*){0,4}?\s+(?:(?:were|was|are|is|have been|had been|has been|"
    r"being|reportedly|also)\s+)*(" + "|".join(_CASUALTY_VERBS) + r")\b",
    re.IGNORECASE,
)
_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP"}


@dataclass
class RawFigure:
    start: int
    end: int
    value: float
    lower: float | None
    upper: float | None
    qualifier: str
    metric: str | None
    unit: str | None
    subject: str | None
    additional: bool


def parse_number(text: str) -> float | None:
    """The value of "1,000", "2.5", "two hundred", "a dozen", "thousands" (None if not one)."""
    raw = text.strip().lower()
    if not raw:
        return None
    if raw[0].isdigit():
        try:
            return float(raw.replace(",", ""))
        except ValueError:
            return None
    if raw in _VAGUE:
        return _VAGUE[raw]
    total = 0.0
    current = 0.0
    seen = False
    for word in re.split(r"[\s-]+", raw):
        if word in {"and", ""}:
            continue
        if word in {"a", "an"}:
            current = 1.0
        elif word in _UNITS:
            current += _UNITS[word]
        elif word == "dozen":
            current = (current or 1.0) * 12
        elif word == "hundred":
            current = (current or 1.0) * 100
        elif word in _SCALES:
            total += (current or 1.0) * _SCALES[word]
            current = 0.0
        else:
            return None
        seen = True
    return total + current if seen else None


def _scaled(number: str, scale: str | None) -> float | None:
    value = parse_number(number)
    if value is None:
        return None
    if scale:
        value *= _SCALES.get(scale.strip().lower(), 1.0)
    return value


# Bounds the work on pathological input (tables of numbers); sentences have a few.
MAX_FIGURES_PER_SENTENCE = 25


def find_figures(text: str, lo: int, hi: int) -> list[RawFigure]:
    """Figures inside ``text[lo:hi]`` (one sentence)."""
    figures: list[RawFigure] = []
    if _ANY_NUMBER.search(text, lo, hi) is None:
        return figures  # most sentences: one cheap scan instead of the full pattern
    for match in _FIGURE.finditer(text, lo, hi):
        if len(figures) >= MAX_FIGURES_PER_SENTENCE:
            break
        figure = _figure(text, lo, hi, match)
        if figure is None:
            continue
        if figure.additional and figure.subject is None and figures:
            figure.subject = figures[-1].subject
        figures.append(figure)
    return figures


def _figure(text: str, lo: int, hi: int, match: re.Match[str]) -> RawFigure | None:
    number = match.group("num")
    qualifier_text = (match.group("q") or "").lower()
    word_number = not number[0].isdigit()
    value = _scaled(number, match.group("scale"))
    if value is None:
        return None
    start, end = match.start(), match.end()
    sep = (match.group("sep") or "").strip().lower()
    upper_value: float | None = None
    if match.group("num2") is not None:
        valid_range = sep in {"-", "–", "to"} or (sep == "and" and qualifier_text == "between")
        if valid_range:
            upper_value = _scaled(
                match.group("num2"), match.group("scale2") or match.group("scale")
            )
            if match.group("scale2") and not match.group("scale"):
                value *= _SCALES.get(match.group("scale2").strip().lower(), 1.0)
        else:
            end = match.start("sep")
            if match.group("pct"):
                end = match.end("pct")
    if upper_value is None and qualifier_text in {"between", "from"}:
        qualifier_text = ""
        start = match.start("cur") if match.group("cur") else match.start("num")
    additional = match.group("more") is not None and end >= match.end("more")
    if upper_value is not None:
        additional = match.group("more") is not None
    elif match.group("more") is not None and end < match.end("more"):
        additional = False
    # Not figures: years, dates, small word numbers with nothing counted.
    previous = text[max(lo, start - 12) : start]
    if not word_number and not match.group("scale") and not match.group("pct"):
        digits = number.replace(",", "")
        if _MONTHS.search(previous) or (
            len(digits) == 4 and digits.isdigit() and 1800 <= int(digits) <= 2100
        ):
            return None
    next_word_match = _NEXT_WORDS.match(text, end, min(hi, end + 40))
    next_word = next_word_match.group(1).lower() if next_word_match else ""
    if next_word in {"a.m", "p.m", "am", "pm", "o'clock", "st", "nd", "rd", "th"}:
        return None
    if (
        word_number
        and value < 10
        and not match.group("q")
        and not match.group("more")
        and next_word not in _METRIC_NOUNS
        and number.lower() not in _VAGUE
    ):
        return None
    # Qualifier and bounds.
    qualifier = "exact"
    if upper_value is not None:
        qualifier = "range"
    elif qualifier_text:
        qualifier = _QUALIFIERS.get(qualifier_text, "exact")
    elif number.lower() in _VAGUE:
        qualifier = "at_least"
    lower: float | None
    upper: float | None
    if qualifier == "range" and upper_value is not None:
        lower, upper = value, upper_value
        value = (value + upper_value) / 2
    elif qualifier in {"over", "at_least"}:
        lower, upper = value, None
    elif qualifier in {"up_to", "under"}:
        lower, upper = None, value
    elif qualifier == "about":
        lower, upper = None, value if qualifier_text in _BELOW_VALUE else None
    else:
        lower, upper = value, value
    unit = None
    if match.group("cur"):
        unit = _CURRENCY[match.group("cur")]
    elif match.group("pct"):
        unit = "percent"
    metric, subject = _metric_and_subject(text, lo, hi, start, end)
    if unit is None and subject:
        head = subject.split()[-1].lower()
        if head in {"dollars", "euros", "pounds"}:
            unit = {"dollars": "USD", "euros": "EUR", "pounds": "GBP"}[head]
    return RawFigure(start, end, value, lower, upper, qualifier, metric, unit, subject, additional)


def _metric_and_subject(
    text: str, lo: int, hi: int, start: int, end: int
) -> tuple[str | None, str | None]:
    """The governing verb before ("killed over 140") or the counted noun after."""
    metric: str | None = None
    window = text[max(lo, start - 30) : start]
    previous = _PREV_WORDS.search(window)
    if previous is not None:
        word = previous.group(1).lower()
        if word in _CASUALTY_VERBS:
            metric = _CASUALTY_VERBS[word]
    # The noun phrase after the number, up to a few words.
    words: list[str] = []
    for found in re.finditer(r"[A-Za-z][\w’'-]*|[^\w\s]", text[end : min(hi, end + 80)]):
        word = found.group()
        lower = word.lower()
        if not word[0].isalpha() or lower in _SUBJECT_STOP or len(words) >= 5:
            if lower in _CASUALTY_VERBS and metric is None:
                metric = _CASUALTY_VERBS[lower]  # "140 people were killed" / "people dead"
            if lower == "and" and words and len(words) < 4:
                words.append(word)  # "troops and civilian contractors"
                continue
            break
        if lower in {"of", "more", "additional"}:
            break
        if lower in _CASUALTY_VERBS:
            if words and words[-1].lower() == "and":
                break  # "140 people and injured 200 more": the next figure's verb
            metric = metric or _CASUALTY_VERBS[lower]
            if not words:
                words.append(word)
            break
        words.append(word)
    while words and words[-1].lower() == "and":
        words.pop()
    subject = " ".join(words) or None
    if metric is None:
        # "30 people were killed", "12 soldiers injured", "140 died".
        after = _PASSIVE.match(text[end : min(hi, end + 120)])
        if after is not None:
            metric = _CASUALTY_VERBS[after.group(1).lower()]
    if metric is None and words:
        for word in words:
            if word.lower() in _METRIC_NOUNS:
                metric = word.lower()
                break
    return metric, subject
