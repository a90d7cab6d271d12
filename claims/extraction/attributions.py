"""Finding attributions: who is reported to have said, written, claimed or announced what.

Rule-based over one sentence at a time. For each reporting cue (a verb from
``lexicon.REPORTING_VERBS`` or "according to") it decides between three shapes:

- ``SOURCE [aux] VERB [that] CONTENT``             content after the cue;
- ``CONTENT, SOURCE VERB [adjunct].``              content before, source before the verb;
- ``CONTENT, VERB SOURCE [adjunct].``              content before, source after the verb;

and "according to SOURCE" in any position. Quotes inside a content become partial-quote
children, a quoted sentence with no cue of its own is a direct quote of the last speaker,
and a claim-like sentence with none at all is unattributed (the outlet's own voice).
Actors are resolved afterwards (``actors.py``).
"""

# Curly quotes and dashes in strings are deliberate: news text uses them.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from claims.extraction._regex import trie_pattern, words
from claims.extraction.lexicon import (
    ANNOUNCE_VERBS,
    ANONYMOUS_SOURCE_HEADS,
    CLAIM_VERBS,
    DETERMINERS,
    NOUN_LIKE_VERBS,
    PRONOUNS,
    REPORTING_VERBS,
    SUBJECT_BOUNDARY_WORDS,
    VERB_PREFIX_WORDS,
)

_CUE = re.compile(r"\b(?:[Aa]ccording to|" + trie_pattern(REPORTING_VERBS) + r")\b(?![’'-]\w)")
# Abbreviations with their dot, words (keeping inner apostrophes, hyphens and dots),
# a doubled apostrophe used as a quote mark, or single punctuation marks.
_TOKEN = re.compile(
    r"(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|St|Jr|Sr|Rev|Prof|Mt|Ft|[A-Z])\."
    r"|\w(?:[\w’'\-.]*\w)?|''|``|[^\w\s]"
)
_CLOSE_QUOTES = "\"”’'"
_BOUNDARY_PUNCT = frozenset(",;:()[]{}\"“”‘’—–!?'`") | {"''", "``"}
_PREPOSITIONS = words("with in on at by from to about into over under among against")
_SENTENCE_ADVERBS = words(
    """
    however meanwhile though too also instead therefore moreover furthermore though
    nonetheless nevertheless in turn for example for instance
    """
)
_RECIPIENT_VERBS = words(
    """
    told tells tell telling asked asks asking urged urges urging warned warns warning
    assured reminded reminding informed called calls calling thanked congratulated
    """
)
_QUOTE = re.compile(r"“[^”\n]{1,2000}”|\"[^\"\n]{1,2000}\"|''[^'\n]{1,2000}''")
_CHANNEL = re.compile(
    r"\s*(?:on|via|in|to)\s+(?:an?\s+|the\s+|his\s+|her\s+|their\s+|its\s+)?"
    r"(X|Twitter|Facebook|Instagram|Telegram|TikTok|YouTube|Truth Social|Threads|"
    r"statement|interview|tweet|post|letter|speech|email|e-mail|press release|"
    r"press conference|op-ed|blog post|podcast)\b"
)
_MAX_SOURCE_TOKENS = 9
# Real sentences have a handful of cues; this bounds the work on pathological input.
MAX_CUES_PER_SENTENCE = 12
_SAY_VERBS = words("said says say told tells added adds wrote writes")


@dataclass
class RawAttribution:
    """An attribution before actors are resolved; offsets are absolute."""

    sentence: int
    kind: str
    cue: tuple[int, int] | None
    source: tuple[int, int] | None
    content: tuple[int, int]
    channel: str | None = None
    parent: int | None = None
    inherit_actor: bool = False  # take the actor of ``parent`` (partial and direct quotes)


def _tokens(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, start, end)]


def _trim(text: str, start: int, end: int, strip_final: bool = True) -> tuple[int, int]:
    """Drop surrounding whitespace, a leading comma or colon and a final stop."""
    while start < end and (text[start].isspace() or text[start] in ",:;—–"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:—–"):
        end -= 1
    if strip_final and end > start and text[end - 1] in ".!?":
        end -= 1
        while end > start and text[end - 1].isspace():
            end -= 1
    return start, end


def _is_prefix_word(word: str) -> bool:
    lower = word.lower()
    return lower in VERB_PREFIX_WORDS or (word.islower() and lower.endswith("ly") and len(word) > 4)


def _subject_before(text: str, lo: int, cue_start: int) -> tuple[int, int] | None:
    """The noun phrase just before a verb: walk left over auxiliaries, stop at a boundary."""
    tokens = _tokens(text, max(lo, cue_start - 120), cue_start)
    i = len(tokens) - 1
    while i >= 0 and _is_prefix_word(tokens[i][2]):
        i -= 1
    # ", however," / ", meanwhile," between the subject and the verb.
    if (
        i >= 2
        and tokens[i][2] == ","
        and tokens[i - 1][2].lower() in _SENTENCE_ADVERBS
        and tokens[i - 2][2] == ","
    ):
        i -= 3
    # "Ms. Sherry smiled and said": skip the first verb phrase.
    if i >= 1 and tokens[i][2] == "and":
        j = i - 1
        while j >= 0 and i - j <= 6 and tokens[j][2].islower() and tokens[j][2] != "and":
            if tokens[j][2] in PRONOUNS:
                break
            j -= 1
        if j >= 0 and j < i - 1 and (tokens[j][2][:1].isupper() or tokens[j][2] in PRONOUNS):
            i = j
    if i < 0:
        return None
    if tokens[i][2].lower() in PRONOUNS:
        return tokens[i][0], tokens[i][1]
    end_index = i
    taken = 0
    while i >= 0 and taken < _MAX_SOURCE_TOKENS:
        word = tokens[i][2]
        lower = word.lower()
        if word == ")" and taken:
            # "Sen. Marco Rubio (R-Fla.)": step over the parenthesis.
            j = i
            while j >= 0 and tokens[j][2] != "(" and i - j < 8:
                j -= 1
            if j >= 0 and tokens[j][2] == "(":
                i = j - 1
                continue
            break
        if word == ")" and not taken:
            j = i
            while j >= 0 and tokens[j][2] != "(" and i - j < 8:
                j -= 1
            if j >= 0 and tokens[j][2] == "(":
                i = j - 1
                taken += 1
                continue
            break
        if word in _BOUNDARY_PUNCT or lower in SUBJECT_BOUNDARY_WORDS:
            break
        if lower in _PREPOSITIONS or lower in REPORTING_VERBS:
            break
        if lower == "of" and (i == 0 or not tokens[i - 1][2][:1].isupper()):
            break
        i -= 1
        taken += 1
    if taken == 0:
        return None
    return tokens[i + 1][0], tokens[end_index][1]


_NAME_JOINERS = words("of de la le al bin van von der du da and")


def _name_like(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 6
        and words[0][:1].isupper()
        and words[0].lower() not in PRONOUNS
        and all(w[:1].isupper() or w in _NAME_JOINERS for w in words)
    )


def _appositive_subject(text: str, lo: int, comma: int) -> tuple[int, int] | None:
    """The subject before ``, said``: a name with its appositives when there is one.

    ``Nick Merrill, a spokesman for Mrs. Clinton, said`` -> from "Nick Merrill" up to the
    last comma; otherwise the noun phrase just before the comma.
    """
    closest = _subject_before(text, lo, comma)
    if closest is not None and text[closest[0] : closest[1]].lower() in _SENTENCE_ADVERBS:
        before = closest[0] - 1
        while before > lo and text[before].isspace():
            before -= 1
        if before > lo and text[before] == ",":
            return _subject_before(text, lo, before)
        return None
    position = comma
    for _ in range(3):
        previous = text.rfind(",", max(lo, position - 200), position)
        if previous < 0:
            break
        segment = text[previous + 1 : position]
        if any(q in segment for q in '"“”') or "''" in segment or len(segment.split()) > 25:
            break
        name = _subject_before(text, lo, previous)
        if name is not None and _name_like(text[name[0] : name[1]]):
            return name[0], comma
        position = previous
    return closest


def _sentence_subject(text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The subject at the start of a sentence: a pronoun or a run of capitalised words."""
    tokens = _tokens(text, lo, min(hi, lo + 120))
    i = 0
    while i < len(tokens) and tokens[i][2] in {"But", "And", "So", "Yet", '"', "“", "''"}:
        i += 1
    if i < len(tokens) and tokens[i][2].lower() in {"he", "she", "they", "we", "i"}:
        return tokens[i][0], tokens[i][1]
    start = i
    while (
        i < len(tokens)
        and i - start < 6
        and (tokens[i][2][:1].isupper() or (i > start and tokens[i][2] in _NAME_JOINERS))
    ):
        i += 1
    if i == start or i >= len(tokens) or not tokens[i][2].islower():
        return None
    return tokens[start][0], tokens[i - 1][1]


def _source_after(text: str, start: int, hi: int) -> tuple[int, int] | None:
    """The noun phrase after an inverted verb: ``..., said Putin.`` (with an appositive)."""
    tokens = _tokens(text, start, min(hi, start + 200))
    taken = 0
    for _, _, word in tokens:
        if word in _BOUNDARY_PUNCT or word == ".":
            break
        lower = word.lower()
        if taken and (lower in SUBJECT_BOUNDARY_WORDS or lower in _PREPOSITIONS):
            break
        taken += 1
        if taken >= _MAX_SOURCE_TOKENS:
            break
    if taken == 0:
        return None
    first = tokens[0][2]
    if not (first[:1].isupper() or first.lower() in {"the", "a", "an", "his", "her", "its"}):
        return None
    end = tokens[taken - 1][1]
    # ", said Gary Orfield, a professor at UCLA." - the appositive runs to the end.
    if taken < len(tokens) and tokens[taken][2] == ",":
        rest = tokens[taken + 1 :]
        if (
            rest
            and len(rest) <= 25
            and not any(t[2] in _BOUNDARY_PUNCT and t[2] not in {"(", ")", "&"} for t in rest[:-1])
        ):
            last = rest[-1]
            end = (
                last[1] if last[2] not in {".", "!", "?"} else rest[-2][1] if len(rest) > 1 else end
            )
    return tokens[0][0], end


def _according_source(text: str, start: int, hi: int) -> tuple[int, int] | None:
    tokens = _tokens(text, start, min(hi, start + 160))
    taken = 0
    for _, _, word in tokens:
        lower = word.lower()
        if word in _BOUNDARY_PUNCT or word == ".":
            break
        if taken and (
            lower in SUBJECT_BOUNDARY_WORDS
            or lower in {"is", "are", "was", "were", "has", "have", "had", "will", "would"}
            or (word.islower() and lower.endswith("ed") and lower not in {"united"})
            or lower in _SAY_VERBS
        ):
            break
        taken += 1
        if taken >= 12:
            break
    if taken == 0:
        return None
    return tokens[0][0], tokens[taken - 1][1]


def _words(text: str, start: int, end: int) -> int:
    return sum(1 for _ in re.finditer(r"\w+", text[start:end]))


_ADJUNCT_AFTER_VERB = re.compile(
    r"\A\s*(?:(?:in|on|at|to|during|via|after|before|last|this|earlier|later|late|early|"
    r"when|while|of|an?|the|his|her|their|its|reporters|journalists|us|me|him|them|"
    r"statement|interview|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"week|month|year|night|morning|afternoon|evening|today|yesterday|separate|"
    r"statements|recently|previously|also|again|\w+ly)\b[\s,]*){0,8}[.!?\"”’]*\s*\Z"
)


def _content_right(
    text: str, cue_start: int, cue_end: int, hi: int, verb: str
) -> tuple[int, int] | None:
    """Content after the cue, skipping a recipient, a channel, and up to a ``that``."""
    start = cue_end
    tokens = _tokens(text, cue_end, min(hi, cue_end + 120))
    for k, (t_start, t_end, word) in enumerate(tokens[:9]):
        if word == "that":
            start = t_end
            break
        if word in ',;:"“':
            if k <= 1 or word in ':"“':
                start = t_start if word in '"“' else t_end
            break
    else:
        if verb in _RECIPIENT_VERBS and tokens:
            # "told reporters the plan ..." - drop one short object.
            first = tokens[0][2]
            if first.lower() in {"reporters", "journalists", "him", "her", "them", "us", "me"}:
                start = tokens[0][1]
    begin, end = _trim(text, start, hi)
    if end - begin < 2:
        return None
    return begin, end


def _extend_to_open_quote(text: str, para_start: int, start: int, end: int) -> int:
    """If content ends in a closing quote opened in an earlier sentence, start there."""
    if end - start < 2 or text[end - 1] not in _CLOSE_QUOTES:
        return start
    if text[end - 1] == "”":
        if text.find("“", start, end) >= 0:
            return start
        found = text.rfind("“", max(para_start, start - 2000), start)
    elif text[end - 2 : end] == "''":
        if text.count("''", start, end) % 2 == 0:
            return start
        found = text.rfind("''", max(para_start, start - 2000), start)
    elif text[end - 1] == '"':
        if text.count('"', start, end) % 2 == 0:
            return start
        found = text.rfind('"', max(para_start, start - 2000), start)
    else:
        return start
    return found if found >= 0 else start


def find_in_sentence(
    text: str, index: int, lo: int, hi: int, para_start: int
) -> list[RawAttribution]:
    """All cue-bearing attributions of the sentence ``text[lo:hi]``."""
    found: list[RawAttribution] = []
    matches = [
        m
        for m in _CUE.finditer(text, lo, hi)
        # Not "so-called", "Trump's", nor a quote that opens on the verb (a partial quote).
        if not (m.start() > lo and text[m.start() - 1] in "-’'\"“")
        and not (m.group() in NOUN_LIKE_VERBS and _after_determiner(text, lo, m.start()))
    ][:MAX_CUES_PER_SENTENCE]
    previous_source: tuple[int, int] | None = None
    for n, match in enumerate(matches):
        cue_start, cue_end = match.span()
        verb = match.group().lower()
        subject = _lazy_subject(text, lo, cue_start)
        next_start = matches[n + 1].start() if n + 1 < len(matches) else hi
        if verb == "according to":
            raw = _according(text, index, lo, hi, cue_start, cue_end)
            if raw is not None:
                found.append(raw)
            continue
        # What comes right before the verb (auxiliaries skipped)?
        before = cue_start
        for tok_start, _, word in reversed(_tokens(text, max(lo, cue_start - 60), cue_start)):
            if word.lower() in VERB_PREFIX_WORDS:
                before = tok_start
            else:
                break
        left_char_pos = before - 1
        while left_char_pos >= lo and text[left_char_pos].isspace():
            left_char_pos -= 1
        left_char = text[left_char_pos] if left_char_pos >= lo else ""
        right_is_short = _ADJUNCT_AFTER_VERB.match(text[cue_end:hi]) is not None
        source: tuple[int, int] | None
        content: tuple[int, int] | None
        after: tuple[int, int] | None = None
        if left_char in ",”\"'—" and (
            right_is_short
            or _starts_inverted(text, cue_end, hi)
            or (left_char in "”\"'" and _short_tail(text, cue_end, hi))
        ):
            after = _source_after(text, _skip_space(text, cue_end, hi), hi)
        if after is not None:
            # "..., said Putin." / "'...,' said the spokesman, adding ..."
            source = after
            content_end = left_char_pos + 1 if left_char in "”\"'" else left_char_pos
            content = _trim(text, lo, content_end, strip_final=False)
        elif (right_is_short or _quote_then_subject(text, lo, subject(), cue_end, hi)) and (
            left_char_pos > lo
        ):
            # "..., the statement said." / "..., Tina Tchen, her chief of staff, said."
            source = _appositive_subject(text, lo, left_char_pos) if left_char == "," else subject()
            boundary = source[0] - 1 if source else left_char_pos
            while boundary > lo and text[boundary].isspace():
                boundary -= 1
            content_end = boundary + 1 if text[boundary] in "”\"'" else boundary
            content = _trim(text, lo, content_end, strip_final=False)
        else:
            if left_char == "," and verb.endswith("ing"):
                # "..., adding that ...": the subject of the sentence's main verb.
                source = previous_source or _sentence_subject(text, lo, cue_start)
            elif left_char == ",":
                source = _appositive_subject(text, lo, left_char_pos)
            else:
                source = subject()
            stop = hi
            if next_start < hi:
                # "..., adding that ..." / "..., he added" ends this content.
                comma = text.rfind(",", cue_end, next_start)
                if comma > cue_end and (
                    matches[n + 1].group().endswith("ing")
                    or len(text[comma:next_start].split()) <= 4
                ):
                    stop = comma
            content = _content_right(text, cue_start, cue_end, stop, verb)
        if content is None or content[1] <= content[0]:
            continue
        content = (_extend_to_open_quote(text, para_start, *content), content[1])
        kind = _kind_for(text, verb, source)
        channel = _channel(text, cue_end, hi, source)
        if verb.startswith("tweet"):
            channel = channel or "Twitter"
        found.append(RawAttribution(index, kind, (cue_start, cue_end), source, content, channel))
        previous_source = source or previous_source
    return found


_LAST_WORD = re.compile(r"(\w+)(?:’s|'s)?\s*$")


def _after_determiner(text: str, lo: int, start: int) -> bool:
    match = _LAST_WORD.search(text, max(lo, start - 30), start)
    if match is None:
        return False
    possessive = match.group().rstrip().endswith(("’s", "'s"))
    return possessive or match.group(1).lower() in DETERMINERS


def _skip_space(text: str, pos: int, hi: int) -> int:
    while pos < hi and text[pos].isspace():
        pos += 1
    return pos


_INVERTED_TAIL = re.compile(
    r"\s+(?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen)\.\s+)?[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,5}\s*[,.]"
    r"|\s+(?:the|a|an)(?:\s+[\w’'-]+){1,3}\s*[,.]"
)


def _lazy_subject(text: str, lo: int, cue_start: int) -> Callable[[], tuple[int, int] | None]:
    """The subject before the verb, computed at most once and only when asked for."""
    cache: list[tuple[int, int] | None] = []

    def get() -> tuple[int, int] | None:
        if not cache:
            cache.append(_subject_before(text, lo, cue_start))
        return cache[0]

    return get


def _quote_then_subject(
    text: str, lo: int, subject: tuple[int, int] | None, cue_end: int, hi: int
) -> bool:
    """``"...," Mr. Smith said in an interview at his office.`` - the quote is the content."""
    if subject is None:
        return False
    before = subject[0] - 1
    while before > lo and text[before].isspace():
        before -= 1
    if before <= lo or text[before] not in "”\"'" or text[before - 1] not in ",?!'":
        return False
    tail = text[cue_end : min(hi, cue_end + 200)]
    return " that " not in tail and not any(q in tail for q in '“"') and "''" not in tail


_SHORT_TAIL = re.compile(r"\s+[^,.;:!?\"“”]{1,90}[,.;:!?]")


def _short_tail(text: str, cue_end: int, hi: int) -> bool:
    """After a closing quote: ``," said the former top aide to President Bush.``"""
    match = _SHORT_TAIL.match(text, cue_end, min(hi, cue_end + 100))
    return match is not None and len(match.group().split()) <= 12 and " that " not in match.group()


def _starts_inverted(text: str, cue_end: int, hi: int) -> bool:
    """``, said Mr. Smith, the ...`` - a capitalised name right after the verb."""
    return _INVERTED_TAIL.match(text[cue_end : min(hi, cue_end + 100)]) is not None


def _according(
    text: str, index: int, lo: int, hi: int, cue_start: int, cue_end: int
) -> RawAttribution | None:
    source = _according_source(text, _skip_space(text, cue_end, hi), hi)
    if source is None:
        return None
    after = _skip_space(text, source[1], hi)
    left_words = _words(text, lo, cue_start)
    content: tuple[int, int]
    if after < hi and (text[after].isalnum()):
        content = _trim(text, after, hi)  # "which according to X killed ..."
    elif left_words >= 3:
        content = _trim(text, lo, cue_start, strip_final=False)
    else:
        content = _trim(text, after, hi)
    if content[1] - content[0] < 2:
        return None
    channel = "statement" if "statement" in text[source[0] : source[1]].lower() else None
    return RawAttribution(index, "according_to", (cue_start, cue_end), source, content, channel)


def _kind_for(text: str, verb: str, source: tuple[int, int] | None) -> str:
    if verb in CLAIM_VERBS:
        return "claims"
    if verb in ANNOUNCE_VERBS:
        return "announced"
    if source is not None:
        words = text[source[0] : source[1]].split()
        if (
            words
            and words[-1].lower().strip(",") in ANONYMOUS_SOURCE_HEADS
            and not any(w[:1].isupper() for w in words[1:])
            and not words[0][:1].isupper()
        ):
            return "anonymous"
    return "said"


def _channel(text: str, cue_end: int, hi: int, source: tuple[int, int] | None) -> str | None:
    match = _CHANNEL.match(text, cue_end, min(hi, cue_end + 60))
    if match is not None:
        name = match.group(1)
        return name if name[0].isupper() else name.lower()
    if source is not None:
        words = text[source[0] : source[1]].lower()
        for channel in ("statement", "report", "release", "tweet", "post", "letter"):
            if channel in words:
                return "statement" if channel == "release" else channel
    return None


def find_quotes(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Quoted stretches (with their quote marks) inside ``text[lo:hi]``."""
    return [m.span() for m in _QUOTE.finditer(text, lo, hi)]
