"""Celery tasks: thin wrappers that take ids and call services (see claims/pipeline.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="claims.process_source", acks_late=True)
def process_source(source_id: int) -> None:
    from claims.pipeline import process_source as run

    run(source_id=source_id)
