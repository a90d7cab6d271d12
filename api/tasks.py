"""Celery tasks for webhook deliveries (queue `delivery`)."""

from __future__ import annotations

from celery import shared_task

from claims.tasks import RETRY


@shared_task(name="api.deliver_webhook", **RETRY)
def deliver_webhook(delivery_id: int) -> str:
    from api.delivery import deliver

    outcome = deliver(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="api.retry_due_webhooks", **RETRY)
def retry_due_webhooks() -> int:
    from api.delivery import deliveries_due

    due = deliveries_due()
    for pk in due:
        deliver_webhook.delay(pk)
    return len(due)
