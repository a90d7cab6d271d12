"""Latency of claim matching over a large corpus (run by `make bench`, not by pytest).

    .venv/bin/python tests/benchmarks/bench_matching.py [--claims 1000000] [--queries 200]

Uses a dedicated PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/factcheck_bench), created and migrated when missing; the
corpus is generated once (`manage.py generate_corpus`) and reused by later runs, topped up
when --claims asks for more. Reports p50/p95/p99 of `similar_claims` over a fixed set of
queries (claims of the corpus reworded, a figure changed, words dropped), and of a plain
PostgreSQL full-text query over the same table in the same run, with their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/factcheck_bench"


def _ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[-1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdef")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    # A pathological candidate query must show as slow, not be cut off.
    os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _queries(n: int, seed: int) -> list[str]:
    """Claims of the corpus as they come back: reworded, a figure changed, words dropped."""
    from django.db import connection

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM claims_claim")
        top = cursor.fetchone()[0] or 0
        texts: list[str] = []
        while len(texts) < n:
            cursor.execute(
                "SELECT text FROM claims_claim WHERE id >= %s ORDER BY id LIMIT 1",
                [rng.randint(1, top)],
            )
            row = cursor.fetchone()
            if row:
                texts.append(row[0])
    out = []
    for i, text in enumerate(texts):
        words = text.rstrip(".").split()
        kind = i % 4
        if kind == 0:  # words dropped
            words = [w for w in words if rng.random() > 0.2] or words
        elif kind == 1:  # reordered halves
            half = len(words) // 2
            words = words[half:] + words[:half]
        elif kind == 2:  # a figure changed
            words = [str(int(w) + 3) if w.isdigit() else w for w in words]
        out.append(" ".join(words) if kind != 3 else f"Reports say {text.lower()}")
    return out


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {
        "p50_ms": round(pct(0.5) * 1000, 2),
        "p95_ms": round(pct(0.95) * 1000, 2),
        "p99_ms": round(pct(0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


def _write_result(report: dict[str, Any]) -> None:
    """build/bench/matching.json, in the shape tests/benchmarks/report.py reads."""
    from datetime import UTC, datetime

    runs, total = report["results"], report["claims"]
    at_scale = total >= 1_000_000
    figures: list[dict[str, Any]] = []
    for name, label in (
        ("similar_claims", "similar_claims"),
        ("similar_claims_embeddings", "similar_claims with embeddings"),
    ):
        if name not in runs:
            continue
        r = runs[name]
        for pct in ("p50", "p95"):
            target = "p95 < 50 ms at 1,000,000 claims" if name == "similar_claims" else None
            met = None
            if target and pct == "p95" and at_scale:
                met = r["p95_ms"] < 50
            figures.append(
                {
                    "metric": f"{label} {pct}",
                    "value": r[f"{pct}_ms"],
                    "unit": "ms",
                    "baseline": f"plain PostgreSQL full-text query {pct}",
                    "baseline_value": runs["plain_fulltext"][f"{pct}_ms"],
                    "ratio": r[f"{pct}_ratio_to_plain"],
                    "target": target if pct == "p95" else None,
                    "met": met,
                    "note": None
                    if at_scale or not target or pct != "p95"
                    else f"measured over {total:,} claims, not 1,000,000",
                }
            )
    result = {
        "name": "matching",
        "title": "Claim matching latency (similar_claims)",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": f"{total:,} claims (generate_corpus), {report['queries']} queries, one "
        "connection, queries interleaved with the plain full-text baseline",
        "figures": figures,
    }
    out = ROOT / "build" / "bench" / "matching.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--embeddings",
        action="store_true",
        help="also time the embedding re-ranker (CPU; cold caches per query)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    _ensure_database(args.url)
    _setup(args.url)
    from django.core.management import call_command
    from django.db import connection

    from claims import matching
    from claims.models import Claim

    call_command("migrate", verbosity=0)
    have = Claim.objects.count()
    if have < args.claims:
        print(f"corpus has {have:,} claims; generating {args.claims - have:,}", file=sys.stderr)
        call_command("generate_corpus", claims=args.claims - have, seed=args.seed + have)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    matching.reset_statistics()
    total = Claim.objects.count()
    queries = _queries(args.queries, args.seed)

    def plain(text: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM claims_claim, websearch_to_tsquery('english', %s) q "
                "WHERE search_vector @@ q ORDER BY ts_rank(search_vector, q) DESC LIMIT 10",
                [text],
            )
            cursor.fetchall()

    def similar(text: str, embeddings: bool) -> None:
        matching.similar_claims(text=text, limit=10, use_embeddings=embeddings)

    # Warm up caches, connections and the table's pages with queries outside the timed set.
    for text in _queries(20, args.seed + 1):
        plain(text)
        similar(text, False)
    runs: dict[str, Any] = {}
    timings: dict[str, list[float]] = {"similar_claims": [], "plain_fulltext": []}
    if args.embeddings and matching.embedding_model() is not None:
        timings["similar_claims_embeddings"] = []
    for text in queries:  # interleaved, so both see the same machine load
        started = time.perf_counter()
        plain(text)
        timings["plain_fulltext"].append(time.perf_counter() - started)
        started = time.perf_counter()
        similar(text, False)
        timings["similar_claims"].append(time.perf_counter() - started)
        if "similar_claims_embeddings" in timings:
            started = time.perf_counter()
            similar(text, True)
            timings["similar_claims_embeddings"].append(time.perf_counter() - started)
    for name, samples in timings.items():
        runs[name] = _percentiles(samples)
    base = runs["plain_fulltext"]
    for name in runs:
        if name != "plain_fulltext":
            runs[name]["p50_ratio_to_plain"] = round(runs[name]["p50_ms"] / base["p50_ms"], 2)
            runs[name]["p95_ratio_to_plain"] = round(runs[name]["p95_ms"] / base["p95_ms"], 2)
    report = {"claims": total, "queries": len(queries), "results": runs}
    _write_result(report)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"claim matching over {total:,} claims, {len(queries)} queries")
    for name, r in runs.items():
        ratio = (
            f"  ({r['p50_ratio_to_plain']}x / {r['p95_ratio_to_plain']}x plain)"
            if "p50_ratio_to_plain" in r
            else ""
        )
        print(
            f"  {name:28s} p50 {r['p50_ms']:8.2f} ms  p95 {r['p95_ms']:8.2f} ms  "
            f"p99 {r['p99_ms']:8.2f} ms{ratio}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
