"""The one exception handler: every API error has the shape

    {"error": {"code": "<machine code>", "message": "<for a person>", "details": {...}}}

`details` holds field errors for validation failures ({"field": ["message", ...]}) and
whatever the domain error carries (e.g. the id of an existing source).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from claims.errors import ApplicationError

log = logging.getLogger(__name__)

_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "Send the If-Match header with the ETag you read."
    default_code = "precondition_required"


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    status_code: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status_code)


def _normalise_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {str(k): _normalise_list(v) for k, v in detail.items()}
    return {"non_field_errors": _normalise_list(detail)}


def _normalise_list(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normalise_list(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return [str(item) for item in value]
        return [_normalise_list(item) for item in value]
    return [str(value)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(error_body("invalid", "Some fields are invalid.", fields), status=400)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DataError):
        # The database refused a value the validators let through (e.g. a number out of
        # range): the client's input, so a 400, never a 500.
        log.warning("database rejected client input: %s", exc)
        return Response(
            error_body("invalid", "A value in the request cannot be stored."), status=400
        )
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling (made JSON by api.middleware) takes over

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]

    code = next(
        (name for cls, name in _CODES.items() if isinstance(exc, cls)),
        str(getattr(exc, "default_code", "error")),
    )
    details: dict[str, Any]
    if isinstance(exc, exceptions.ValidationError):
        message = "Some fields are invalid."
        details = _normalise_details(exc.detail)
    else:
        message = str(exc.detail if not isinstance(exc.detail, dict | list) else exc.default_detail)
        details = {} if not isinstance(exc.detail, dict) else _normalise_details(exc.detail)
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        details = {"retry_after_seconds": int(wait)}
    return Response(
        error_body(code, str(message), details), status=exc.status_code, headers=headers
    )


# Status codes the API documents for every operation, with a one-line meaning.
COMMON_ERRORS = {
    status.HTTP_400_BAD_REQUEST: "Invalid input (field errors in details).",
    status.HTTP_401_UNAUTHORIZED: "No or invalid API key.",
    status.HTTP_403_FORBIDDEN: "The key's role does not allow this.",
    status.HTTP_404_NOT_FOUND: "No such object, or not visible to this key.",
    status.HTTP_405_METHOD_NOT_ALLOWED: "Method not allowed.",
    status.HTTP_406_NOT_ACCEPTABLE: "Cannot render the requested format.",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The body is larger than MAX_REQUEST_BYTES.",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "Send application/json.",
    status.HTTP_429_TOO_MANY_REQUESTS: "Rate limit hit; see Retry-After.",
}
