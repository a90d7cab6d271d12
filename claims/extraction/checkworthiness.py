"""Sentence check-worthiness scorer (pure Python inference, stdlib only).

A logistic-regression model over word n-grams plus a few hand-written cues that carry over
from debate transcripts to news copy (numbers, percentages, money, magnitudes, comparisons,
reporting verbs, first-person opinion markers). It was trained on the English data of CLEF
CheckThat! 2024 Task 1 by ``python -m claims.extraction.train_checkworthiness``; the weights
ship beside this module in ``data/checkworthiness.json.gz`` and are loaded once, lazily.

Public API::

    score(text) -> (probability in 0..1, short list of human-readable reasons)
    is_checkworthy(text) -> bool          # probability >= THRESHOLD
    THRESHOLD                             # decision threshold chosen on the dev split

``features(text)`` is the single feature extractor used both here and by the trainer, so
training and inference can never disagree. Nothing here raises on any ``str`` input.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MODEL_PATH",
    "THRESHOLD",
    "features",
    "is_checkworthy",
    "load_model",
    "probability",
    "score",
]

MODEL_PATH = Path(__file__).resolve().parent / "data" / "checkworthiness.json.gz"

#: Decision threshold on the probability, chosen on the dev split (maximum F1 of "Yes") by
#: the trainer, which also stores it in the model file; a test keeps the two in sync.
THRESHOLD: float = 0.58

#: Longest text (in characters) that is looked at; sentences are far shorter.
_MAX_CHARS = 2000

# Feature names: a unigram is the token itself ("percent"), a bigram is two tokens joined by
# a space ("<s> we", "percent </s>"), a cue is "c:<name>". Every digit becomes "0", so numbers
# are kept by shape: "0", "00", "0,000", "0.0", "0000" (mostly years).
# A token is a number, a run of letters, a clitic ("don't" -> "don" "'t"), or a symbol.
_TOKEN_RE = re.compile(r"0+(?:[.,]0+)*|[^\W\d_]+|'[^\W\d_]+|[%$\u20ac\u00a3?!]")
_NORMALISE = str.maketrans(
    {
        **{chr(c): "0" for c in range(ord("0"), ord("9") + 1)},
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
    }
)
_YEAR_RE = re.compile(r"(?<![\d.,])(?:1[89]|20)\d\d(?![\d.,]\d)")
_NUMBERS_RE = re.compile(r"0(?:[.,]?0)*")
_PAST_ED_RE = re.compile(r"[^\W\d_]{3}ed ")
_CAPITALISED_RE = re.compile(r"(?<=[\w,;:] )[A-Z][a-z]+")
_CURRENCY = ("$", "\u20ac", "\u00a3")
_IRREGULAR_PAST = (
    "was were had did made took gave got went came brought bought paid sold lost won "
    "spent built left put set kept led sent cut grew became began told said"
)
_PERFECT_RE = re.compile(
    r"\b(?:has|have|had|'ve|'s) (?:[^\W\d_]{3,}ed|" + "|".join(_IRREGULAR_PAST.split()) + r")\b"
)


def _words(spec: str) -> list[str]:
    return spec.split()


# Token -> cue features it switches on.
_CUE_WORDS: dict[str, list[str]] = {
    "c:magnitude": _words(
        "hundred hundreds thousand thousands million millions billion billions trillion "
        "trillions percent percentage dozen dozens half double doubled tripled twice"
    ),
    "c:percent": _words("% percent percentage"),
    "c:number_word": _words(
        "one two three four five six seven eight nine ten eleven twelve fifteen twenty "
        "thirty forty fifty sixty seventy eighty ninety first second third fourth fifth"
    ),
    "c:comparative": _words(
        "more less fewer higher lower larger smaller bigger biggest largest highest lowest "
        "most least increase increased increases decrease decreased decreases rise rose "
        "risen fell fall drop dropped doubled cut cuts record since than"
    ),
    "c:reporting": _words(
        "said says say saying told according reported reports claimed claims announced "
        "stated admitted testified confirmed denied voted"
    ),
    "c:money_word": _words(
        "dollars dollar tax taxes budget deficit debt spending cost costs $ \u20ac \u00a3"
    ),
    "c:first_person": _words("i me my we our us"),
    "c:second_person": _words("you your"),
    "c:third_person": _words("he she they his her their him them"),
    "c:modal": _words("will would should could must can might may shall going"),
    "c:negation": _words("not no never 't nothing nobody"),
    "c:past": _words(_IRREGULAR_PAST),
    "c:question": ["?"],
    "c:exclamation": ["!"],
}
_CUES: dict[str, tuple[str, ...]] = {}
for _cue, _toks in _CUE_WORDS.items():
    for _tok in _toks:
        _CUES[_tok] = (*_CUES.get(_tok, ()), _cue)
_CUE_TOKENS = frozenset(_CUES)
_OPINION_FEATURES = frozenset(
    (
        "i think",
        "i believe",
        "i feel",
        "i hope",
        "i want",
        "i 'm",
        "we need",
        "we must",
        "we should",
        "we will",
        "i will",
        "in my",
        "my opinion",
        "thank you",
    )
)

_CUE_DESCRIPTIONS: dict[str, str] = {
    "c:number": "mentions a number",
    "c:numbers2": "mentions several numbers",
    "c:percent": "mentions a percentage",
    "c:money": "mentions an amount of money",
    "c:year": "mentions a year",
    "c:magnitude": "mentions a quantity word (million, percent, ...)",
    "c:number_word": "mentions a spelled-out number",
    "c:comparative": "makes a comparison or states a change",
    "c:reporting": "uses a reporting verb (said, according to, ...)",
    "c:money_word": "talks about money, taxes or budgets",
    "c:proper_noun": "names a person, place or organisation",
    "c:opinion": "first-person opinion or intention marker",
    "c:first_person": "speaks in the first person",
    "c:second_person": "addresses the listener",
    "c:third_person": "talks about someone else (he, she, they)",
    "c:modal": "speculative or future (will, would, should, ...)",
    "c:negation": "contains a negation",
    "c:past": "reports something that happened (past tense)",
    "c:perfect": "states a completed fact (has/have done)",
    "c:question": "is a question",
    "c:exclamation": "is an exclamation",
    "c:len_short": "is very short",
    "c:len_medium": "is of medium length",
    "c:len_long": "is long",
}


def _tokens(text: str) -> list[str]:
    """Lower-cased tokens of ``text``, digits replaced by "0"."""
    return _TOKEN_RE.findall(text[:_MAX_CHARS].lower().translate(_NORMALISE))


def features(text: str) -> set[str]:
    """The active (binary) feature names of ``text``; empty when it has no tokens."""
    text = text[:_MAX_CHARS]
    lowered = text.lower().translate(_NORMALISE)
    toks = _TOKEN_RE.findall(lowered)
    n = len(toks)
    if n == 0:
        return set()
    feats = set(toks)
    prevs = ["<s>", *toks]
    toks.append("</s>")
    feats.update(map(" ".join, zip(prevs, toks)))  # noqa: B905 - equal lengths by design
    for tok in _CUE_TOKENS.intersection(feats):
        feats.update(_CUES[tok])
    if "0" in lowered:
        numbers = _NUMBERS_RE.findall(lowered)
        if numbers:
            feats.add("c:number")
            if len(numbers) > 1:
                feats.add("c:numbers2")
            if _YEAR_RE.search(text):
                feats.add("c:year")
    if "c:past" not in feats:
        joined = " ".join(toks)  # ends with " </s>"
        if "ed " in joined and _PAST_ED_RE.search(joined):
            feats.add("c:past")
    if "c:past" in feats and _PERFECT_RE.search(lowered):
        feats.add("c:perfect")
    if not feats.isdisjoint(_OPINION_FEATURES):
        feats.add("c:opinion")
    if "c:money_word" in feats and (
        "c:number" in feats or "c:magnitude" in feats or "c:number_word" in feats
    ):
        feats.add("c:money")
    if _CAPITALISED_RE.search(text):
        feats.add("c:proper_noun")
    feats.add("c:len_short" if n <= 5 else "c:len_medium" if n <= 15 else "c:len_long")
    return feats


def describe(feature: str) -> str:
    """A human-readable description of a feature name."""
    if feature in _CUE_DESCRIPTIONS:
        return _CUE_DESCRIPTIONS[feature]
    body = feature.replace("<s> ", "").replace(" </s>", "").strip()
    if any(ch.isdigit() for ch in body):
        body = re.sub(r"0[0.,]*", "N", body)
    if feature.startswith("<s> "):
        return f'starts with "{body}"'
    if feature.endswith(" </s>"):
        return f'ends with "{body}"'
    if " " in body:
        return f'phrase "{body}"'
    return f'term "{body}"'


@dataclass(frozen=True)
class _Model:
    weights: dict[str, float]
    bias: float
    threshold: float
    meta: dict[str, Any]


_model: _Model | None = None
_lock = threading.Lock()


def load_model(path: Path | None = None) -> _Model:
    """Load (once, cached) the shipped weights; ``path`` forces a fresh load from a file."""
    global _model
    if path is None and _model is not None:
        return _model
    with _lock:
        if path is None and _model is not None:
            return _model
        src = path or MODEL_PATH
        with gzip.open(src, "rt", encoding="utf-8") as fh:
            raw = json.load(fh)
        model = _Model(
            weights={str(k): float(v) for k, v in raw["weights"].items()},
            bias=float(raw["bias"]),
            threshold=float(raw["threshold"]),
            meta=dict(raw.get("meta", {})),
        )
        if path is None:
            _model = model
        return model


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _logit(text: str, model: _Model) -> tuple[float, list[tuple[float, str]]] | None:
    """Log-odds and per-feature contributions; ``None`` when the text has no tokens."""
    feats = features(text)
    if not feats:
        return None
    # Binary features, L2-normalised over all active features (pruned ones included).
    scale = 1.0 / math.sqrt(len(feats))
    get = model.weights.get
    contributions = [(w * scale, f) for f in feats if (w := get(f)) is not None]
    z = model.bias + math.fsum(c for c, _ in contributions)
    return z, contributions


def _fast_logit(text: str, model: _Model) -> float | None:
    feats = features(text)
    if not feats:
        return None
    weights = model.weights
    hits = weights.keys() & feats
    return model.bias + math.fsum(map(weights.__getitem__, hits)) / math.sqrt(len(feats))


def score(text: str, *, max_reasons: int = 3) -> tuple[float, list[str]]:
    """Probability that ``text`` is worth fact-checking, and why.

    The reasons are the features that pushed hardest towards the decision: what makes it
    check-worthy when the probability reaches ``THRESHOLD``, otherwise what argues against.
    Text without any word or number scores 0.0.
    """
    model = load_model()
    try:
        found = _logit(text, model)
    except Exception:  # pragma: no cover - defensive: never raise inside the extractor
        return 0.0, []
    if found is None:
        return 0.0, ["has no words"]
    z, contributions = found
    p = _sigmoid(z)
    if p >= THRESHOLD:
        top = sorted((c for c in contributions if c[0] > 0), reverse=True)
        reasons = [describe(f) for _, f in top[:max_reasons]]
    else:
        top = sorted(c for c in contributions if c[0] < 0)
        reasons = ["against: " + describe(f) for _, f in top[:max_reasons]]
    return p, reasons


def probability(text: str, model: _Model | None = None) -> float:
    """Just the probability, without reasons: the fast path for bulk scoring.

    ``model`` defaults to the shipped one; the trainer passes the model it is exporting.
    """
    if model is None:
        model = load_model()
    try:
        z = _fast_logit(text, model)
    except Exception:  # pragma: no cover - defensive
        return 0.0
    return 0.0 if z is None else _sigmoid(z)


def is_checkworthy(text: str) -> bool:
    """Whether ``text`` reaches the decision threshold chosen on the dev split."""
    return probability(text) >= THRESHOLD
