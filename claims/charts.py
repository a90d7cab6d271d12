"""Small server-rendered SVG charts for the admin (no JavaScript, no CDN).

Every label is escaped; numbers are formatted here, so the markup is ours alone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CONFLICT = "#ba2121"
PALETTE = ["#417690", "#79aec8", "#e7a33e", "#c0392b", "#27ae60", "#8e44ad", "#7f8c8d"]


def bar_chart(
    rows: Sequence[tuple[str, float]], *, title: str, width: int = 520, unit: str = ""
) -> SafeString:
    """Horizontal bars, one per (label, value)."""
    bar_h, gap, label_w = 22, 6, 170
    height = max(1, len(rows)) * (bar_h + gap) + 30
    top = max([v for _, v in rows] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    if not rows:
        parts.append('<text x="0" y="40" font-size="12" fill="#666">nothing yet</text>')
    for i, (label, value) in enumerate(rows):
        y = 26 + i * (bar_h + gap)
        w = 0 if top == 0 else int((width - label_w - 60) * value / top)
        shown = f"{value:g}{unit}"
        parts += [
            f'<text x="0" y="{y + 15}" font-size="12">{escape(label[:28])}</text>',
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {shown}</title></rect>',
            f'<text x="{label_w + w + 5}" y="{y + 15}" font-size="12">{shown}</text>',
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels escaped above


def timeline_chart(
    points: Sequence[tuple[datetime, float, float | None, float | None, str]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    conflicting: Collection[int] = (),
) -> SafeString:
    """A figure over time: one dot per report (value), with a bar for its range (lower to
    upper, an open-ended arrow for "over"), and the reporter as the tooltip. Points whose
    index is in `conflicting` are drawn in red."""
    pad_l, pad_r, pad_t, pad_b = 50, 20, 28, 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    if not points:
        parts.append('<text x="0" y="44" font-size="12" fill="#666">no figures yet</text></svg>')
        return mark_safe("".join(parts))  # noqa: S308
    times = [p[0].timestamp() for p in points]
    values = [v for p in points for v in (p[1], p[2], p[3]) if v is not None]
    t0, t1 = min(times), max(times)
    v0, v1 = 0.0, max(values) * 1.15 or 1.0
    span_t = (t1 - t0) or 1.0

    def x(t: float) -> float:
        if t1 == t0:
            return pad_l + (width - pad_l - pad_r) / 2
        return pad_l + (width - pad_l - pad_r) * (t - t0) / span_t

    def y(v: float) -> float:
        return height - pad_b - (height - pad_t - pad_b) * (v - v0) / (v1 - v0)

    parts.append(
        f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - pad_r}" y2="{height - pad_b}" '
        'stroke="#999"/>'
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{height - pad_b}" stroke="#999"/>'
    )
    for tick in (v1 / 1.15, v1 / 2.3):
        parts.append(
            f'<text x="{pad_l - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end">'
            f"{tick:.0f}</text>"
        )
    for i, (when, value, lower, upper, label) in enumerate(points):
        cx, cy = x(when.timestamp()), y(value)
        lo = lower if lower is not None else value
        hi = upper if upper is not None else (v1 if lower is not None and upper is None else value)
        if lo != hi:
            parts.append(
                f'<line x1="{cx:.1f}" y1="{y(lo):.1f}" x2="{cx:.1f}" y2="{y(hi):.1f}" '
                'stroke="#79aec8" stroke-width="6" stroke-linecap="round" opacity="0.6"/>'
            )
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" '
            f'fill="{CONFLICT if i in conflicting else PALETTE[0]}">'
            f"<title>{escape(label)}</title></circle>"
        )
        parts.append(
            f'<text x="{cx:.1f}" y="{height - pad_b + 16}" font-size="10" text-anchor="middle">'
            f"{when:%d %b %Y}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels escaped above
