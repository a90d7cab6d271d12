"""Train the sentence check-worthiness scorer (needs scikit-learn: the ``train`` extra).

    python -m claims.extraction.train_checkworthiness \\
        --data ../shared/data/checkthat2024-task1-en \\
        --out claims/extraction/data/checkworthiness.json.gz

Data: CLEF CheckThat! 2024 Task 1 English, ``{train,dev,dev-test}.tsv`` with columns
``Sentence_id<TAB>Text<TAB>class_label`` (``Yes``/``No``). It is read from ``--data`` and
never copied into the project.

Protocol (nothing is chosen on dev-test, which is only reported):

1. Features come from ``checkworthiness.features`` (the same code that runs at inference):
   binary word unigrams, bigrams and hand-written cues, L2-normalised per sentence.
2. The regularisation strength ``C`` is chosen on **train only**, by blocked 5-fold
   cross-validation over contiguous ranges of ``Sentence_id``. The ids follow the debates
   in time, so each fold holds out whole, unseen debates; that estimates transfer to new
   text far better than dev, which comes from the same debates as train.
3. The final model is fitted on all of train; features seen in fewer than ``--min-df``
   training sentences and near-zero weights are pruned.
4. The decision threshold maximises F1 of ``Yes`` on **dev**.
5. Dev and dev-test precision, recall and F1 of ``Yes`` are printed at that threshold.

Everything is deterministic (fixed seed, deterministic solver, sorted inputs).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from claims.extraction import checkworthiness as cw

SEED = 20240
C_GRID = (1.0, 2.0, 4.0, 8.0)
N_FOLDS = 5

_MERGED_LABEL = re.compile(r"(Yes|No)(\d+)")


def read_split(path: Path) -> list[tuple[int, str, bool]]:
    """``(sentence_id, text, is_yes)`` rows sorted by id; tolerates one known glitch.

    train.tsv has a line where two records were glued together (``No29286`` in the label
    column, followed by the next record's text and label); it is split back into two.
    """
    rows: list[tuple[int, str, bool]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header is None:
            return rows
        for rec in reader:
            if not rec:
                continue
            if len(rec) == 5 and (m := _MERGED_LABEL.fullmatch(rec[2].strip())):
                rows.append((int(rec[0]), rec[1], m.group(1) == "Yes"))
                rows.append((int(m.group(2)), rec[3], rec[4].strip() == "Yes"))
            elif len(rec) >= 3:
                rows.append((int(rec[0]), rec[1], rec[2].strip() == "Yes"))
    rows.sort(key=lambda r: r[0])
    return rows


def prf(gold: list[bool], pred: list[bool]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the positive ("Yes") class."""
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(gold: list[bool], probs: list[float]) -> tuple[float, float]:
    """The threshold (grid of 0.01) that maximises F1; ties go to the lower threshold."""
    best_f1, best_t = -1.0, 0.5
    for i in range(5, 96):
        t = i / 100
        f1 = prf(gold, [p >= t for p in probs])[2]
        if f1 > best_f1 + 1e-12:
            best_f1, best_t = f1, t
    return best_t, best_f1


def main(argv: list[str] | None = None) -> int:
    try:
        import numpy as np
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression
    except ImportError:  # pragma: no cover - only when the extra is missing
        print(
            "scikit-learn is needed for training: pip install 'factcheck[train]'",
            file=sys.stderr,
        )
        return 2

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="dir with train/dev/dev-test.tsv")
    ap.add_argument("--out", type=Path, default=cw.MODEL_PATH, help="model file (.json.gz)")
    ap.add_argument("--min-df", type=int, default=2, help="drop rarer training features")
    ap.add_argument("--min-weight", type=float, default=0.02, help="drop smaller |weights|")
    ap.add_argument("--C", type=float, default=None, help="skip the cross-validated search")
    args = ap.parse_args(argv)

    started = time.monotonic()
    splits = {name: read_split(args.data / f"{name}.tsv") for name in ("train", "dev", "dev-test")}
    for name, rows in splits.items():
        print(f"{name}: {len(rows)} sentences, {sum(r[2] for r in rows)} Yes")

    feats = {name: [cw.features(text) for _, text, _ in rows] for name, rows in splits.items()}
    gold = {name: [y for _, _, y in rows] for name, rows in splits.items()}
    df = Counter(f for fs in feats["train"] for f in fs)
    vocab = sorted(f for f, n in df.items() if n >= args.min_df)
    index = {f: i for i, f in enumerate(vocab)}

    def matrix(rows: list[set[str]]) -> Any:
        # Normalise over all active features (as inference does), then keep the vocabulary.
        data: list[float] = []
        cols: list[int] = []
        indptr = [0]
        for fs in rows:
            scale = 1.0 / max(len(fs), 1) ** 0.5
            for f in sorted(fs):
                j = index.get(f)
                if j is not None:
                    cols.append(j)
                    data.append(scale)
            indptr.append(len(cols))
        return sparse.csr_matrix((data, cols, indptr), shape=(len(rows), len(vocab)))

    x = {name: matrix(fs) for name, fs in feats.items()}
    y = {name: np.array(g, dtype=int) for name, g in gold.items()}

    def fit(xm: Any, ym: Any, c: float) -> Any:
        model = LogisticRegression(
            C=c, class_weight="balanced", solver="lbfgs", max_iter=5000, random_state=SEED
        )
        return model.fit(xm, ym)

    if args.C is None:
        n = x["train"].shape[0]
        bounds = [k * n // N_FOLDS for k in range(N_FOLDS + 1)]
        cv_scores: dict[float, float] = {}
        for c in C_GRID:
            fold_f1 = []
            for k in range(N_FOLDS):
                lo, hi = bounds[k], bounds[k + 1]
                keep = np.r_[0:lo, hi:n]
                model = fit(x["train"][keep], y["train"][keep], c)
                probs = model.predict_proba(x["train"][lo:hi])[:, 1].tolist()
                fold_f1.append(best_threshold(gold["train"][lo:hi], probs)[1])
            cv_scores[c] = sum(fold_f1) / len(fold_f1)
            print(f"C={c:g}: blocked {N_FOLDS}-fold CV F1(Yes) on train = {cv_scores[c]:.4f}")
        chosen_c = max(C_GRID, key=lambda c: (cv_scores[c], -c))
    else:
        chosen_c = args.C
    print(f"chosen C = {chosen_c:g}")

    model = fit(x["train"], y["train"], chosen_c)
    coef = model.coef_[0]
    weights = {
        f: round(float(w), 4)
        for f, w in zip(vocab, coef, strict=True)
        if abs(float(w)) >= args.min_weight
    }
    bias = float(model.intercept_[0])

    # Score through the exported (pruned, rounded) weights, exactly as inference will.
    exported = cw._Model(weights=weights, bias=bias, threshold=0.5, meta={})

    def probs_of(name: str) -> list[float]:
        return [cw.probability(text, exported) for _, text, _ in splits[name]]

    threshold, _ = best_threshold(gold["dev"], probs_of("dev"))
    results: dict[str, dict[str, float]] = {}
    for name in ("dev", "dev-test"):
        p, r, f1 = prf(gold[name], [q >= threshold for q in probs_of(name)])
        results[name] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}
        print(f"{name}: threshold {threshold:.2f}  P {p:.4f}  R {r:.4f}  F1(Yes) {f1:.4f}")

    payload = {
        "format": 1,
        "threshold": threshold,
        "bias": round(bias, 6),
        "meta": {
            "trained_on": "CLEF CheckThat! 2024 Task 1 English, train split",
            "C": chosen_c,
            "min_df": args.min_df,
            "min_weight": args.min_weight,
            "features_kept": len(weights),
            "features_seen": len(df),
            "results": results,
        },
        "weights": dict(sorted(weights.items())),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # No file name and a zero mtime in the gzip header: the output is byte-reproducible.
    with (
        args.out.open("wb") as fh,
        gzip.GzipFile(filename="", fileobj=fh, mode="wb", mtime=0) as gz,
    ):
        gz.write(raw)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, {len(weights)} weights) "
        f"in {time.monotonic() - started:.0f}s"
    )
    if abs(threshold - cw.THRESHOLD) > 1e-9:
        print(f"NOTE: set THRESHOLD = {threshold} in claims/extraction/checkworthiness.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
