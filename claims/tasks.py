"""Celery tasks: thin wrappers that take ids and call the pipeline services.

Every task is idempotent (the services claim their work with conditional updates), so
late acknowledgement and redelivery after a worker dies are safe. Transient database and
broker errors are retried with exponential backoff.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from claims.models import Source

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
# Claims a triage task takes at once: big enough that per-task costs vanish, small enough
# that a batch stays well inside the task time limit.
TRIAGE_BATCH = 200
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


def enqueue_source(source_id: int) -> None:
    """Send a source to the right first step: fetch when only a URL is known."""
    has_text = Source.objects.filter(pk=source_id).exclude(text="").exists()
    (process_source if has_text else fetch_source).delay(source_id)


@shared_task(name="claims.fetch_source", **RETRY)
def fetch_source(source_id: int) -> None:
    from claims import pipeline

    if pipeline.fetch_source(source_id=source_id):
        process_source.delay(source_id)


@shared_task(name="claims.process_source", **RETRY)
def process_source(source_id: int) -> None:
    """Extract, then triage the source's new claims in the same task, in batches: its
    claims reach reviewers as soon as it is extracted, not behind every other source
    waiting for extraction. A redelivery (the worker died in between) triages what is
    left; a transient error hands the batch to its own task, which retries it."""
    from claims import pipeline, triage

    claim_ids = pipeline.process_source(source_id=source_id)
    for start in range(0, len(claim_ids), TRIAGE_BATCH):
        batch = claim_ids[start : start + TRIAGE_BATCH]
        try:
            triage.triage_claims(claim_ids=batch)
        except TRANSIENT:
            triage_claims.delay(batch)


def enqueue_triage(claim_ids: list[int]) -> None:
    """Send claims to triage in batches of TRIAGE_BATCH: one task and a few queries a
    batch instead of a task and a dozen queries a claim."""
    for start in range(0, len(claim_ids), TRIAGE_BATCH):
        triage_claims.delay(claim_ids[start : start + TRIAGE_BATCH])


@shared_task(name="claims.triage_claims", **RETRY)
def triage_claims(claim_ids: list[int]) -> dict[str, int]:
    from claims import triage

    return dict(Counter(triage.triage_claims(claim_ids=claim_ids).values()))


@shared_task(name="claims.triage_claim", **RETRY)
def triage_claim(claim_id: int) -> str:
    """One claim (messages sent before triage went by batches still arrive as these)."""
    from claims import triage

    return triage.triage_claim(claim_id=claim_id)


@shared_task(name="claims.assign_queued", **RETRY)
def assign_queued() -> int:
    from claims import triage

    return triage.assign_queued()


@shared_task(name="claims.expire_leases", **RETRY)
def expire_leases() -> int:
    from claims import services, triage

    expired = services.tasks_expire_leases()
    if expired:
        triage.assign_queued()
    return expired


@shared_task(name="claims.escalate_overdue", **RETRY)
def escalate_overdue() -> int:
    from claims import triage

    return triage.escalate_overdue()


@shared_task(name="claims.sweep_stuck", **RETRY)
def sweep_stuck() -> dict[str, Any]:
    from claims import pipeline, triage

    return {
        "sources": pipeline.sources_sweep_stuck(),
        "claims": triage.claims_sweep_new(),
    }
