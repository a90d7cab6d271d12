"""Persisting an extraction: a Source's text → Claims, Appearances, Attributions, Figures and
Actors (matched to existing actors through their aliases).

Re-running on the same source with the same extractor version changes nothing. A new
extractor version replaces what the earlier version wrote for this source, but never a
row a reviewer edited (`edited_by_reviewer`) and never a claim someone already works on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

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
    """Store the extraction of `source.text` in a bounded number of queries per source
    (bulk inserts; history rows written in bulk too), whatever the article's length."""
    result = IngestResult()
    if (
        source.extractor_version == ex.EXTRACTOR_VERSION
        and Appearance.objects.filter(source=source).exists()
    ):
        result.skipped = True
        return result
    # A source extracted for the first time (the pipeline's usual case) has nothing to
    # forget, no appearances to reuse and no reviewer's corrections to keep: one query
    # instead of one for each of those.
    extracted_before = Appearance.objects.filter(source=source).exists()
    if extracted_before:
        _forget_older_output(source)

    extraction = ex.extract(source.text)
    seen_at = source.published_at or timezone.now()

    # 1. Rows: the checkable statements, plus opinion sentences (stored so triage can
    #    dismiss them with a reason, and reviewers can see why they were not queued).
    rows: list[tuple[ex.Sentence, ex.Claim | None, str]] = []
    claimed_sentences = {c.sentence for c in extraction.claims}
    for c in extraction.claims:
        rows.append((extraction.sentences[c.sentence], c, c.text))
    for sent in extraction.sentences:
        if sent.kind == "opinion" and sent.index not in claimed_sentences:
            rows.append((sent, None, sent.text))
    rows = [row for row in rows if row[2].strip()]

    # 2. Claims: reuse one with the same normalised text (the same claim in another
    #    source), create the rest in bulk.
    hashes = [content_hash(text) for _, _, text in rows]
    _lock_texts(hashes)
    known: dict[str, Claim] = {}
    for earlier in Claim.objects.filter(text_hash__in=set(hashes)).order_by("pk"):
        known.setdefault(earlier.text_hash, earlier)
    reused = {c.pk for c in known.values()}
    created: list[Claim] = []
    claims: list[Claim] = []
    for (sentence, claim_rec, text), digest in zip(rows, hashes, strict=True):
        found = known.get(digest)
        if found is None:
            claim = Claim(
                text=text,
                text_hash=digest,
                kind=(claim_rec.kind if claim_rec and claim_rec.kind in _CLAIM_KINDS else "other"),
                language=source.language,
                checkworthiness=min(1.0, max(0.0, float(sentence.checkworthiness))),
                checkworthiness_reasons=list(sentence.reasons)[:10],
                origin=Claim.Origin.EXTRACTED,
                first_seen_at=seen_at,
            )
            known[digest] = claim
            created.append(claim)
        else:
            claim = found
        claims.append(claim)
    bulk_create_with_history(
        created, Claim, default_change_reason=f"extracted from source {source.pk}"
    )
    if reused:
        Claim.objects.filter(pk__in=reused, first_seen_at__gt=seen_at).update(first_seen_at=seen_at)
    result.claims_created = len(created)
    result.claims_reused = len(rows) - len(created)
    result.new_claim_ids = [c.pk for c in created]
    result.opinions = sorted(
        {c.pk for (_, rec, _), c in zip(rows, claims, strict=True) if rec is None}
    )

    # 3. Appearances: one per claim and place in this source.
    appearances_by_place = (
        {(a.claim_id, a.start): a for a in Appearance.objects.filter(source=source)}
        if extracted_before
        else {}
    )
    stored_before = {a.pk for a in appearances_by_place.values()}
    new_appearances, stale = [], []
    appearances: list[Appearance] = []
    for (sentence, _, _), claim in zip(rows, claims, strict=True):
        appearance = appearances_by_place.get((claim.pk, sentence.start))
        if appearance is None:
            appearance = Appearance(
                claim=claim,
                source=source,
                start=sentence.start,
                end=sentence.end,
                sentence=sentence.text,
                extractor_version=ex.EXTRACTOR_VERSION,
            )
            appearances_by_place[(claim.pk, sentence.start)] = appearance
            new_appearances.append(appearance)
        elif appearance.extractor_version != ex.EXTRACTOR_VERSION:
            appearance.end, appearance.sentence = sentence.end, sentence.text
            appearance.extractor_version = ex.EXTRACTOR_VERSION
            stale.append(appearance)
        appearances.append(appearance)
    Appearance.objects.bulk_create(new_appearances)
    Appearance.objects.bulk_update(stale, ["end", "sentence", "extractor_version", "updated_at"])
    result.appearances = len(appearances)

    # 4. Attributions (parents before children) and figures, under each appearance.
    pairs = [
        (rec, appearance)
        for (_, rec, _), appearance in zip(rows, appearances, strict=True)
        if rec is not None
    ]
    _store_attributions(extraction, pairs, result, earlier=stored_before)
    _store_figures(extraction, pairs, result, earlier=stored_before)

    Source.objects.filter(pk=source.pk).update(extractor_version=ex.EXTRACTOR_VERSION)
    source.extractor_version = ex.EXTRACTOR_VERSION
    return result


def _lock_texts(hashes: list[str]) -> None:
    """Serialise extractions that may create the same claim: a lock per normalised text
    (transaction-scoped advisory locks, taken in a fixed order so two extractions never
    deadlock). Without it, two workers storing articles that share a sentence both find no
    claim for it and both create one."""
    if connection.vendor != "postgresql" or not hashes:
        return
    keys = sorted({int.from_bytes(bytes.fromhex(h[:16]), "big", signed=True) for h in hashes})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) k", [keys])


def _resolve_actors(extraction: ex.Extraction, indexes: set[int]) -> dict[int, Actor]:
    """Stored actors for the extraction's actor indexes, matched through aliases."""
    keys_of = {
        i: [
            normalize_text(n)
            for n in [extraction.actors[i].name]
            + [m.text for m in extraction.actors[i].mentions if m.text[:1].isupper()]
            if n.strip()
        ]
        for i in indexes
    }
    all_keys = {k for keys in keys_of.values() for k in keys}
    by_alias = {
        alias.normalized: alias.actor
        for alias in ActorAlias.objects.select_related("actor").filter(normalized__in=all_keys)
    }
    resolved: dict[int, Actor] = {}
    for i in sorted(indexes):
        found = next((by_alias[k] for k in keys_of[i] if k in by_alias), None)
        if found is None:
            record = extraction.actors[i]
            found = Actor.objects.create(
                name=record.name[:200],
                kind=record.kind if record.kind in _ACTOR_KINDS else "unknown",
            )
            # Only the canonical name becomes an alias: mentions include pronouns and
            # descriptions ("the statement", "he") that must not name one actor for ever.
            alias, _ = ActorAlias.objects.get_or_create(
                normalized=normalize_text(record.name[:200]),
                defaults={"actor": found, "alias": record.name[:200]},
            )
            found = alias.actor
        for key in keys_of[i]:
            by_alias.setdefault(key, found)
        resolved[i] = found
    return resolved


def _chain(extraction: ex.Extraction, index: int) -> list[int]:
    """`index` and its parents, outermost first."""
    chain: list[int] = []
    node: int | None = index
    while node is not None and node not in chain:
        chain.append(node)
        node = extraction.attributions[node].parent
    return list(reversed(chain))


def _store_attributions(
    extraction: ex.Extraction,
    pairs: list[tuple[ex.Claim, Appearance]],
    result: IngestResult,
    *,
    earlier: set[int],
) -> None:
    """`earlier`: the appearances stored before this extraction, the only ones a reviewer
    can have corrected rows under."""
    # Each claim's attributions with their chains of parents, so `parent` can point at a
    # stored row ("the statement said" inside "according to the Kremlin").
    wanted: list[tuple[Appearance, int]] = []
    for claim_rec, appearance in pairs:
        seen: set[int] = set()
        for index in claim_rec.attributions:
            for i in _chain(extraction, index):
                if i not in seen:
                    seen.add(i)
                    wanted.append((appearance, i))
    actor_indexes = {extraction.attributions[i].actor for _, i in wanted}
    actors = _resolve_actors(extraction, {i for i in actor_indexes if i is not None})
    # A reviewer's corrected row stands in for what the extractor finds at the same place.
    reviewable = [ap for _, ap in pairs if ap.pk in earlier]
    edited = {
        (a.appearance_id, a.cue_start, a.cue_end, a.content_start, a.content_end): a
        for a in (
            Attribution.objects.filter(appearance__in=reviewable, edited_by_reviewer=True)
            if reviewable
            else []
        )
    }
    stored: dict[tuple[int, int], Attribution] = {}
    depth = {i: len(_chain(extraction, i)) - 1 for _, i in wanted}
    for level in sorted(set(depth.values())):
        batch: list[Attribution] = []
        for appearance, i in wanted:
            if depth[i] != level:
                continue
            rec = extraction.attributions[i]
            c_start, c_end = _span(rec.cue)
            place = (appearance.pk, c_start, c_end, rec.content.start, rec.content.end)
            if place in edited:
                stored[(appearance.pk, i)] = edited[place]
                continue
            actor = actors.get(rec.actor) if rec.actor is not None else None
            s_start, s_end = _span(rec.source)
            attribution = Attribution(
                appearance=appearance,
                actor=actor,
                source_text=(rec.source.text if rec.source else (actor.name if actor else ""))[
                    :500
                ],
                cue=(rec.cue.text if rec.cue else "")[:200],
                kind=rec.kind if rec.kind in _ATTRIBUTION_KINDS else Attribution.Kind.UNATTRIBUTED,
                channel=(rec.channel or "")[:100],
                parent=(
                    stored.get((appearance.pk, rec.parent)) if rec.parent is not None else None
                ),
                source_start=s_start,
                source_end=s_end,
                cue_start=c_start,
                cue_end=c_end,
                content_start=rec.content.start,
                content_end=rec.content.end,
                extractor_version=ex.EXTRACTOR_VERSION,
            )
            stored[(appearance.pk, i)] = attribution
            batch.append(attribution)
        bulk_create_with_history(batch, Attribution, default_change_reason="extracted")
        result.attributions += len(batch)


def _store_figures(
    extraction: ex.Extraction,
    pairs: list[tuple[ex.Claim, Appearance]],
    result: IngestResult,
    *,
    earlier: set[int],
) -> None:
    """`earlier`: as for _store_attributions."""
    reviewable = [ap for _, ap in pairs if ap.pk in earlier]
    edited = (
        set(
            Figure.objects.filter(appearance__in=reviewable, edited_by_reviewer=True).values_list(
                "appearance_id", "start", "end"
            )
        )
        if reviewable
        else set()
    )
    batch: list[Figure] = []
    for claim_rec, appearance in pairs:
        for index in claim_rec.figures:
            rec = extraction.figures[index]
            if (appearance.pk, rec.start, rec.end) in edited:
                continue  # the reviewer's correction stands
            lower, upper = rec.lower, rec.upper
            if (lower is not None and lower > rec.value) or (
                upper is not None and upper < rec.value
            ):
                log.warning("figure %r has inconsistent bounds; storing it without them", rec.text)
                lower = upper = None
            batch.append(
                Figure(
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
            )
    bulk_create_with_history(batch, Figure, default_change_reason="extracted")
    result.figures += len(batch)
