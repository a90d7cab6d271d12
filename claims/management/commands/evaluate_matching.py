"""Score claim matching on CheckThat! 2020 task 2 data (MAP@1, MAP@5, MRR).

    manage.py evaluate_matching ../shared/data/checkthat2020-task2 --split dev [--json]

DIR holds `verified_claims.docs.tsv` (id, vclaim, title) and one folder per split with
`tweets.queries.tsv` (id, tweet) and `tweet-vclaim-pairs.qrels` (tweet id, 0, vclaim id, 1).
The verified claims are loaded as Claims inside a transaction that is rolled back at the
end, so the command can run against any database (the data never stays in it), and every
tweet is matched with `similar_claims` restricted to those claims.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from claims import matching
from claims.models import Claim, content_hash

csv.field_size_limit(sys.maxsize)


def read_tsv(path: Path, *, quoted: bool = True) -> dict[str, str]:
    """id → text of a CheckThat! TSV whose first row is a header. The tweets file quotes
    fields that contain quotes (CSV style); the verified claims file does not, and reading
    it as quoted would merge a dozen claims into their neighbours."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(
            handle, delimiter="\t", quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
        )
        next(rows, None)
        return {row[0].strip(): row[1] for row in rows if len(row) >= 2 and row[0].strip()}


def read_qrels(path: Path) -> dict[str, set[str]]:
    relevant: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[3] != "0":
            relevant.setdefault(parts[0], set()).add(parts[2])
    return relevant


def average_precision(ranked: list[str], relevant: set[str], k: int) -> float:
    """AP@k as the CheckThat! 2020 scorer computes it: precision at each relevant hit in the
    top k, divided by the number of relevant claims."""
    hits, total = 0, 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / i
    return total / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[str], relevant: set[str]) -> float:
    for i, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / i
    return 0.0


def score_runs(runs: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    queries = [q for q in qrels if q in runs]
    n = len(queries) or 1
    return {
        "queries": float(len(queries)),
        "map@1": sum(average_precision(runs[q], qrels[q], 1) for q in queries) / n,
        "map@5": sum(average_precision(runs[q], qrels[q], 5) for q in queries) / n,
        "mrr": sum(reciprocal_rank(runs[q], qrels[q]) for q in queries) / n,
    }


def load_verified_claims(vclaims: dict[str, str]) -> dict[int, str]:
    """Store the dataset's verified claims (id -> text) as published Claims, inside the
    caller's transaction, which is never committed; returns Claim id -> dataset id. The
    statistics matching ranks by are refreshed to include them."""
    created = Claim.objects.bulk_create(
        [
            Claim(text=text, text_hash=content_hash(text), status=Claim.Status.PUBLISHED)
            for text in vclaims.values()
        ],
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE claims_claim")
    matching.reset_statistics()
    return {claim.pk: vid for claim, vid in zip(created, vclaims, strict=True)}


def evaluate(
    directory: Path,
    split: str,
    *,
    depth: int = 20,
    use_embeddings: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    vclaims = read_tsv(directory / "verified_claims.docs.tsv", quoted=False)
    queries = read_tsv(directory / split / "tweets.queries.tsv")
    qrels = read_qrels(directory / split / "tweet-vclaim-pairs.qrels")
    started = time.monotonic()
    with transaction.atomic():
        # 1. The verified claims become Claims, only for the length of this transaction.
        by_pk = load_verified_claims(vclaims)
        ids = list(by_pk)
        loaded = time.monotonic()
        # 2. Every query with relevance judgements, ranked among those claims only.
        runs: dict[str, list[str]] = {}
        todo = [q for q in qrels if q in queries]
        for i, qid in enumerate(todo, start=1):
            found = matching.similar_claims(
                text=queries[qid], limit=depth, among=ids, use_embeddings=use_embeddings
            )
            runs[qid] = [by_pk[m.claim_id] for m in found]
            if progress:
                progress(i, len(todo))
        transaction.set_rollback(True)
    matching.reset_statistics()
    result: dict[str, Any] = score_runs(runs, qrels)
    result.update(
        split=split,
        verified_claims=len(vclaims),
        embeddings=use_embeddings is not False
        and matching.embedding_model(force=use_embeddings is True) is not None,
        load_seconds=round(loaded - started, 2),
        match_seconds=round(time.monotonic() - loaded, 2),
    )
    return result


class Command(BaseCommand):
    help = "MAP@1, MAP@5 and MRR of claim matching on CheckThat! 2020 task 2 data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="holds verified_claims.docs.tsv and split folders")
        parser.add_argument("--split", default="dev")
        parser.add_argument("--depth", type=int, default=20, help="matches kept per query")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--embeddings",
            action="store_true",
            help="re-rank with the sentence-embedding model (default: as in settings)",
        )
        mode.add_argument("--no-embeddings", action="store_true", help="lexical re-ranking only")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        split = options["split"]
        for needed in (
            directory / "verified_claims.docs.tsv",
            directory / split / "tweets.queries.tsv",
            directory / split / "tweet-vclaim-pairs.qrels",
        ):
            if not needed.is_file():
                raise CommandError(f"{needed} is missing.")

        def progress(done: int, total: int) -> None:
            if options["verbosity"] >= 1 and (done % 20 == 0 or done == total):
                sys.stderr.write(f"\r  matched {done}/{total} queries")
                if done == total:
                    sys.stderr.write("\n")

        result = evaluate(
            directory,
            split,
            depth=options["depth"],
            use_embeddings=(
                True if options["embeddings"] else False if options["no_embeddings"] else None
            ),
            progress=progress,
        )
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(
            f"{split}: {int(result['queries'])} queries over {result['verified_claims']} "
            f"verified claims (embeddings {'on' if result['embeddings'] else 'off'})\n"
            f"  MAP@1 {result['map@1']:.4f}  MAP@5 {result['map@5']:.4f}  "
            f"MRR {result['mrr']:.4f}  ({result['match_seconds']:.1f} s)"
        )
