"""Real Celery workers on a real Redis, against the test database.

Workers run as subprocesses (so they can be killed with SIGKILL like in production) and
connect to the database pytest-django created. These tests commit their data
(transaction=True), so the worker sees it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
QUEUES = "default,fetch,pipeline,delivery"


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, every: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s: {predicate}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Worker:
    def __init__(
        self, broker_url: str, *, concurrency: int = 1, extra_env: dict[str, str] | None = None
    ) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{db['NAME']}"
            ),
            "CELERY_BROKER_URL": broker_url,
            "SECRET_KEY": "integration-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.name = f"w{uuid.uuid4().hex[:8]}@%h"
        self.log = Path(f"/tmp/factcheck-worker-{uuid.uuid4().hex[:8]}.log")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "factcheck",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={concurrency}",
                "-Q",
                QUEUES,
                "-n",
                self.name,
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so SIGKILL reaches the children
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no cleanup, no acknowledgement."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def broker_url(settings) -> Iterator[str]:
    """The machine's Redis, on a database the suite owns, emptied before each test."""
    url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


def reset_producer_pool(app) -> None:
    """Forget cached broker connections so the next publish connects to broker_url anew.

    Not closed: kombu keeps a registry of pools by URL, and a closed pool found there again
    refuses every later publish."""
    app._pool = None
    app.amqp._producer_pool = None


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


class ThrowawayRedis:
    """A Redis server of the test's own on a free port, to stop and restart at will."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: self.ping(), timeout=15)

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def throwaway_redis(tmp_path) -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()
