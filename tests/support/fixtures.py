"""Fixtures for tests that run a real Celery worker on Redis (tests/integration and
tests/reliability import them into their conftest)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import pytest
import redis

from tests.support.services import ThrowawayRedis, Worker, reset_producer_pool


@pytest.fixture
def broker_url(settings) -> Iterator[str]:
    """The machine's Redis, on a database the suite owns, emptied before each test."""
    url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def live_celery(broker_url, settings, monkeypatch):
    """Send tasks to Redis for real from this process (unit tests run them eagerly)."""
    from factcheck.celery import app

    app.conf.task_always_eager = False
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    app.conf.broker_url = broker_url
    settings.BROKER_CONFIGURED = True
    settings.CELERY_BROKER_URL = broker_url
    reset_producer_pool(app)
    yield app
    reset_producer_pool(app)
    app.conf.task_always_eager = True


@pytest.fixture
def workers(broker_url) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(url: str | None = None, **kwargs: object) -> Worker:
        worker = Worker(url or broker_url, **kwargs)  # type: ignore[arg-type]
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        worker.log.unlink(missing_ok=True)


@pytest.fixture
def throwaway_redis(tmp_path) -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()
