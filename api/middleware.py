"""Request size limit and JSON errors for API paths outside DRF's reach."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from api.exceptions import error_response

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/factchecktools/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) and not path.startswith("/api/docs")


class RequestSizeLimitMiddleware:
    """Refuse bodies over MAX_REQUEST_BYTES with 413 before anything reads them.

    The declared Content-Length is checked first; Django's request stream never reads past
    it, and DATA_UPLOAD_MAX_MEMORY_SIZE (the same limit) guards `request.body`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response(400, "malformed_request", "Content-Length is not a number.")
        if length < 0:
            return error_response(400, "malformed_request", "Content-Length is negative.")
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            # The body is never read. (A WSGI app may not set Connection: close itself; the
            # server decides whether to drain or drop the unread body.)
            return error_response(
                413,
                "payload_too_large",
                f"The request body is {length} bytes; the limit is {limit}.",
                {"limit_bytes": limit},
            )
        return self.get_response(request)


class JsonErrorMiddleware:
    """Django-level 404s and 500s under /api/ answer in the API's error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api_path(request.path) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            return error_response(404, "not_found", "Not found.")
        if response.status_code == 400:
            return error_response(400, "malformed_request", "Bad request.")
        if response.status_code == 413:
            return error_response(413, "payload_too_large", "The request body is too large.")
        if response.status_code >= 500:
            return error_response(
                response.status_code, "server_error", "Something went wrong on our side."
            )
        return response


class SecurityHeadersMiddleware:
    """The headers Django's own middleware does not set, on every response.

    Content-Security-Policy: HTML pages get CONTENT_SECURITY_POLICY (what the admin, the
    browsable API and the docs need); everything else, JSON above all, gets the stricter
    CONTENT_SECURITY_POLICY_API, since nothing in it is ever meant to load or run. A view
    that sets its own policy keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            html = response.get("Content-Type", "").startswith("text/html")
            response["Content-Security-Policy"] = (
                settings.CONTENT_SECURITY_POLICY if html else settings.CONTENT_SECURITY_POLICY_API
            )
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
