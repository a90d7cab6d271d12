"""A plain HTTP client for tests that talk to a server process over loopback.

One connection per call, so any number of threads can use it; a call never raises: a
refused connection or a timeout comes back as an Answer with `error` set and no status.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    method: str
    path: str
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    error: str = ""
    started: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def server_error(self) -> bool:
        """What a load or fault test counts as an error: a 5xx or no answer at all."""
        return self.status is None or self.status >= 500

    def describe(self) -> str:
        what = self.error or f"{self.status} {self.body[:300]!r}"
        return f"{self.method} {self.path} -> {what}"


def call(
    base_url: str,
    method: str,
    path: str,
    *,
    key: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> Answer:
    parts = urlsplit(base_url)
    sent = {"Accept": "application/json", **(headers or {})}
    payload: bytes | None = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    if key:
        sent["Authorization"] = f"Bearer {key}"
    started = time.monotonic()
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        data = response.read()
        return Answer(
            method,
            path,
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            data,
            time.monotonic() - started,
            started=started,
        )
    except (OSError, http.client.HTTPException) as exc:
        return Answer(
            method,
            path,
            None,
            seconds=time.monotonic() - started,
            error=f"{type(exc).__name__}: {exc}",
            started=started,
        )
    finally:
        conn.close()


def is_error_shape(answer: Answer) -> bool:
    """The API's one error shape: {"error": {"code", "message", "details"}}."""
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return {"code", "message", "details"} <= set(error)
