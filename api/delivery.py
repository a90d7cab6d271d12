"""Webhook deliveries: who is told about what, signing, retries with backoff, and
switching off receivers that keep failing.

Each delivery is signed: `X-Factcheck-Signature: t=<unix time>,v1=<hex>` where v1 is
HMAC-SHA256 over `<t>.<body>` with the endpoint's secret, so a receiver can check both
origin and freshness (reject old timestamps to stop replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from claims import fetch

log = logging.getLogger(__name__)

Event = WebhookEndpoint.Event


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (used by our tests): check the signature and its age."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def backoff(attempt: int) -> int:
    """Seconds before retry `attempt + 1`: exponential, capped below the broker's
    visibility timeout so a scheduled retry is never redelivered early."""
    base = settings.FACTCHECK_WEBHOOK_BACKOFF_SECONDS
    return int(min(base * 2 ** max(0, attempt - 1), settings.FACTCHECK_WEBHOOK_BACKOFF_MAX))


# --- Fan-out ---------------------------------------------------------------------------------


def _enqueue(deliveries: list[WebhookDelivery]) -> None:
    from api import tasks

    def sender(pk: int) -> Callable[[], None]:
        def send_delivery() -> None:
            tasks.deliver_webhook.delay(pk)

        return send_delivery

    for delivery in deliveries:
        # After commit; if the broker is down the beat job picks the delivery up later.
        transaction.on_commit(sender(delivery.pk), robust=True)


@transaction.atomic
def event_fan_out(
    *, event: str, payload: dict[str, Any], owner_id: int | None = None
) -> list[WebhookDelivery]:
    """A delivery per active endpoint subscribed to `event` (only `owner_id`'s when the
    event concerns one client's own data)."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True)
    if owner_id is not None:
        endpoints = endpoints.filter(owner_id=owner_id)
    created = [
        WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, payload=payload, next_attempt_at=timezone.now()
        )
        for endpoint in endpoints
        if event in endpoint.events
    ]
    _enqueue(created)
    return created


def on_review_published(sender: Any, review_id: int, **kwargs: Any) -> None:
    from claims.models import Review

    review = Review.objects.select_related("claim", "rating").filter(pk=review_id).first()
    if review is None:
        return
    event_fan_out(
        event=Event.CLAIM_PUBLISHED,
        payload={
            "event": Event.CLAIM_PUBLISHED.value,
            "claim": {"id": review.claim_id, "text": review.claim.text},
            "review": {
                "id": review.pk,
                "rating": review.rating.slug if review.rating else None,
                "published_at": review.published_at.isoformat() if review.published_at else None,
            },
            "claimreview": review.claimreview,
        },
    )


def on_source_processed(sender: Any, source_id: int, **kwargs: Any) -> None:
    from claims.models import Source

    source = Source.objects.filter(pk=source_id).first()
    if source is None or source.submitted_by_id is None:
        return
    event_fan_out(
        event=Event.SOURCE_PROCESSED,
        owner_id=source.submitted_by_id,
        payload={
            "event": Event.SOURCE_PROCESSED.value,
            "source": {
                "id": source.pk,
                "status": source.status,
                "error": source.error,
                "claims": list(source.appearances.values_list("claim_id", flat=True).distinct()),
            },
        },
    )


# --- Sending ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    retry_in: int | None = None


def _allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # Receivers on private addresses are only for development and tests.
    return settings.FACTCHECK_WEBHOOK_ALLOW_PRIVATE or fetch.is_public_address(ip)


def deliver(*, delivery_id: int) -> Outcome:
    """Send one delivery once. Safe to call twice: the attempt is claimed first."""
    now = timezone.now()
    # 1. Claim this attempt: only a pending delivery that is due, and push its due time
    #    past the send timeout so a concurrent retry sweep leaves it alone.
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        endpoint__is_active=True,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + timedelta(minutes=5))
    if claimed != 1:
        return Outcome("skipped")
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint

    # 2. Send, signed.
    body = json.dumps(
        {"id": delivery.pk, "created_at": delivery.created_at.isoformat(), **delivery.payload},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Factcheck-Event": delivery.event,
        "X-Factcheck-Delivery": str(delivery.pk),
        "X-Factcheck-Timestamp": str(timestamp),
        "X-Factcheck-Signature": sign(endpoint.secret, timestamp, body),
    }
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    excerpt = b""
    try:
        status_code, excerpt = fetch.post(
            endpoint.url,
            body=body,
            headers=headers,
            timeout=settings.FACTCHECK_WEBHOOK_TIMEOUT_SECONDS,
            allowed=_allowed,
        )
        if not 200 <= status_code < 300:
            error = f"The receiver answered {status_code}."
    except fetch.FetchError as exc:
        error = exc.message
    duration = int((time.monotonic() - started) * 1000)

    # 3. Record the attempt, then decide: done, retry later, or give up.
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            status_code=status_code,
            error=error[:2000],
            duration_ms=duration,
            response_excerpt=excerpt[:500].decode("utf-8", errors="replace"),
        )
        delivery.last_status_code = status_code
        delivery.last_error = error[:2000]
        if not error:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            delivery.save()
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
            return Outcome("succeeded")
        if delivery.attempts >= settings.FACTCHECK_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
            delivery.save()
            _count_failure(endpoint, error)
            return Outcome("failed")
        wait = backoff(delivery.attempts)
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=wait)
        delivery.save()
        return Outcome("retry", retry_in=wait)


def _count_failure(endpoint: WebhookEndpoint, error: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    endpoint.refresh_from_db(fields=["consecutive_failures"])
    limit = settings.FACTCHECK_WEBHOOK_DISABLE_AFTER
    if endpoint.consecutive_failures >= limit:
        reason = (
            f"Disabled after {endpoint.consecutive_failures} deliveries in a row failed "
            f"(last: {error}). Fix the receiver, then set is_active again."
        )[:500]
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=False, disabled_reason=reason
        )
        log.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)


def deliveries_due(*, grace: timedelta = timedelta(minutes=1)) -> list[int]:
    """Pending deliveries whose retry is overdue (its scheduled message was lost)."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lt=timezone.now() - grace,
            endpoint__is_active=True,
        ).values_list("pk", flat=True)[:500]
    )
