"""Redis stopped while sources are submitted: the API still accepts and stores them,
/readyz says degraded, and once Redis is back the sweep re-enqueues them and a real
worker (which reconnects by itself) processes every one.

The broker is a throwaway Redis on a free port; the worker is a real Celery subprocess.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client

from claims.models import Source
from tests import factories as f
from tests.api.conftest import client_for
from tests.reliability.figures import record
from tests.support.services import reset_producer_pool, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def article(n: int) -> str:
    return (
        f"Officials in district {n} said {n + 3} people were injured in the floods on Monday. "
        f"According to the regional governor, at least {n * 2 + 10} homes were destroyed."
    )


def finished(*ids: int) -> bool:
    return Source.objects.filter(pk__in=ids, status__in=["done", "failed"]).count() == len(ids)


def test_sources_submitted_while_redis_is_down_are_kept_and_processed_when_it_returns(
    live_celery, workers, throwaway_redis, settings, monkeypatch
):
    app = live_celery
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", throwaway_redis.url)
    app.conf.broker_url = throwaway_redis.url
    settings.CELERY_BROKER_URL = throwaway_redis.url
    reset_producer_pool(app)
    # The sweep the beat runs every few minutes; here anything unfinished for 1 s is stuck.
    worker = workers(throwaway_redis.url, extra_env={"FACTCHECK_STUCK_AFTER_SECONDS": "1"})
    api = client_for(f.make_client("newsroom"))
    probe = Client()

    # 1. With Redis up the pipeline runs: the worker is ready before the fault.
    first = api.post("/api/v1/sources/", {"text": article(0)}, format="json").json()["id"]
    wait_for(lambda: finished(first), timeout=120)

    # 2. Redis goes away; clients keep submitting.
    throwaway_redis.stop()
    reset_producer_pool(app)
    answers = [api.post("/api/v1/sources/", {"text": article(n)}, format="json") for n in (1, 2)]
    degraded = probe.get("/readyz")
    answers += [api.post("/api/v1/sources/", {"text": article(n)}, format="json") for n in (3, 4)]
    assert [a.status_code for a in answers] == [202] * 4, [a.content for a in answers]
    ids = [a.json()["id"] for a in answers]
    assert set(Source.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"pending"}
    assert degraded.status_code == 200
    assert degraded.json()["status"] == "degraded"
    assert degraded.json()["broker"]["status"] == "error"
    assert degraded.json()["database"]["status"] == "ok"

    # 3. Redis comes back empty (it keeps nothing on disk); the worker reconnects by itself.
    throwaway_redis.start()
    reset_producer_pool(app)
    assert probe.get("/readyz").json()["status"] == "ok"
    time.sleep(1.1)  # past FACTCHECK_STUCK_AFTER_SECONDS, so the sweep sees them as stuck
    from claims import tasks

    tasks.sweep_stuck.delay()
    wait_for(lambda: finished(*ids), timeout=180, every=0.5)
    assert worker.proc.poll() is None, worker.output()[-2000:]

    # 4. Nothing lost: every source submitted during the outage was processed.
    statuses = dict(Source.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == dict.fromkeys(ids, "done"), Source.objects.filter(pk__in=ids).values(
        "pk", "status", "error"
    )
    record(
        "redis_outage",
        {
            "fault": "Redis killed while sources were submitted, restarted empty",
            "submitted_during_outage": len(ids),
            "accepted_202": sum(a.status_code == 202 for a in answers),
            "readyz_during_outage": degraded.json()["status"],
            "processed_after_recovery": sum(s == "done" for s in statuses.values()),
            "lost": 0,
        },
    )
