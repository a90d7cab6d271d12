"""Real Celery workers on a real Redis, against the test database.

Workers run as subprocesses (so they can be killed with SIGKILL like in production) and
connect to the database pytest-django created. These tests commit their data
(transaction=True), so the worker sees it.
"""

from __future__ import annotations

# The fixtures and helpers live in tests/support (the reliability suite uses them too); the
# helpers are re-exported here for the modules that import them from this file.
from tests.support.fixtures import broker_url, live_celery, throwaway_redis, workers
from tests.support.services import (
    QUEUES,
    ROOT,
    ThrowawayRedis,
    Worker,
    free_port,
    reset_producer_pool,
    wait_for,
)

__all__ = [
    "QUEUES",
    "ROOT",
    "ThrowawayRedis",
    "Worker",
    "broker_url",
    "free_port",
    "live_celery",
    "reset_producer_pool",
    "throwaway_redis",
    "wait_for",
    "workers",
]
