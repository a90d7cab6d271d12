"""The pipeline steps Celery runs for a source: fetch (when only a URL was given), extract,
triage. Each step claims its work with a conditional update (so a redelivered task does
nothing twice), records status and error on the Source, and is safe to repeat: extraction
runs in one transaction, so a worker killed half-way leaves nothing half-written and the
sweep puts the source back in the queue.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from claims.models import Source
from claims.sources import source_set_status

log = logging.getLogger(__name__)

UNFINISHED = [Source.Status.PENDING, Source.Status.FETCHING, Source.Status.EXTRACTING]


def _claim(source_id: int, *, from_status: list[str], to: str) -> Source | None:
    claimed = Source.objects.filter(pk=source_id, status__in=from_status).update(
        status=to, status_changed_at=timezone.now(), attempts=F("attempts") + 1, error=""
    )
    return Source.objects.get(pk=source_id) if claimed == 1 else None


def fetch_source(*, source_id: int) -> bool:
    """Fetch a URL-only source and store its text. Returns True when extraction can follow."""
    from claims import fetch, sources

    source = _claim(source_id, from_status=[Source.Status.PENDING], to=Source.Status.FETCHING)
    if source is None:
        return False
    try:
        page = fetch.fetch(
            source.url,
            max_bytes=settings.FACTCHECK_FETCH_MAX_BYTES,
            timeout=settings.FACTCHECK_FETCH_TIMEOUT_SECONDS,
            max_redirects=settings.FACTCHECK_FETCH_MAX_REDIRECTS,
        )
        meta: dict[str, str] = {}
        if page.content_type == "text/plain":
            text = page.text()
        else:
            text, meta = sources._html_to_text(page.text())
        if not text.strip():
            raise fetch.FetchError("No article text could be found on that page.")
    except fetch.FetchError as exc:
        source_set_status(source=source, status=Source.Status.FAILED, error=exc.message)
        return False
    existing = sources.find_existing(text=text)
    if existing is not None and existing.pk != source.pk:
        source_set_status(
            source=source,
            status=Source.Status.FAILED,
            error=f"The page's text is already stored as source {existing.pk}.",
        )
        return False
    source.text = text
    source.title = source.title or meta.get("title", "")[:500]
    source.author = source.author or meta.get("author", "")[:300]
    source.status = Source.Status.PENDING
    source.status_changed_at = timezone.now()
    source.save(update_fields=["text", "title", "author", "status", "status_changed_at"])
    return True


def process_source(*, source_id: int) -> list[int]:
    """Extract claims from a source's text; returns the ids of claims to triage (for a
    source already done, those of its claims still waiting for triage)."""
    source = _claim(
        source_id,
        from_status=[Source.Status.PENDING, Source.Status.FAILED],
        to=Source.Status.EXTRACTING,
    )
    if source is None:
        # A repeated delivery after the worker died between extraction and triage: the
        # source is done, but its claims still wait for triage.
        from claims.models import Claim

        waiting = list(
            Claim.objects.filter(
                appearances__source_id=source_id,
                appearances__source__status=Source.Status.DONE,
                status=Claim.Status.NEW,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()
        )
        log.info("source %s is not pending; %d claims left to triage", source_id, len(waiting))
        return waiting
    if not source.text:
        # A URL-only source reaches here when fetching is skipped (retry of a failed fetch).
        Source.objects.filter(pk=source_id).update(status=Source.Status.PENDING)
        if fetch_source(source_id=source_id):
            return process_source(source_id=source_id)
        return []
    try:
        with transaction.atomic():
            from claims.ingest import source_extract

            result = source_extract(source=source)
            _dismiss_opinions(result.opinions)
    except Exception as exc:  # recorded on the source; the client sees it and can retry
        log.exception("extraction of source %s failed", source_id)
        source_set_status(source=source, status=Source.Status.FAILED, error=str(exc))
        return []
    source_set_status(source=source, status=Source.Status.DONE)
    from claims import signals

    signals.source_processed.send(sender=Source, source_id=source.pk)
    return result.new_claim_ids


def _dismiss_opinions(claim_ids: list[int]) -> None:
    from claims.models import Claim
    from claims.triage import claims_dismiss

    claims_dismiss(
        claims=Claim.objects.select_for_update(no_key=True)
        .filter(pk__in=claim_ids, status=Claim.Status.NEW)
        .order_by("pk"),
        reason="Opinion or commentary, not a checkable claim (extraction)",
    )


def source_retry(*, source: Source, by: object = None) -> Source:
    """Put a failed source back in the pipeline (a client's or reviewer's retry)."""
    from claims import tasks
    from claims.errors import IllegalTransition

    updated = Source.objects.filter(pk=source.pk, status=Source.Status.FAILED).update(
        status=Source.Status.PENDING, error="", status_changed_at=timezone.now()
    )
    if updated != 1:
        raise IllegalTransition(f"Only failed sources can be retried; this one is {source.status}.")
    transaction.on_commit(lambda: tasks.enqueue_source(source.pk), robust=True)
    source.refresh_from_db()
    return source


def sources_sweep_stuck(*, older_than: timedelta | None = None) -> list[int]:
    """Re-enqueue sources left unfinished past a timeout: a crash between commit and
    enqueue, a worker killed mid-task, or a broker that lost the message."""
    from claims import tasks

    if older_than is None:  # timedelta(0) is falsy but means "now"
        older_than = timedelta(seconds=settings.FACTCHECK_STUCK_AFTER_SECONDS)
    cutoff = timezone.now() - older_than
    stuck = list(
        Source.objects.filter(status__in=UNFINISHED, status_changed_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:500]
    )
    revived = []
    for pk in stuck:
        # Back to pending (conditionally: it may have finished meanwhile), then enqueue.
        if Source.objects.filter(pk=pk, status__in=UNFINISHED, status_changed_at__lt=cutoff).update(
            status=Source.Status.PENDING, status_changed_at=timezone.now()
        ):
            tasks.enqueue_source(pk)
            revived.append(pk)
    if revived:
        log.warning("re-enqueued %d stuck sources: %s", len(revived), revived[:20])
    return revived
