"""Real processes for tests: Celery workers, a gunicorn server, and throwaway Redis and
PostgreSQL servers on free ports that a test may stop and restart at will.

The machine's shared PostgreSQL (5432) and Redis (6379) are never stopped: fault tests
break only the servers they started here.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
QUEUES = "default,fetch,pipeline,delivery"
SECRET_KEY = "integration-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


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


def suite_database_url() -> str:
    """The database pytest-django created, as a URL a subprocess can use."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(
    *, database_url: str, broker_url: str | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "FACTCHECK_MATCH_EMBEDDINGS": "0",
        **(extra or {}),
    }
    if broker_url is None:
        env.pop("CELERY_BROKER_URL", None)
    else:
        env["CELERY_BROKER_URL"] = broker_url
    return env


def manage(*args: str, database_url: str, timeout: float = 120.0) -> str:
    """Run a manage.py command in a subprocess against `database_url`; its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=process_env(database_url=database_url, broker_url=None),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


class _Process:
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the process and its children: no cleanup, no acknowledgement."""
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


class Worker(_Process):
    """A Celery worker subprocess (its own process group, so SIGKILL reaches the pool).

    Without `database_url` it uses the database pytest-django created."""

    def __init__(
        self,
        broker_url: str,
        *,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        database_url: str | None = None,
    ) -> None:
        env = process_env(
            database_url=database_url or suite_database_url(),
            broker_url=broker_url,
            extra=extra_env,
        )
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
            start_new_session=True,
        )


class AppServer(_Process):
    """The web application under gunicorn (threads, several workers), on a free port."""

    def __init__(
        self,
        *,
        database_url: str,
        broker_url: str | None,
        workers: int = 2,
        threads: int = 4,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.log = Path(f"/tmp/factcheck-web-{uuid.uuid4().hex[:8]}.log")
        env = process_env(
            database_url=database_url,
            broker_url=broker_url,
            extra={
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                # Load and fault tests measure the service, not the rate limiter.
                "API_THROTTLE_BURST": "1000000/min",
                "API_THROTTLE_SUSTAINED": "100000000/day",
                **(extra_env or {}),
            },
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "factcheck.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(self._up, timeout=60)
        except AssertionError:
            self.stop()
            raise AssertionError(f"gunicorn did not start:\n{self.output()[-3000:]}") from None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.output()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.0 200") or False
        except OSError:
            return False


def reset_producer_pool(app: object) -> None:
    """Forget cached broker connections so the next publish connects to broker_url anew.

    Not closed: kombu keeps a registry of pools by URL, and a closed pool found there again
    refuses every later publish."""
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


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


def postgres_bindir() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian keeps them off PATH)."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    if not found:
        initdb = shutil.which("initdb")
        return Path(initdb).parent if initdb else None

    def major(path: Path) -> int:
        match = re.search(r"/(\d+)/bin$", str(path))
        return int(match.group(1)) if match else 0

    return max(found, key=major)


def postgres_unavailable_reason() -> str | None:
    if postgres_bindir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        # initdb refuses to run as root: the cluster belongs to the postgres user.
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to own a cluster"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


class ThrowawayPostgres:
    """A PostgreSQL cluster made with initdb in a temporary folder, on a free port.

    fsync is off: the faults injected here kill the server process, not the machine, and
    the operating system keeps what was written either way."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        assert bindir is not None
        self.bin = bindir
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are private to root, and the server runs
        # as the postgres user.
        self.root = Path(tempfile.mkdtemp(prefix="factcheck-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        result = subprocess.run(
            [*self.as_owner, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise AssertionError(
                f"{' '.join(args)} failed:\n{result.stdout.decode(errors='replace')}\n{log}"
            )

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c max_connections=50"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends sessions and shuts down cleanly; `immediate` kills the server like a
        crash (recovery replays the WAL at the next start)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(AssertionError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
