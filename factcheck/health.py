"""Liveness and readiness probes.

/healthz answers as long as the process can serve a request; /readyz also checks the
database and, when a broker is configured, that the broker answers. Both return JSON and
never touch the session or authentication, so probes work before any user exists.

/readyz answers 503 (with Retry-After) only when the database is down: with the broker down
the service is "degraded" but still useful (submissions are stored and the sweep enqueues
them once the broker is back), so it stays in the load balancer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from factcheck.middleware import RETRY_AFTER_SECONDS


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"; the message says why
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "ok", "vendor": connection.vendor}


def _check_broker() -> dict[str, Any]:
    if not settings.BROKER_CONFIGURED:
        return {"status": "in-process"}
    from factcheck.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu wraps transport errors in several types
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "ok"}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    database = _check_database()
    broker = _check_broker()
    if database["status"] != "ok":
        status, code = "unavailable", 503
    elif broker["status"] == "error":
        # Submissions are still stored and processed once the broker is back.
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    response = JsonResponse({"status": status, "database": database, "broker": broker}, status=code)
    if code == 503:
        # The same hint the API gives while the database is away (factcheck/middleware.py).
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
