"""Comparing figures reported for the same topic and metric across sources.

`flag_conflicts` / `conflict_pairs` are pure comparisons over Figure rows. The services
below store the outcome on the claims (`Claim.flags`, kind "figure_conflict"), so a reviewer
sees in the queue, the admin and the API that a claim's figure cannot be reconciled with
another report of the same moment. They run whenever figures change (claims/receivers.py):
after a source is extracted, when a claim's topics change, when a figure is edited.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from claims.models import Claim, Figure, Topic

log = logging.getLogger(__name__)

# Reports this close in time describe the same moment; later ones may be updates.
SAME_TIME = timedelta(days=2)

FIGURE_CONFLICT = "figure_conflict"

_QUALIFIER_WORDS: dict[str, str] = {
    Figure.Qualifier.OVER: "over ",
    Figure.Qualifier.AT_LEAST: "at least ",
    Figure.Qualifier.ABOUT: "about ",
    Figure.Qualifier.UP_TO: "up to ",
    Figure.Qualifier.UNDER: "under ",
}


def interval(figure: Figure) -> tuple[float, float]:
    """The range a report allows: "over 140" is [140, ∞), "about 1,000" ±10%."""
    q = figure.qualifier
    if q == Figure.Qualifier.RANGE:
        return (figure.lower or figure.value, figure.upper or figure.value)
    if q in {Figure.Qualifier.OVER, Figure.Qualifier.AT_LEAST}:
        return (figure.lower if figure.lower is not None else figure.value, float("inf"))
    if q in {Figure.Qualifier.UP_TO, Figure.Qualifier.UNDER}:
        return (0.0, figure.upper if figure.upper is not None else figure.value)
    if q == Figure.Qualifier.ABOUT:
        return (figure.value * 0.9, figure.value * 1.1)
    return (figure.value, figure.value)


def reported_at(figure: Figure) -> datetime:
    """When a figure was true: its own "as of", else its source's date, else when stored."""
    source = figure.appearance.source
    return figure.as_of or source.published_at or figure.created_at


def conflict_pairs(figures: Sequence[Figure]) -> list[tuple[Figure, Figure]]:
    """Pairs of figures whose ranges cannot both be right, reported at about the same time
    (within SAME_TIME) by different claims. Reports further apart may be updates ("137
    killed", days later "145 killed"), and "200 more" counts on top of something else."""
    pairs: list[tuple[Figure, Figure]] = []
    for i, a in enumerate(figures):
        if a.additional:
            continue
        lo_a, hi_a = interval(a)
        when_a = reported_at(a)
        for b in figures[i + 1 :]:
            if b.additional or b.appearance.claim_id == a.appearance.claim_id:
                continue
            if abs(when_a - reported_at(b)) > SAME_TIME:
                continue
            lo_b, hi_b = interval(b)
            if hi_a < lo_b or hi_b < lo_a:
                pairs.append((a, b))
    return pairs


def flag_conflicts(figures: Sequence[Figure]) -> set[int]:
    """Ids of figures whose range cannot be reconciled with another report made at about
    the same time: a reason to check."""
    return {f.pk for pair in conflict_pairs(figures) for f in pair}


def describe(figure: Figure, metric: str | None = None) -> str:
    """ "over 140 killed", "100 to 120 injured", "about 1,000 troops"."""
    if figure.qualifier == Figure.Qualifier.RANGE and figure.lower is not None:
        amount = f"{_number(figure.lower)} to {_number(figure.upper or figure.value)}"
    else:
        amount = _QUALIFIER_WORDS.get(figure.qualifier, "") + _number(figure.value)
    label = metric if metric is not None else figure.metric
    return f"{amount} {label}".strip()


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,g}"


def _reporter(figure: Figure) -> str:
    publisher = figure.appearance.source.publisher
    return publisher.name if publisher is not None else "another source"


def _conflict_message(mine: Figure, others: list[Figure], metric: str) -> str:
    first = others[0]
    days = abs((reported_at(first).date() - reported_at(mine).date()).days)
    when = "on the same day" if days == 0 else f"{days} day{'s' * (days > 1)} apart"
    message = (
        f"Reports {describe(mine, metric)}; {_reporter(first)} reported "
        f"{describe(first, metric)} {when}"
    )
    if len(others) > 1:
        message += f" (and {len(others) - 1} other conflicting report{'s' * (len(others) > 2)})"
    return message


def _lock(topic: Topic, metric: str) -> None:
    """Serialise refreshes of one topic and metric: two sources processed at once must not
    each write flags computed from a snapshot missing the other's figures."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"{topic.pk}:{metric}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _is_mine(flag: Any, topic: Topic, metric: str) -> bool:
    return (
        isinstance(flag, dict)
        and flag.get("kind") == FIGURE_CONFLICT
        and flag.get("topic") == topic.slug
        and str(flag.get("metric", "")).casefold() == metric
    )


@transaction.atomic
def figure_flags_refresh(
    *, topic: Topic, metric: str, also_claim_ids: Iterable[int] = ()
) -> list[int]:
    """Recompute the figure_conflict flags of one topic and metric; returns the ids of the
    claims whose flags changed.

    1. Every figure of the metric (case-insensitive) on the topic's claims, compared pairwise.
    2. Each claim with a conflicting figure gets one flag for this topic and metric, naming
       the other claims; claims that had one and no longer conflict lose it. `also_claim_ids`
       are checked for stale flags too (e.g. a claim just taken off the topic).
    3. Other flags (other kinds, topics, metrics) are kept as they are; a claim is saved, and
       its version bumped, only when its flags changed.
    """
    metric = metric.casefold()
    _lock(topic, metric)
    # 1. Compare.
    figures = list(
        Figure.objects.filter(metric__iexact=metric, appearance__claim__topics=topic)
        .select_related("appearance__source__publisher")
        .order_by("pk")
        .distinct()
    )
    figures.sort(key=lambda f: (reported_at(f), f.pk))
    partners: dict[int, dict[int, list[Figure]]] = {}  # claim → its figure → other figures
    for a, b in conflict_pairs(figures):
        partners.setdefault(a.appearance.claim_id, {}).setdefault(a.pk, []).append(b)
        partners.setdefault(b.appearance.claim_id, {}).setdefault(b.pk, []).append(a)
    by_pk = {f.pk: f for f in figures}
    wanted: dict[int, dict[str, Any]] = {}
    for claim_id, mine in partners.items():
        figure_id = min(mine, key=lambda pk: (reported_at(by_pk[pk]), pk))
        others = sorted(
            {o.pk: o for group in mine.values() for o in group}.values(),
            key=lambda o: (reported_at(o), o.pk),
        )
        wanted[claim_id] = {
            "kind": FIGURE_CONFLICT,
            "message": _conflict_message(by_pk[figure_id], others, metric),
            "claims": sorted({o.appearance.claim_id for o in others}),
            "metric": metric,
            "topic": topic.slug,
        }

    # 2. Store: the claims that conflict now, and those that may hold a stale flag.
    candidates = (
        set(wanted)
        | set(also_claim_ids)
        | set(Claim.objects.filter(topics=topic).exclude(flags=[]).values_list("pk", flat=True))
    )
    changed: list[int] = []
    for claim in Claim.objects.select_for_update().filter(pk__in=candidates).order_by("pk"):
        old = list(claim.flags or [])
        new = [flag for flag in old if not _is_mine(flag, topic, metric)]
        if claim.pk in wanted:
            new.append(wanted[claim.pk])
        if new == old:
            continue
        claim.flags = new
        claim.version += 1
        claim.save(update_fields=["flags", "version", "updated_at"])
        changed.append(claim.pk)
    return changed


def figure_flags_refresh_for_claims(*, claim_ids: Iterable[int]) -> list[int]:
    """Refresh every topic and metric the given claims' figures (or their current flags)
    belong to; returns the ids of the claims whose flags changed."""
    ids = sorted(set(claim_ids))
    if not ids:
        return []
    metrics: dict[int, set[str]] = {}
    for claim_id, metric in (
        Figure.objects.filter(appearance__claim_id__in=ids)
        .exclude(metric="")
        .values_list("appearance__claim_id", "metric")
        .distinct()
    ):
        metrics.setdefault(claim_id, set()).add(metric.casefold())
    todo: set[tuple[int, str]] = set()  # (topic id, metric)
    for claim_id, topic_id in Claim.topics.through.objects.filter(claim_id__in=ids).values_list(
        "claim_id", "topic_id"
    ):
        todo.update((topic_id, metric) for metric in metrics.get(claim_id, ()))
    # A claim taken off a topic, or whose figure was deleted, still carries the old flag.
    flagged: set[tuple[str, str]] = set()
    for flags in Claim.objects.filter(pk__in=ids).exclude(flags=[]).values_list("flags", flat=True):
        for flag in flags or []:
            if isinstance(flag, dict) and flag.get("kind") == FIGURE_CONFLICT:
                flagged.add((str(flag.get("topic", "")), str(flag.get("metric", "")).casefold()))
    slugs = dict(Topic.objects.filter(slug__in={s for s, _ in flagged}).values_list("slug", "pk"))
    todo.update((slugs[slug], metric) for slug, metric in flagged if slug in slugs)
    topics = Topic.objects.in_bulk({topic_id for topic_id, _ in todo})
    changed: set[int] = set()
    for topic_id, metric in sorted(todo):
        changed.update(
            figure_flags_refresh(topic=topics[topic_id], metric=metric, also_claim_ids=ids)
        )
    # Flags naming a topic that no longer exists cannot be refreshed: drop them.
    changed.update(_drop_orphan_flags(ids))
    return sorted(changed)


@transaction.atomic
def _drop_orphan_flags(claim_ids: list[int]) -> list[int]:
    claims = list(
        Claim.objects.select_for_update().filter(pk__in=claim_ids).exclude(flags=[]).order_by("pk")
    )
    named = {
        flag.get("topic")
        for claim in claims
        for flag in claim.flags or []
        if isinstance(flag, dict) and flag.get("kind") == FIGURE_CONFLICT
    }
    live_slugs = set(Topic.objects.filter(slug__in=named).values_list("slug", flat=True))
    changed = []
    for claim in claims:
        old = list(claim.flags or [])
        new = [
            flag
            for flag in old
            if not (
                isinstance(flag, dict)
                and flag.get("kind") == FIGURE_CONFLICT
                and flag.get("topic") not in live_slugs
            )
        ]
        if new != old:
            claim.flags = new
            claim.version += 1
            claim.save(update_fields=["flags", "version", "updated_at"])
            changed.append(claim.pk)
    return changed


def attribution_label(figure: Figure) -> str:
    """Who the figure is attributed to in its appearance, as a reviewer reads it: "according
    to Russian authorities", or "unattributed"."""
    attributions = list(figure.appearance.attributions.all())
    if not attributions:
        return "unattributed"
    # The attribution whose content holds the figure ("which according to Russian
    # authorities killed over 140"), not another one in the same sentence.
    spans = [
        (a.content_end - a.content_start, a)
        for a in attributions
        if a.content_start is not None
        and a.content_end is not None
        and a.content_start <= figure.start < a.content_end
    ]
    first = min(spans, key=lambda item: item[0])[1] if spans else attributions[0]
    who = first.actor.name if first.actor is not None else first.source_text
    cue = first.cue or ""
    return f"{cue} {who}".strip() if who else (cue or "unattributed")


def topic_figure_timelines(*, topic: Topic, user: Any) -> list[dict[str, Any]]:
    """Per metric reported on the topic: every value in time order (with its qualifier,
    attribution, publisher and date), the figures in conflict, and an SVG chart."""
    from claims import charts
    from claims.selectors import figure_comparison

    metrics = sorted(
        {
            m.casefold()
            for m in Figure.objects.filter(appearance__claim__topics=topic)
            .exclude(metric="")
            .values_list("metric", flat=True)
            .distinct()
        }
    )
    out = []
    for metric in metrics:
        figures = list(figure_comparison(user=user, topic=topic.slug, metric=metric))
        if not figures:
            continue
        figures.sort(key=lambda f: (reported_at(f), f.pk))
        conflicts: dict[int, set[int]] = {}
        for a, b in conflict_pairs(figures):
            conflicts.setdefault(a.pk, set()).add(b.appearance.claim_id)
            conflicts.setdefault(b.pk, set()).add(a.appearance.claim_id)
        rows: list[dict[str, Any]] = []
        for figure in figures:
            source = figure.appearance.source
            rows.append(
                {
                    "figure": figure,
                    "when": reported_at(figure),
                    "described": describe(figure, metric),
                    "attribution": attribution_label(figure),
                    "publisher": source.publisher.name if source.publisher else "",
                    "source": source,
                    "claim_id": figure.appearance.claim_id,
                    "conflicts_with": sorted(conflicts.get(figure.pk, ())),
                }
            )
        points = [
            (
                row["when"],
                row["figure"].value,
                row["figure"].lower,
                row["figure"].upper,
                f"{row['described']}, {row['attribution']} ({row['publisher'] or row['source']})",
            )
            for row in rows
        ]
        out.append(
            {
                "metric": metric,
                "rows": rows,
                "has_conflict": bool(conflicts),
                "chart": charts.timeline_chart(
                    points,
                    title=f"{metric} — {topic.name}",
                    conflicting={i for i, row in enumerate(rows) if row["conflicts_with"]},
                ),
            }
        )
    return out
