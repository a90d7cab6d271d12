"""Scoring the extractor against annotated data that lives outside the project.

Two measures, both pure Python so they run without Django:

- attributions against PolNeAR-style brat standoff (``text/<name>.txt`` plus
  ``attributions/<name>_<annotator>.ann``): an attribution is *found* when a predicted
  cue overlaps a gold cue (matched one to one); on found pairs the source and content
  spans are compared by character overlap;
- check-worthiness against CheckThat! TSV files (``Sentence_id<TAB>Text<TAB>class_label``):
  precision, recall and F1 of the ``Yes`` class at a threshold.

The data is never copied into the project; callers pass a path to it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

Fragments = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class GoldAttribution:
    """One annotated attribution; each role is a (possibly discontinuous) set of fragments."""

    cue: Fragments
    source: Fragments
    content: Fragments


@dataclass
class BratDocument:
    name: str
    text: str
    annotator: str | None
    attributions: list[GoldAttribution] = field(default_factory=list)


def _parse_fragments(spec: str) -> Fragments:
    fragments: list[tuple[int, int]] = []
    for part in spec.split(";"):
        bits = part.split()
        if len(bits) == 2 and bits[0].isdigit() and bits[1].isdigit():
            start, end = int(bits[0]), int(bits[1])
            if end > start:
                fragments.append((start, end))
    return tuple(fragments)


def parse_ann(ann_text: str) -> list[GoldAttribution]:
    """Read the ``T`` and ``E`` lines of one brat file into attributions."""
    spans: dict[str, Fragments] = {}
    events: list[dict[str, str]] = []
    for line in ann_text.splitlines():
        if line.startswith("T"):
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            label, _, spec = parts[1].partition(" ")
            del label
            spans[parts[0]] = _parse_fragments(spec)
        elif line.startswith("E"):
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            roles: dict[str, str] = {}
            for arg in parts[1].split():
                role, _, ref = arg.partition(":")
                roles[role.rstrip("0123456789")] = ref
            events.append(roles)
    attributions = []
    for roles in events:
        cue = spans.get(roles.get("Cue", ""), ())
        if not cue:
            continue  # nothing to match on
        attributions.append(
            GoldAttribution(
                cue=cue,
                source=spans.get(roles.get("Source", ""), ()),
                content=spans.get(roles.get("Content", ""), ()),
            )
        )
    return attributions


def _annotator_preferences(directory: Path) -> dict[str, list[str]]:
    """Annotators per article, in metadata.tsv order (beside or above the split dir)."""
    for candidate in (directory / "metadata.tsv", directory.parent / "metadata.tsv"):
        if candidate.is_file():
            prefs: dict[str, list[str]] = {}
            with candidate.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle, delimiter="\t"):
                    names = (row.get("annotators") or "").split("|")
                    prefs[row.get("filename") or ""] = [n for n in names if n]
            return prefs
    return {}


def load_brat_dir(directory: str | Path) -> list[BratDocument]:
    """Load every article of a split, with one annotator's attributions per article.

    The annotator is the first one listed in metadata.tsv whose file exists; without
    metadata, the alphabetically first file.
    """
    root = Path(directory)
    prefs = _annotator_preferences(root)
    ann_dir = root / "attributions"
    available: dict[str, list[str]] = {}
    if ann_dir.is_dir():
        for path in sorted(ann_dir.glob("*.ann")):
            stem, _, annotator = path.stem.rpartition("_")
            available.setdefault(stem, []).append(annotator)
    documents = []
    for text_path in sorted((root / "text").glob("*.txt")):
        name = text_path.stem
        text = text_path.read_text(encoding="utf-8")
        options = available.get(name, [])
        chosen = next((a for a in prefs.get(name, []) if a in options), None)
        if chosen is None and options:
            chosen = options[0]
        attributions: list[GoldAttribution] = []
        if chosen is not None:
            ann_path = ann_dir / f"{name}_{chosen}.ann"
            attributions = parse_ann(ann_path.read_text(encoding="utf-8"))
        documents.append(BratDocument(name, text, chosen, attributions))
    return documents


class Scores(TypedDict):
    precision: float
    recall: float
    f1: float


class AttributionScores(TypedDict):
    documents: int
    gold: int  # gold attributions (with a cue)
    predicted: int  # predicted attributions with a cue
    found: int  # pairs whose cues overlap, matched one to one
    attribution: Scores  # found / predicted, found / gold
    cue: Scores  # character overlap of the cues of found pairs
    source: Scores  # character overlap of the sources of found pairs
    content: Scores  # character overlap of the contents of found pairs


def _prf(hits: float, predicted: float, gold: float) -> Scores:
    precision = hits / predicted if predicted else 0.0
    recall = hits / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _length(fragments: Fragments) -> int:
    return sum(end - start for start, end in fragments)


def _overlap(a: Fragments, b: Fragments) -> int:
    total = 0
    for a_start, a_end in a:
        for b_start, b_end in b:
            total += max(0, min(a_end, b_end) - max(a_start, b_start))
    return total


def match_by_overlap(
    predicted: Sequence[Fragments], gold: Sequence[Fragments]
) -> list[tuple[int, int]]:
    """Pair predicted and gold spans one to one, largest overlap first."""
    candidates = []
    for p, p_frags in enumerate(predicted):
        for g, g_frags in enumerate(gold):
            shared = _overlap(p_frags, g_frags)
            if shared > 0:
                candidates.append((-shared, p, g))
    candidates.sort()
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for _, p, g in candidates:
        if p not in used_p and g not in used_g:
            used_p.add(p)
            used_g.add(g)
            pairs.append((p, g))
    return pairs


PredictFn = Callable[[str], Iterable[GoldAttribution]]


def predict_attributions(text: str) -> list[GoldAttribution]:
    """The extractor's attributions in the scorer's shape (only those with a cue)."""
    from claims.extraction import extract

    predicted = []
    for attribution in extract(text).attributions:
        if attribution.cue is None:
            continue
        predicted.append(
            GoldAttribution(
                cue=((attribution.cue.start, attribution.cue.end),),
                source=(
                    ((attribution.source.start, attribution.source.end),)
                    if attribution.source
                    else ()
                ),
                content=((attribution.content.start, attribution.content.end),),
            )
        )
    return predicted


def score_documents(
    documents: Iterable[BratDocument], predict: PredictFn = predict_attributions
) -> AttributionScores:
    """Attribution-level and per-role scores over documents (micro-averaged)."""
    n_docs = n_gold = n_pred = n_found = 0
    role_counts = {role: [0, 0, 0] for role in ("source", "content")}  # hit, pred, gold
    cue_counts = [0, 0, 0]
    for document in documents:
        n_docs += 1
        predicted = list(predict(document.text))
        gold = document.attributions
        n_gold += len(gold)
        n_pred += len(predicted)
        pairs = match_by_overlap([p.cue for p in predicted], [g.cue for g in gold])
        n_found += len(pairs)
        for p, g in pairs:
            cue_counts[0] += _overlap(predicted[p].cue, gold[g].cue)
            cue_counts[1] += _length(predicted[p].cue)
            cue_counts[2] += _length(gold[g].cue)
            for role in ("source", "content"):
                pred_frags = getattr(predicted[p], role)
                gold_frags = getattr(gold[g], role)
                role_counts[role][0] += _overlap(pred_frags, gold_frags)
                role_counts[role][1] += _length(pred_frags)
                role_counts[role][2] += _length(gold_frags)
    return {
        "documents": n_docs,
        "gold": n_gold,
        "predicted": n_pred,
        "found": n_found,
        "attribution": _prf(n_found, n_pred, n_gold),
        "cue": _prf(*cue_counts),
        "source": _prf(*role_counts["source"]),
        "content": _prf(*role_counts["content"]),
    }


def evaluate_attributions(
    directory: str | Path, predict: PredictFn = predict_attributions
) -> AttributionScores:
    """Score ``predict`` (the extractor by default) on a PolNeAR split directory."""
    return score_documents(load_brat_dir(directory), predict)


def read_checkthat_tsv(tsv_path: str | Path) -> list[tuple[str, str, bool]]:
    """Rows of (sentence id, text, is_checkworthy) from a CheckThat! task 1 TSV."""
    rows = []
    with Path(tsv_path).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        del header
        for row in reader:
            if len(row) >= 3:
                rows.append((row[0], row[1], row[-1].strip().lower() == "yes"))
    return rows


def evaluate_checkworthiness(
    tsv_path: str | Path,
    scorer: Callable[[str], float | tuple[float, list[str]]],
    threshold: float = 0.5,
) -> dict[str, float]:
    """F1, precision and recall of the ``Yes`` class when ``scorer(text) >= threshold``.

    ``scorer`` may return a bare probability or the ``(probability, reasons)`` pair that
    ``checkworthiness.score`` returns.
    """
    true_pos = pred_pos = gold_pos = total = 0
    for _, text, is_yes in read_checkthat_tsv(tsv_path):
        result = scorer(text)
        probability = result[0] if isinstance(result, tuple) else result
        predicted_yes = probability >= threshold
        total += 1
        gold_pos += is_yes
        pred_pos += predicted_yes
        true_pos += predicted_yes and is_yes
    scores = _prf(true_pos, pred_pos, gold_pos)
    return {
        "precision": scores["precision"],
        "recall": scores["recall"],
        "f1": scores["f1"],
        "threshold": threshold,
        "sentences": float(total),
    }
