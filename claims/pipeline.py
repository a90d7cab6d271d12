"""The pipeline steps a task runs for a source: fetch (when only a URL was given), extract,
triage. Each step records its status and error on the Source, and is safe to repeat."""

from __future__ import annotations

import logging

from django.db import transaction

from claims.models import Source
from claims.sources import source_set_status

log = logging.getLogger(__name__)


def process_source(*, source_id: int) -> None:
    # Claim the work with a conditional update, so a redelivered task does nothing twice.
    claimed = Source.objects.filter(
        pk=source_id, status__in=[Source.Status.PENDING, Source.Status.FAILED]
    ).update(status=Source.Status.EXTRACTING)
    if claimed != 1:
        log.info("source %s is not pending; nothing to do", source_id)
        return
    source = Source.objects.get(pk=source_id)
    if not source.text:
        source_set_status(
            source=source,
            status=Source.Status.FAILED,
            error="Fetching URLs is not available yet: submit the article's text or HTML.",
        )
        return
    try:
        with transaction.atomic():
            from claims.ingest import source_extract

            source_extract(source=source)
    except Exception as exc:
        log.exception("extraction of source %s failed", source_id)
        source_set_status(source=source, status=Source.Status.FAILED, error=str(exc))
        return
    source_set_status(source=source, status=Source.Status.DONE)
