"""Extraction throughput: words per second on one core, and the cost relative to a bare
``re.findall(r"\\w+")`` pass over the same text in the same run (so the ratio is comparable
across machines).

    python tests/benchmarks/bench_extraction.py [--repeat N] [--polnear DIR ...]

The corpus is the seed article plus the PolNeAR texts beside the repository
(../shared/data/polnear/{train,dev}/text) when they are there.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from claims.extraction import extract  # noqa: E402

DATA = REPO / ".." / "shared" / "data"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--polnear", type=Path, nargs="*", default=None)
    args = parser.parse_args(argv)
    texts = build_corpus(args.polnear)
    result = run(texts, args.repeat)
    print(
        f"{int(result['documents'])} documents, {int(result['words']):,} words: "
        f"{result['words_per_second']:,.0f} words/s "
        f"(bare re.findall: {result['findall_words_per_second']:,.0f} words/s; "
        f"extract is {result['slowdown_vs_findall']:.0f}x slower)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
