"""The extractor's output: plain dataclasses, JSON-serialisable with ``dataclasses.asdict``.

Every offset is a character offset into the text given to ``extract``, end exclusive,
and every ``text`` field equals ``source_text[start:end]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Span:
    start: int
    end: int
    text: str


@dataclass
class Sentence:
    index: int
    start: int
    end: int
    text: str
    kind: str  # claim, opinion, question, other
    checkworthiness: float  # 0..1
    reasons: list[str] = field(default_factory=list)


@dataclass
class Attribution:
    index: int
    sentence: int  # index of the sentence holding the cue (or the content when no cue)
    # according_to, said, direct_quote, partial_quote, claims, announced, anonymous,
    # unattributed
    kind: str
    cue: Span | None
    source: Span | None
    content: Span
    actor: int | None = None  # index into Extraction.actors
    channel: str | None = None  # "statement", "X", "Twitter", "interview", ...
    parent: int | None = None  # index of the enclosing attribution (chains, partial quotes)


@dataclass
class Figure:
    index: int
    sentence: int
    start: int
    end: int
    text: str
    value: float
    lower: float | None
    upper: float | None
    qualifier: str  # exact, over, at_least, about, up_to, under, range
    metric: str | None = None  # killed, injured, troops, people, ...
    unit: str | None = None  # percent, USD, ...
    subject: str | None = None  # the counted noun phrase: "people", "American troops"
    additional: bool = False  # "200 more"


@dataclass
class Actor:
    index: int
    name: str  # canonical: "Vladimir Putin", "Kremlin", "Mali, Niger and Burkina Faso"
    kind: str  # person, organisation, government, collective, country, outlet, unknown
    mentions: list[Span] = field(default_factory=list)


@dataclass
class Claim:
    index: int
    sentence: int
    start: int
    end: int
    text: str
    kind: str  # figure, quote, event, causal, prediction, other
    checkworthiness: float
    attributions: list[int] = field(default_factory=list)
    figures: list[int] = field(default_factory=list)


@dataclass
class Extraction:
    version: str
    sentences: list[Sentence] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    actors: list[Actor] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
