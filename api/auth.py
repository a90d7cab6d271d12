"""API key authentication.

A key is sent as `Authorization: Bearer <key>` or `X-API-Key: <key>` (and, for the Google
Fact Check Tools compatible endpoint only, as the `key` query parameter, as Google's
clients do). Keys are looked up by their hash, so a revoked key is refused on the very
next request: nothing caches them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiKey, hash_key

KEYWORD = "Bearer"


def _key_from_headers(request: Request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    if header:
        parts = header.split()
        if parts and parts[0].lower() == KEYWORD.lower():
            if len(parts) != 2:
                raise exceptions.AuthenticationFailed(
                    "Send the key as 'Authorization: Bearer <key>'."
                )
            return parts[1]
        return None  # another scheme (e.g. Basic): not ours to judge
    value = request.META.get("HTTP_X_API_KEY", "")
    return value.strip() or None


def _touch(key: ApiKey) -> None:
    """Record when the key was last used, at most once per resolution window.

    A conditional update, so concurrent requests write it once and reads stay cheap.
    """
    now = timezone.now()
    resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
    if key.last_used_at is not None and now - key.last_used_at < resolution:
        return
    ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - resolution), pk=key.pk
    ).update(last_used_at=now)
    key.last_used_at = now


def authenticate_key(raw: str) -> tuple[Any, ApiKey]:
    if not raw or len(raw) > 200 or "\x00" in raw:
        raise exceptions.AuthenticationFailed("Invalid API key.")
    key = (
        ApiKey.objects.select_related("user")
        .filter(hashed_key=hash_key(raw), revoked_at__isnull=True)
        .first()
    )
    if key is None or not key.user.is_active:
        raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
    _touch(key)
    return key.user, key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = _key_from_headers(request)
        if raw is None:
            return None
        return authenticate_key(raw)

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


class QueryKeyAuthentication(ApiKeyAuthentication):
    """Also accepts `?key=`: only for the Fact Check Tools compatible endpoint."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        found = super().authenticate(request)
        if found is not None:
            return found
        raw = request.query_params.get("key")
        if raw is None:
            return None
        return authenticate_key(raw)


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """The browsable API for reviewers and editors signed in to the admin."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        found = super().authenticate(request)
        if found is None or not found[0].is_staff:
            return None
        return found
