"""Fixtures for the fault and load tests: throwaway servers that the tests break.

Never the machine's shared PostgreSQL or Redis: every fault is injected into a server
started here, on a free port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.fixtures import broker_url, live_celery, throwaway_redis, workers
from tests.support.services import (
    AppServer,
    ThrowawayPostgres,
    manage,
    postgres_unavailable_reason,
)

__all__ = ["broker_url", "live_celery", "throwaway_redis", "workers"]


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A migrated PostgreSQL cluster of the test's own (initdb in a temporary folder)."""
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = ThrowawayPostgres()
    try:
        server.init()
        server.start()
        manage("migrate", "--noinput", database_url=server.url)
        yield server
    finally:
        server.destroy()


@pytest.fixture
def app_servers() -> Iterator[Callable[..., AppServer]]:
    """Start the web application under gunicorn; stopped (and its log removed) afterwards."""
    started: list[AppServer] = []

    def start(**kwargs: object) -> AppServer:
        server = AppServer(**kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        server.log.unlink(missing_ok=True)
