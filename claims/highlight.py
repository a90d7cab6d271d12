"""The source sentence of a claim with its attribution cue, source and figures marked.

Everything that comes from users or articles is escaped; only the <mark> elements built
here are markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from claims.models import Appearance, Attribution, Claim, Figure


@dataclass
class AppearanceView:
    appearance: Appearance
    html: SafeString
    # Each attribution with its chain spelled out.
    attributions: list[tuple[Attribution, str]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    # The surrounding source text, so the sentence is read in context.
    before: str = ""
    after: str = ""


def _marks(
    appearance: Appearance, attributions: list[Attribution], figures: list[Figure]
) -> list[tuple[int, int, str, str]]:
    """(start, end, css class, title) relative to the sentence, without overlaps."""
    base, length = appearance.start, appearance.end - appearance.start
    spans: list[tuple[int, int, str, str]] = []
    for a in attributions:
        for start, end, css, title in (
            (a.cue_start, a.cue_end, "fc-cue", f"cue: {a.get_kind_display()}"),
            (a.source_start, a.source_end, "fc-source", "attributed to"),
        ):
            if start is not None and end is not None:
                spans.append((start - base, end - base, css, title))
    for fig in figures:
        spans.append(
            (fig.start - base, fig.end - base, "fc-figure", f"{fig.metric}: {fig.value:g}")
        )
    spans = sorted((s, e, c, t) for s, e, c, t in spans if 0 <= s < e <= length)
    kept: list[tuple[int, int, str, str]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def highlight(
    appearance: Appearance, attributions: list[Attribution], figures: list[Figure]
) -> SafeString:
    sentence = appearance.sentence
    out: list[str] = []
    pos = 0
    for start, end, css, title in _marks(appearance, attributions, figures):
        out.append(escape(sentence[pos:start]))
        out.append(
            format_html('<mark class="{}" title="{}">{}</mark>', css, title, sentence[start:end])
        )
        pos = end
    out.append(escape(sentence[pos:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def chain_text(attribution: Attribution, publisher: str | None) -> str:
    """'RT reports that, according to Russian authorities, ...'"""
    parts = []
    if publisher:
        parts.append(f"{publisher} reports that")
    for link in attribution.chain():
        who = link.actor.name if link.actor else (link.source_text or "someone unnamed")
        if link.kind == Attribution.Kind.ACCORDING_TO:
            parts.append(f"according to {who},")
        elif link.kind in {Attribution.Kind.UNATTRIBUTED}:
            parts.append("(in its own voice)")
        elif link.kind == Attribution.Kind.ANONYMOUS:
            parts.append(f"{who} (anonymous) {link.cue or 'said'}")
        else:
            via = f" on {link.channel}" if link.channel else ""
            parts.append(f"{who} {link.cue or 'said'}{via}")
    return " ".join(parts) + " …"


def appearance_views(claim: Claim) -> list[AppearanceView]:
    appearances = list(
        claim.appearances.select_related("source", "source__publisher").order_by(
            "source_id", "start"
        )
    )
    attributions: dict[int, list[Attribution]] = {}
    for a in Attribution.objects.filter(appearance__claim=claim).select_related(
        "actor", "parent", "parent__actor"
    ):
        attributions.setdefault(a.appearance_id, []).append(a)
    figures: dict[int, list[Figure]] = {}
    for fig in Figure.objects.filter(appearance__claim=claim).order_by("start"):
        figures.setdefault(fig.appearance_id, []).append(fig)
    views = []
    for ap in appearances:
        attrs, figs = attributions.get(ap.pk, []), figures.get(ap.pk, [])
        publisher = ap.source.publisher.name if ap.source.publisher else None
        views.append(
            AppearanceView(
                appearance=ap,
                html=highlight(ap, attrs, figs),
                attributions=[(a, chain_text(a, publisher)) for a in attrs],
                figures=figs,
                before=_context_before(ap),
                after=_context_after(ap),
            )
        )
    return views


CONTEXT_CHARS = 280


def _context_before(ap: Appearance) -> str:
    text = ap.source.text[max(0, ap.start - CONTEXT_CHARS) : ap.start].strip()
    return text.split("\n")[-1] if "\n" in text else text


def _context_after(ap: Appearance) -> str:
    text = ap.source.text[ap.end : ap.end + CONTEXT_CHARS].strip()
    return text.split("\n")[0]
