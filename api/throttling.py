"""Rate limits per API key (or per staff user on a session), with a burst and a sustained
rate (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], set from API_THROTTLE_BURST and
API_THROTTLE_SUSTAINED)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey


class _PerKeyThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class BurstRateThrottle(_PerKeyThrottle):
    scope = "burst"


class SustainedRateThrottle(_PerKeyThrottle):
    scope = "sustained"
