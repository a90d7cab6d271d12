"""Rate limits per API key (or per staff user on a session), with a burst and a sustained
rate (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], set from API_THROTTLE_BURST and
API_THROTTLE_SUSTAINED).

A counter per fixed window, not DRF's sliding history: the history is a list of every
request's time, read and rewritten whole on each request, and for a daily rate of 20,000 it
grows to hundreds of kilobytes per key. A counter is one atomic increment. The price is that
a client can spend up to twice the rate across a window boundary, which a burst limit
beside the sustained one keeps short.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey


def _count(counter: str, ttl: int) -> int:
    """Add one to a counter and return it; atomic, so concurrent requests never lose one."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip: Django's add() + incr() on Redis is three (SET NX, EXISTS, INCR),
        # on every API request and for each of the two throttles.
        name = backend.make_and_validate_key(counter)
        client = backend._cache.get_client(name, write=True)  # type: ignore[attr-defined]
        pipe = client.pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, ttl)
        count, _ = pipe.execute()
        return int(count)
    cache.add(counter, 0, timeout=ttl)  # a no-op when the counter exists
    try:
        return int(cache.incr(counter))
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, timeout=ttl)
        return 1


class _PerKeyThrottle(SimpleRateThrottle):
    window_ends = 0.0

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: Any) -> bool:
        limit, duration = self.parse_rate(self.rate)
        if limit is None or duration is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // duration)
        self.window_ends = (window + 1) * duration
        return _count(f"{key}:{window}", duration + 1) <= limit

    def wait(self) -> float | None:
        return max(self.window_ends - time.time(), 1.0)


class BurstRateThrottle(_PerKeyThrottle):
    scope = "burst"


class SustainedRateThrottle(_PerKeyThrottle):
    scope = "sustained"
