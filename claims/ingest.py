"""Persisting an extraction: a Source's text → Claims, Appearances, Attributions, Figures and
Actors (matched to existing actors through their aliases).

Re-running on the same source with the same extractor version changes nothing. A new
extractor version replaces what the earlier version wrote for this source, but never a
row a reviewer edited (`edited_by_reviewer`) and never a claim someone already works on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from claims import extraction as ex
from claims.models import (
    Actor,
    ActorAlias,
    Appearance,
    Attribution,
    Claim,
    Figure,
    Source,
    content_hash,
    normalize_text,
)

log = logging.getLogger(__name__)

# Extractor kinds that name an actor type we store; anything else is "unknown".
_ACTOR_KINDS = set(Actor.Kind.values)
_ATTRIBUTION_KINDS = set(Attribution.Kind.values)
_CLAIM_KINDS = set(Claim.Kind.values)
_QUALIFIERS = set(Figure.Qualifier.values)


@dataclass
class IngestResult:
    claims_created: int = 0
    claims_reused: int = 0
    appearances: int = 0
    attributions: int = 0
    figures: int = 0
    opinions: list[int] = field(default_factory=list)
    skipped: bool = False
    new_claim_ids: list[int] = field(default_factory=list)


def _actor_for(actor: ex.Actor, cache: dict[str, Actor]) -> Actor:
    """Find the stored actor through any alias of its name or mentions, or create it."""
    names = [actor.name] + [m.text for m in actor.mentions if m.text[:1].isupper()]
    keys = [normalize_text(n) for n in names if n.strip()]
    for key in keys:
        if key in cache:
            return cache[key]
    alias = ActorAlias.objects.select_related("actor").filter(normalized__in=keys).first()
    if alias is not None:
        found = alias.actor
    else:
        found = Actor.objects.create(
            name=actor.name[:200], kind=actor.kind if actor.kind in _ACTOR_KINDS else "unknown"
        )
        # Only the canonical name becomes an alias: mentions include pronouns and
        # descriptions ("the statement", "he") that must not name one actor for ever.
        ActorAlias.objects.get_or_create(
            normalized=normalize_text(actor.name[:200]),
            defaults={"actor": found, "alias": actor.name[:200]},
        )
    for key in keys:
        cache[key] = found
    return found


def _span(span: ex.Span | None) -> tuple[int | None, int | None]:
    return (span.start, span.end) if span is not None else (None, None)


def _forget_older_output(source: Source) -> None:
    """Remove what an earlier extractor version wrote for `source`, except reviewers' work."""
    old = Appearance.objects.filter(source=source).exclude(extractor_version=ex.EXTRACTOR_VERSION)
    Attribution.objects.filter(appearance__in=old, edited_by_reviewer=False).delete()
    Figure.objects.filter(appearance__in=old, edited_by_reviewer=False).delete()
    untouched = old.filter(claim__status=Claim.Status.NEW, attributions__isnull=True).filter(
        figures__isnull=True
    )
    orphan_candidates = set(untouched.values_list("claim_id", flat=True))
    untouched.delete()
    Claim.objects.filter(
        pk__in=orphan_candidates, appearances__isnull=True, reviews__isnull=True
    ).delete()


@transaction.atomic
def source_extract(*, source: Source) -> IngestResult:
    result = IngestResult()
    if (
        source.extractor_version == ex.EXTRACTOR_VERSION
        and Appearance.objects.filter(source=source).exists()
    ):
        result.skipped = True
        return result
    _forget_older_output(source)

    extraction = ex.extract(source.text)
    seen_at = source.published_at or timezone.now()
    actor_cache: dict[str, Actor] = {}

    # 1. Claims: the checkable statements, plus opinion sentences (stored so triage can
    #    dismiss them with a reason, and reviewers can see why they were not queued).
    rows: list[tuple[ex.Sentence, ex.Claim | None]] = []
    claimed_sentences = {c.sentence for c in extraction.claims}
    for c in extraction.claims:
        rows.append((extraction.sentences[c.sentence], c))
    for s in extraction.sentences:
        if s.kind == "opinion" and s.index not in claimed_sentences:
            rows.append((s, None))

    appearance_of_sentence: dict[int, Appearance] = {}
    for sentence, claim_rec in rows:
        text = claim_rec.text if claim_rec else sentence.text
        if not text.strip():
            continue
        claim = Claim.objects.filter(text_hash=content_hash(text)).order_by("pk").first()
        if claim is None:
            claim = Claim(
                text=text,
                kind=(claim_rec.kind if claim_rec and claim_rec.kind in _CLAIM_KINDS else "other"),
                language=source.language,
                checkworthiness=min(1.0, max(0.0, float(sentence.checkworthiness))),
                checkworthiness_reasons=list(sentence.reasons)[:10],
                origin=Claim.Origin.EXTRACTED,
                first_seen_at=seen_at,
            )
            claim._change_reason = f"extracted from source {source.pk}"  # type: ignore[attr-defined]
            claim.save()
            result.claims_created += 1
            result.new_claim_ids.append(claim.pk)
        else:
            result.claims_reused += 1
            if seen_at < claim.first_seen_at:
                Claim.objects.filter(pk=claim.pk).update(first_seen_at=seen_at)
        if claim_rec is None:
            result.opinions.append(claim.pk)
        appearance, made = Appearance.objects.get_or_create(
            claim=claim,
            source=source,
            start=sentence.start,
            defaults={
                "end": sentence.end,
                "sentence": sentence.text,
                "extractor_version": ex.EXTRACTOR_VERSION,
            },
        )
        if not made and appearance.extractor_version != ex.EXTRACTOR_VERSION:
            appearance.end, appearance.sentence = sentence.end, sentence.text
            appearance.extractor_version = ex.EXTRACTOR_VERSION
            appearance.save(update_fields=["end", "sentence", "extractor_version", "updated_at"])
        result.appearances += 1
        appearance_of_sentence[sentence.index] = appearance

        # 2. Attributions and figures of this claim, under its appearance.
        if claim_rec is not None:
            _store_attributions(
                extraction, claim_rec, appearance, actor_cache, appearance_of_sentence, result
            )
            _store_figures(extraction, claim_rec, appearance, result)

    Source.objects.filter(pk=source.pk).update(extractor_version=ex.EXTRACTOR_VERSION)
    source.extractor_version = ex.EXTRACTOR_VERSION
    return result


def _store_attributions(
    extraction: ex.Extraction,
    claim_rec: ex.Claim,
    appearance: Appearance,
    actor_cache: dict[str, Actor],
    appearance_of_sentence: dict[int, Appearance],
    result: IngestResult,
) -> None:
    # Include each attribution's chain of parents, outermost first, so `parent` can point
    # at a stored row ("the statement said" inside "according to the Kremlin").
    wanted: list[int] = []
    for index in claim_rec.attributions:
        chain = []
        node: int | None = index
        while node is not None and node not in chain:
            chain.append(node)
            node = extraction.attributions[node].parent
        for i in reversed(chain):
            if i not in wanted:
                wanted.append(i)
    stored: dict[int, Attribution] = {}
    # A reviewer's corrected row stands in for what the extractor finds at the same place.
    edited = {
        (a.cue_start, a.cue_end, a.content_start, a.content_end): a
        for a in Attribution.objects.filter(appearance=appearance, edited_by_reviewer=True)
    }
    for i in wanted:
        rec = extraction.attributions[i]
        c_start, c_end = _span(rec.cue)
        place = (c_start, c_end, rec.content.start, rec.content.end)
        if place in edited:
            stored[i] = edited[place]
            continue
        actor = (
            _actor_for(extraction.actors[rec.actor], actor_cache) if rec.actor is not None else None
        )
        s_start, s_end = _span(rec.source)
        attribution = Attribution(
            appearance=appearance,
            actor=actor,
            source_text=(rec.source.text if rec.source else (actor.name if actor else ""))[:500],
            cue=(rec.cue.text if rec.cue else "")[:200],
            kind=rec.kind if rec.kind in _ATTRIBUTION_KINDS else Attribution.Kind.UNATTRIBUTED,
            channel=(rec.channel or "")[:100],
            parent=stored.get(rec.parent) if rec.parent is not None else None,
            source_start=s_start,
            source_end=s_end,
            cue_start=c_start,
            cue_end=c_end,
            content_start=rec.content.start,
            content_end=rec.content.end,
            extractor_version=ex.EXTRACTOR_VERSION,
        )
        attribution._change_reason = "extracted"  # type: ignore[attr-defined]
        attribution.save()
        stored[i] = attribution
        result.attributions += 1


def _store_figures(
    extraction: ex.Extraction, claim_rec: ex.Claim, appearance: Appearance, result: IngestResult
) -> None:
    edited = set(
        Figure.objects.filter(appearance=appearance, edited_by_reviewer=True).values_list(
            "start", "end"
        )
    )
    for index in claim_rec.figures:
        rec = extraction.figures[index]
        if (rec.start, rec.end) in edited:
            continue  # the reviewer's correction stands
        lower, upper = rec.lower, rec.upper
        if (lower is not None and lower > rec.value) or (upper is not None and upper < rec.value):
            log.warning("figure %r has inconsistent bounds; storing it without them", rec.text)
            lower = upper = None
        figure = Figure(
            appearance=appearance,
            metric=(rec.metric or "")[:100],
            value=rec.value,
            lower=lower,
            upper=upper,
            qualifier=rec.qualifier if rec.qualifier in _QUALIFIERS else "exact",
            unit=(rec.unit or "")[:50],
            subject=(rec.subject or "")[:300],
            additional=rec.additional,
            as_of=appearance.source.published_at,
            start=rec.start,
            end=rec.end,
            text=rec.text[:300],
            extractor_version=ex.EXTRACTOR_VERSION,
        )
        figure._change_reason = "extracted"  # type: ignore[attr-defined]
        figure.save()
        result.figures += 1
