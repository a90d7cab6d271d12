"""Comparing figures reported for the same topic and metric across sources."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from claims.models import Figure

# Reports this close in time describe the same moment; later ones may be updates.
SAME_TIME = timedelta(days=2)


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


def _when(figure: Figure) -> object:
    source = figure.appearance.source
    return figure.as_of or source.published_at or figure.created_at


def flag_conflicts(figures: Sequence[Figure]) -> set[int]:
    """Ids of figures whose range cannot be reconciled with another report made at about
    the same time: a reason to check."""
    conflicting: set[int] = set()
    for i, a in enumerate(figures):
        lo_a, hi_a = interval(a)
        for b in figures[i + 1 :]:
            if a.additional or b.additional:
                continue  # "200 more" counts on top of something else
            when_a, when_b = _when(a), _when(b)
            if abs(when_a - when_b) > SAME_TIME:  # type: ignore[operator]
                continue
            lo_b, hi_b = interval(b)
            if hi_a < lo_b or hi_b < lo_a:
                conflicting.update({a.pk, b.pk})
    return conflicting
