"""Extraction throughput: words per second on one core, and the cost relative to a bare
``re.findall(r"\\w+")`` pass over the same text in the same run (so the ratio is comparable
across machines).

    python tests/benchmarks/bench_extraction.py [--repeat N] [--polnear DIR ...] [--load-claims N]

The corpus is the seed article plus the PolNeAR texts beside the repository
(../shared/data/polnear/{train,dev}/text) when they are there.

Also times the bulk load (`manage.py generate_corpus --claims N`, COPY with sources,
appearances, attributions, figures, reviews and tasks) into a scratch PostgreSQL database
(BENCH_LOAD_DATABASE_URL, default .../factcheck_bench_load, dropped afterwards), and writes
build/bench/extraction.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from claims.extraction import extract  # noqa: E402

DATA = REPO / ".." / "shared" / "data"
LOAD_URL = "postgres://postgres@127.0.0.1:5432/factcheck_bench_load"
DEFAULT_POLNEAR = [DATA / "polnear" / "train", DATA / "polnear" / "dev"]
_WORD = re.compile(r"\w+")


def build_corpus(polnear_dirs: list[Path] | None = None) -> list[str]:
    """The seed article plus every PolNeAR text found (none when the data is absent)."""
    texts = [(REPO / "seeds" / "russia-mali-talks.txt").read_text(encoding="utf-8")]
    for directory in polnear_dirs if polnear_dirs is not None else DEFAULT_POLNEAR:
        text_dir = Path(directory) / "text"
        if text_dir.is_dir():
            texts.extend(p.read_text(encoding="utf-8") for p in sorted(text_dir.glob("*.txt")))
    return texts


def _best_of(repeat: int, work: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()  # CPU time of this process: one core
        work()
        best = min(best, time.process_time() - started)
    return best


def run(texts: list[str], repeat: int = 3) -> dict[str, float]:
    words = sum(len(_WORD.findall(t)) for t in texts)
    characters = sum(len(t) for t in texts)
    extract(texts[0])  # warm up: regex compilation, lazy model loading

    def extract_all() -> None:
        for text in texts:
            extract(text)

    def findall_all() -> None:
        for text in texts:
            _WORD.findall(text)

    extract_seconds = _best_of(repeat, extract_all)
    findall_seconds = _best_of(repeat, findall_all)
    return {
        "documents": float(len(texts)),
        "words": float(words),
        "characters": float(characters),
        "extract_seconds": extract_seconds,
        "words_per_second": words / extract_seconds if extract_seconds else float("inf"),
        "findall_words_per_second": words / findall_seconds if findall_seconds else float("inf"),
        "slowdown_vs_findall": extract_seconds / findall_seconds if findall_seconds else 0.0,
    }


def bulk_load(claims: int, url: str) -> float | None:
    """Claims per second through generate_corpus into a fresh database; None without one."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        return None
    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        print(f"bulk load skipped: {exc}", file=sys.stderr)
        return None
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "DB_STATEMENT_TIMEOUT_MS": "0"}
    manage = [sys.executable, str(REPO / "manage.py")]
    try:
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        started = time.perf_counter()
        subprocess.run(
            [*manage, "generate_corpus", "--claims", str(claims), "-v0"], env=env, check=True
        )
        return claims / (time.perf_counter() - started)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def write_json(result: dict[str, float], load_rate: float | None, claims: int) -> None:
    figures = [
        {
            "metric": "extractor throughput (one core)",
            "value": round(result["words_per_second"]),
            "unit": "words/s",
            "baseline": "bare re.findall over the same text",
            "baseline_value": round(result["findall_words_per_second"]),
            "ratio": round(result["words_per_second"] / result["findall_words_per_second"], 4),
            "target": None,
            "met": None,
            "note": f"{int(result['documents'])} documents, {int(result['words']):,} words",
        }
    ]
    if load_rate is not None:
        figures.append(
            {
                "metric": "claims bulk-loaded (generate_corpus, COPY, with related rows)",
                "value": round(load_rate),
                "unit": "claims/s",
                "baseline": None,
                "baseline_value": None,
                "ratio": None,
                "target": None,
                "met": None,
                "note": f"{claims:,} claims into an empty database, search indexes included",
            }
        )
    out = REPO / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "extraction.json").write_text(
        json.dumps(
            {
                "name": "extraction",
                "title": "Extraction and bulk load",
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "setup": "claims.extraction.extract on one core (best of repeats); bulk load "
                "through manage.py generate_corpus",
                "figures": figures,
            },
            indent=2,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--polnear", type=Path, nargs="*", default=None)
    parser.add_argument("--load-claims", type=int, default=20_000, help="0 skips the bulk load")
    parser.add_argument("--load-url", default=os.environ.get("BENCH_LOAD_DATABASE_URL", LOAD_URL))
    args = parser.parse_args(argv)
    texts = build_corpus(args.polnear)
    result = run(texts, args.repeat)
    print(
        f"{int(result['documents'])} documents, {int(result['words']):,} words: "
        f"{result['words_per_second']:,.0f} words/s "
        f"(bare re.findall: {result['findall_words_per_second']:,.0f} words/s; "
        f"extract is {result['slowdown_vs_findall']:.0f}x slower)"
    )
    load_rate = bulk_load(args.load_claims, args.load_url) if args.load_claims else None
    if load_rate is not None:
        print(f"bulk load: {load_rate:,.0f} claims/s ({args.load_claims:,} claims)")
    write_json(result, load_rate, args.load_claims)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
