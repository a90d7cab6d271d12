"""A database that is down or restarting answers 503 with Retry-After, never a 500.

While PostgreSQL restarts, every query fails with OperationalError (connection refused,
"terminating connection due to administrator command", "the database system is starting
up") or InterfaceError (a connection already closed). Nothing was committed by a request
that failed this way, so telling the client to retry later is both true and safe. Django
drops the broken connection when the request ends (errors_occurred, then is_usable) and
CONN_HEALTH_CHECKS replaces a stale persistent one before its first use, so the service
recovers by itself once the database is back.

Deadlocks, serialisation failures and statement timeouts are OperationalErrors too: they
are transient as well, and a retry is the right answer to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from api.exceptions import error_response
from api.middleware import is_api_path

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable for a moment; retry after {seconds} seconds."


def database_unavailable(request: HttpRequest) -> HttpResponse:
    message = MESSAGE.format(seconds=RETRY_AFTER_SECONDS)
    response: HttpResponse
    if is_api_path(request.path):
        response = error_response(
            503, "service_unavailable", message, {"retry_after_seconds": RETRY_AFTER_SECONDS}
        )
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Last in MIDDLEWARE, so its process_exception sees a view's database error first.

    Errors raised by the view (DRF re-raises what its handler does not know) arrive in
    process_exception; __call__ catches what escapes the view layer itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self._unavailable(request, exc)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            return self._unavailable(request, exception)
        return None

    def _unavailable(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        log.warning(
            "database unavailable during %s %s: %s: %s",
            request.method,
            request.path,
            type(exc).__name__,
            str(exc).strip()[:300],
        )
        return database_unavailable(request)
