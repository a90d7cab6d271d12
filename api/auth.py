"""API key authentication.

A key is sent as `Authorization: Bearer <key>` or `X-API-Key: <key>` (and, for the Google
Fact Check Tools compatible endpoint only, as the `key` query parameter, as Google's
clients do). Keys are looked up by their hash, so a revoked key is refused on the very
next request: nothing caches them.

Guessing keys is throttled per client address: after API_AUTH_FAILURE_LIMIT wrong keys
within API_AUTH_FAILURE_WINDOW_SECONDS, every key presented from that address (right or
wrong, or a right guess would still be told apart) gets 429 with Retry-After until the
window ends. Each failure is logged as a warning with the address and the key's prefix,
never the key.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import ApiKey, hash_key
from api.throttling import redis_client
from claims.roles import CLIENTS, EDITORS, REVIEWERS
from claims.selectors import CLIENT, EDITOR, REVIEWER, remember_role

log = logging.getLogger(__name__)

KEYWORD = "Bearer"
_KEY_SHAPE = re.compile(r"fck_[0-9a-f]{8}_")


def key_prefix(raw: str) -> str:
    """What of a presented key may be logged: the public prefix of a well-formed key
    (`fck_1a2b3c4d`), or a few characters of anything else; never the secret part."""
    if _KEY_SHAPE.match(raw):
        return raw[:12]
    return repr(raw[:4])[1:-1] + "…"


def client_address(request: Request) -> str:
    # DRF's identification: REMOTE_ADDR, or X-Forwarded-For as far as NUM_PROXIES trusts it.
    return str(BaseThrottle().get_ident(request) or "unknown")


class _FailedKeys:
    """Wrong keys per client address in a fixed window, in the shared cache."""

    @staticmethod
    def _keys(address: str) -> tuple[str, str]:
        return f"authfail:count:{address}", f"authfail:start:{address}"

    @classmethod
    def retry_after(cls, address: str) -> int | None:
        """Seconds until this address may try again, or None when it may now."""
        count_key, start_key = cls._keys(address)
        count = cls._count(count_key)
        if count < settings.API_AUTH_FAILURE_LIMIT:
            return None
        window = settings.API_AUTH_FAILURE_WINDOW_SECONDS
        started = cache.get(start_key) or time.time()
        return max(1, int(started + window - time.time()) + 1)

    @staticmethod
    def _count(count_key: str) -> int:
        # Read on every request with a key; Django's get() on Redis makes a client each time.
        backend = caches["default"]
        if isinstance(backend, RedisCache):
            raw = redis_client(backend).get(backend.make_and_validate_key(count_key))
            return 0 if raw is None else int(raw)
        return int(cache.get(count_key) or 0)

    @classmethod
    def record(cls, address: str) -> int:
        count_key, start_key = cls._keys(address)
        window = settings.API_AUTH_FAILURE_WINDOW_SECONDS
        cache.add(start_key, time.time(), timeout=window)
        # add then incr: atomic in Redis, so concurrent guesses are all counted.
        cache.add(count_key, 0, timeout=window)
        try:
            return int(cache.incr(count_key))
        except ValueError:  # expired between add and incr
            cache.add(count_key, 1, timeout=window)
            return 1


def _check_not_locked_out(address: str) -> None:
    try:
        wait = _FailedKeys.retry_after(address)
    except Exception:  # the cache (Redis) is down: serve keys, do not fail every request
        log.warning("cannot read the failed-key count from the cache", exc_info=True)
        return
    if wait is not None:
        raise exceptions.Throttled(
            wait=wait, detail="Too many wrong API keys from this address; try again later."
        )


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


def _refuse(request: Request | None, raw: str) -> exceptions.AuthenticationFailed:
    if request is not None:
        address = client_address(request)
        try:
            failures = _FailedKeys.record(address)
        except Exception:  # the cache is down: the refusal itself must still be a 401
            failures = -1
        log.warning(
            "API key refused from %s (key prefix %s, %d wrong in the window)",
            address,
            key_prefix(raw),
            failures,
        )
    return exceptions.AuthenticationFailed("Invalid or revoked API key.")


# --- The key, its user and the user's role in one query ------------------------------------
#
# claims.selectors.user_role reads the role from the user's groups, a query of its own; the
# key lookup reads it in the same statement and leaves it where user_role looks first. The
# statement is compiled once per process, with a stand-in for the key's hash: Django takes
# longer to build it than PostgreSQL to run it, on every API request.

_HASH_STAND_IN = "\x00api-key-hash-stand-in"
_RANKS = {3: EDITOR, 2: REVIEWER, 1: CLIENT}


def _key_queryset(hashed: str) -> Any:
    user_model = get_user_model()
    groups: Any = user_model.groups.through.objects.filter(
        user_id=OuterRef("user_id"), group__name__in=[EDITORS, REVIEWERS, CLIENTS]
    )
    rank = groups.annotate(
        rank=Case(
            When(group__name=EDITORS, then=Value(3)),
            When(group__name=REVIEWERS, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("-rank")
    return (
        ApiKey.objects.filter(hashed_key=hashed, revoked_at__isnull=True)
        .annotate(role_rank=Subquery(rank.values("rank")[:1]))
        .order_by()
        .values_list(
            *(field.attname for field in ApiKey._meta.concrete_fields),
            *(f"user__{field.attname}" for field in user_model._meta.concrete_fields),
            "role_rank",
        )
    )


class _KeyStatement:
    """_key_queryset compiled once per database vendor, with the converters its rows need."""

    def __init__(self, alias: str) -> None:
        compiler = _key_queryset(_HASH_STAND_IN).query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.hash_at = self.params.index(_HASH_STAND_IN)
        if self.params.count(_HASH_STAND_IN) != 1:
            raise RuntimeError("the key's hash is not one parameter of the key query")
        self.compiler = compiler
        self.converters = compiler.get_converters([col for col, _, _ in compiler.select])

    def fetch(self, alias: str, hashed: str) -> tuple[Any, ...] | None:
        params = list(self.params)
        params[self.hash_at] = hashed
        with connections[alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None or not self.converters:
            return row
        return tuple(next(iter(self.compiler.apply_converters([row], self.converters))))


_KEY_STATEMENTS: dict[str, _KeyStatement] = {}


def _find_key(hashed: str) -> ApiKey | None:
    """The active key with this hash, its user attached and the user's role cached on it."""
    alias = DEFAULT_DB_ALIAS
    vendor = connections[alias].vendor
    statement = _KEY_STATEMENTS.get(vendor)
    if statement is None:
        statement = _KEY_STATEMENTS[vendor] = _KeyStatement(alias)
    row = statement.fetch(alias, hashed)
    if row is None:
        return None
    user_model = get_user_model()
    key_fields = ApiKey._meta.concrete_fields
    user_fields = user_model._meta.concrete_fields
    n, m = len(key_fields), len(key_fields) + len(user_fields)
    key = ApiKey.from_db(alias, [f.attname for f in key_fields], row[:n])
    user = user_model.from_db(alias, [f.attname for f in user_fields], row[n:m])
    ApiKey._meta.get_field("user").set_cached_value(key, user)
    rank = row[-1]
    remember_role(user, EDITOR if user.is_superuser else _RANKS.get(rank))
    return key


def authenticate_key(raw: str, request: Request | None = None) -> tuple[Any, ApiKey]:
    if request is not None:
        _check_not_locked_out(client_address(request))
    if not raw or len(raw) > 200 or "\x00" in raw:
        raise _refuse(request, raw)
    key = _find_key(hash_key(raw))
    if key is None or not key.user.is_active:
        raise _refuse(request, raw)
    _touch(key)
    return key.user, key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = _key_from_headers(request)
        if raw is None:
            return None
        return authenticate_key(raw, request)

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
        return authenticate_key(raw, request)


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """The browsable API for reviewers and editors signed in to the admin."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        found = super().authenticate(request)
        if found is None or not found[0].is_staff:
            return None
        return found
