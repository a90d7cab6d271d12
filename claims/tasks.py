"""Celery tasks: thin wrappers that take ids and call the pipeline services.

Every task is idempotent (the services claim their work with conditional updates), so
late acknowledgement and redelivery after a worker dies are safe. Transient database and
broker errors are retried with exponential backoff.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from claims.models import Source

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
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
    from claims import pipeline

    for claim_id in pipeline.process_source(source_id=source_id):
        triage_claim.delay(claim_id)


@shared_task(name="claims.triage_claim", **RETRY)
def triage_claim(claim_id: int) -> str:
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
