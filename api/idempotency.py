"""`Idempotency-Key` for POSTs that create things (POST /sources/).

1. The first request with a key stores a row marking the key in flight, in its own
   transaction, so a concurrent retry with the same key sees it (409) instead of doing the
   work a second time.
2. When the work is done, the answer (status and body) is stored on the row.
3. A retry with the same key and the same body gets the stored answer; the same key with a
   different body is refused with 422. A request that failed with a server error frees its
   key, so it can be retried; one that died without freeing it (its database connection
   lost) leaves the key in flight until API_IDEMPOTENCY_IN_FLIGHT_SECONDS have passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from api.models import IdempotencyKey
from claims.errors import ApplicationError

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status_code = 422


class IdempotencyKeyInFlight(ApplicationError):
    code = "idempotency_key_in_flight"
    status_code = 409


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def idempotent(request: Request, work: Callable[[], Response]) -> Response:
    key = request.META.get(HEADER)
    if key is None:
        return work()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApplicationError(
            "The Idempotency-Key header must be 1 to 255 printable characters.",
            details={"Idempotency-Key": ["invalid"]},
        )
    fingerprint = _fingerprint(request)
    user: Any = request.user
    horizon = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=horizon).delete()
    abandoned = timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_IN_FLIGHT_SECONDS)
    IdempotencyKey.objects.filter(
        user=user, key=key, status_code__isnull=True, created_at__lt=abandoned
    ).delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                user=user,
                key=key,
                method=str(request.method),
                path=request.path[:500],
                fingerprint=fingerprint,
            )
    except IntegrityError:
        existing = IdempotencyKey.objects.get(user=user, key=key)
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request; use a new key."
            ) from None
        if existing.status_code is None:
            raise IdempotencyKeyInFlight(
                "A request with this Idempotency-Key is still being processed; retry shortly."
            ) from None
        response = Response(existing.response_body, status=existing.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    try:
        response = work()
    except ApplicationError as exc:
        from api.exceptions import error_body

        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    except Exception:
        row.delete()
        raise
    if response.status_code >= 500:
        row.delete()
        return response
    row.status_code = response.status_code
    row.response_body = _jsonable(response.data)
    row.save(update_fields=["status_code", "response_body"])
    return response


def _jsonable(data: Any) -> Any:
    import json

    from rest_framework.utils.encoders import JSONEncoder

    return json.loads(json.dumps(data, cls=JSONEncoder))
