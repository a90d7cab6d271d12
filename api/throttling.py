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

_CLIENT_ATTR = "_factcheck_redis_client"


def redis_client(backend: RedisCache) -> Any:
    """The redis-py client of Django's Redis cache for its first server (where it writes),
    made once per cache object: Django makes a new one on every call (get_client), which
    costs more than the round trip it is for."""
    cache_client = backend._cache  # type: ignore[attr-defined]
    client = getattr(cache_client, _CLIENT_ATTR, None)
    if client is None:
        client = cache_client.get_client(write=True)
        setattr(cache_client, _CLIENT_ATTR, client)
    return client


def _count(counters: list[tuple[str, int]]) -> list[int]:
    """Add one to each (counter, ttl) and return the new counts; atomic, so concurrent
    requests never lose one."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip for every counter of the request: Django's add() + incr() on Redis
        # is three (SET NX, EXISTS, INCR) for each.
        names = [backend.make_and_validate_key(counter) for counter, _ in counters]
        pipe = redis_client(backend).pipeline(transaction=False)
        for name, (_, ttl) in zip(names, counters, strict=True):
            pipe.incr(name)
            pipe.expire(name, ttl)
        return [int(count) for count in pipe.execute()[::2]]
    counts = []
    for counter, ttl in counters:
        cache.add(counter, 0, timeout=ttl)  # a no-op when the counter exists
        try:
            counts.append(int(cache.incr(counter)))
        except ValueError:  # expired between add and incr
            cache.set(counter, 1, timeout=ttl)
            counts.append(1)
    return counts


# Where the first per-key throttle of a request leaves the counts of all of them.
_COUNTS_ATTR = "_factcheck_throttle_counts"


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

    def _counter(self, request: Request, view: Any, now: float) -> tuple[str, int, float] | None:
        """(counter name, ttl, end of the window) for this request, or None: not limited."""
        limit, duration = self.parse_rate(self.rate)
        if limit is None or duration is None:
            return None
        key = self.get_cache_key(request, view)
        if key is None:
            return None
        window = int(now // duration)
        return f"{key}:{window}", duration + 1, (window + 1) * duration

    def allow_request(self, request: Request, view: Any) -> bool:
        # DRF asks each throttle in turn and counts the request in every one of them (it
        # asks them all, even after a refusal): the first per-key throttle counts for all
        # of the view's, in one round trip to the cache.
        counts: dict[type, tuple[int, float] | None] | None = getattr(request, _COUNTS_ATTR, None)
        if counts is None or type(self) not in counts:
            counts = self._count_all(request, view)
            setattr(request, _COUNTS_ATTR, counts)
        found = counts.get(type(self))
        if found is None:
            return True
        count, self.window_ends = found
        limit, _ = self.parse_rate(self.rate)
        return limit is None or count <= limit

    def _count_all(self, request: Request, view: Any) -> dict[type, tuple[int, float] | None]:
        classes = [
            cls
            for cls in getattr(view, "throttle_classes", None) or [type(self)]
            if isinstance(cls, type) and issubclass(cls, _PerKeyThrottle)
        ]
        if type(self) not in classes:
            classes = [type(self)]
        now = time.time()
        counters = {}
        for cls in classes:
            throttle = self if cls is type(self) else cls()
            counters[cls] = throttle._counter(request, view, now)
        wanted = [(cls, counter) for cls, counter in counters.items() if counter is not None]
        counts: dict[type, tuple[int, float] | None] = dict.fromkeys(counters)
        if wanted:
            values = _count([(name, ttl) for _, (name, ttl, _) in wanted])
            for (cls, (_, _, ends)), value in zip(wanted, values, strict=True):
                counts[cls] = (value, ends)
        return counts

    def wait(self) -> float | None:
        return max(self.window_ends - time.time(), 1.0)


class BurstRateThrottle(_PerKeyThrottle):
    scope = "burst"


class SustainedRateThrottle(_PerKeyThrottle):
    scope = "sustained"
