"""End-to-end pipeline throughput: sources per second from submission to claims queued.

Runs the same batch of ~600-word articles three ways, each on a fresh database:
in one process without Celery (the floor: the services alone), then through Redis with
1 and with 2 Celery worker processes. Reports sources/s and the ratio to the floor.

    .venv/bin/python tests/benchmarks/bench_pipeline.py [--sources 60]

Needs PostgreSQL and Redis (the same as `make test`); uses its own database
`factcheck_bench_pipeline` and Redis database 13.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DB_NAME = "factcheck_bench_pipeline"
ADMIN_URL = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")

os.environ.update(
    DJANGO_SETTINGS_MODULE="factcheck.settings",
    DEBUG="0",
    SECRET_KEY="bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
    DATABASE_URL=ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME,
    CELERY_BROKER_URL=BROKER,
    LOG_LEVEL="WARNING",
)

SENTENCES = [
    "Officials in district {n} said {a} people were injured in the floods on Monday.",
    "According to the regional governor, at least {b} homes were destroyed in district {n}.",
    '"We have sent {c} rescue workers to the area," the ministry said in a statement.',
    "The army deployed some {d} troops to district {n}, a spokesman said.",
    "Local media reported that over {e} schools in district {n} remain closed.",
    "The government announced {f} million dollars in aid for district {n}.",
    "Residents told reporters that the water rose by {a} centimetres within an hour.",
    "The opposition claims the warning came {b} hours too late for district {n}.",
    "A United Nations agency estimated that {c} families need shelter in the region.",
    "I think the response has been slow and badly organised.",
]


def article(n: int, words: int = 600) -> str:
    out: list[str] = []
    i = 0
    while sum(len(s.split()) for s in out) < words:
        k = n * 1000 + i
        out.append(
            SENTENCES[i % len(SENTENCES)].format(
                n=n,
                a=k % 97 + 3,
                b=k % 89 + 10,
                c=k % 83 + 40,
                d=k % 79 * 10 + 100,
                e=k % 73 + 7,
                f=k % 71 + 5,
            )
        )
        i += 1
    return " ".join(out)


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def settled(ids: list[int]) -> bool:
    from claims.models import Claim, Source

    if Source.objects.filter(pk__in=ids, status__in=["pending", "fetching", "extracting"]).exists():
        return False
    return not Claim.objects.filter(appearances__source__in=ids, status="new").exists()


def run(mode: str, texts: list[str]) -> float:
    from django.db import connection

    from claims.sources import source_submit
    from factcheck.celery import app
    from tests import factories as f

    connection.close()
    fresh_database()
    for name in ("alice", "rita"):
        f.make_reviewer(name)
    workers = []
    if mode == "in-process":
        app.conf.task_always_eager = True
    else:
        import redis

        redis.Redis.from_url(BROKER).flushdb()
        app.conf.task_always_eager = False
        from tests.integration.conftest import Worker

        workers = [Worker(BROKER) for _ in range(int(mode.split()[0]))]
        time.sleep(8)  # let the workers boot; not part of the measurement
    started = time.perf_counter()
    ids = [source_submit(text=text).pk for text in texts]
    while not settled(ids):
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.stop()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=60)
    args = parser.parse_args()
    import django

    django.setup()
    texts = [article(n) for n in range(args.sources)]
    words = sum(len(t.split()) for t in texts)
    print(f"{args.sources} sources, {words / args.sources:.0f} words each, {os.cpu_count()} cores")
    floor = None
    for mode in ("in-process", "1 worker", "2 workers"):
        elapsed = run(mode, texts)
        rate = args.sources / elapsed
        floor = floor or rate
        print(
            f"{mode:>10}: {elapsed:6.1f} s  {rate:6.2f} sources/s  "
            f"ratio to in-process {rate / floor:.2f}"
        )


if __name__ == "__main__":
    main()
