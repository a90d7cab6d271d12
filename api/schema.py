"""OpenAPI post-processing: every operation documents the one error shape for the status
codes any request can get (api.exceptions.COMMON_ERRORS), besides its own."""

from __future__ import annotations

from typing import Any

from api.exceptions import COMMON_ERRORS

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Field errors ({field: [messages]}) or facts about the error",
                },
            },
        }
    },
}

_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def add_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = dict(COMMON_ERRORS)
            # Whatever sends If-Match can get 412 (stale or unreadable), found by the
            # stateful schemathesis run on the review actions.
            if any(p.get("name") == "If-Match" for p in operation.get("parameters", [])):
                codes[412] = "If-Match names another version of the object, or none."
            for code, text in codes.items():
                responses.setdefault(str(code), {"description": text})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["content"] = {"application/json": {"schema": _ERROR_REF}}
            responses.setdefault(
                "500",
                {
                    "description": "Server error (a bug: please report it)",
                    "content": {"application/json": {"schema": _ERROR_REF}},
                },
            )
    return result


from drf_spectacular.extensions import OpenApiAuthenticationExtension  # noqa: E402


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = ["BearerKey", "HeaderKey"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        ]


class QueryKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.QueryKeyAuthentication"
    name = "QueryKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        # The headers work here too; Google's clients send the key as `?key=`.
        return {"type": "apiKey", "in": "query", "name": "key"}


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.StaffSessionAuthentication"
    name = "StaffSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
