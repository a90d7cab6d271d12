"""Soak: many concurrent clients on loopback doing mixed reads and writes against gunicorn
(2 workers) while a real Celery worker processes what they submit.

Counted: requests served, errors (a 5xx or no answer; a 4xx the scenario expects, such as
an empty review queue, is not one), latency percentiles, and every submitted source, which
must end done or failed with its error: none lost. Latencies are reported, never asserted.

`make test` runs a short form (SOAK_SECONDS, default 30); `make soak` runs several minutes
and writes the figures to build/soak.json (SOAK_REPORT).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from api.models import ApiKey
from claims.models import Claim, ReviewerProfile, Source
from claims.sources import source_submit
from tests import factories as f
from tests.reliability.figures import record
from tests.reliability.load import Load, percentile
from tests.support.http import Answer, call
from tests.support.services import reset_producer_pool, suite_database_url, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SECONDS = float(os.environ.get("SOAK_SECONDS", "30"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "12"))
# Sources per second the clients may submit together, so one worker keeps up and the
# drain at the end stays short.
SOURCE_RATE = float(os.environ.get("SOAK_SOURCE_RATE", "1.0"))
REPORT = os.environ.get("SOAK_REPORT")

# Status codes an operation may answer without it being an error.
EXPECTED = {
    "take_next": {200, 403, 404},  # 404: the queue is empty; 403: at capacity
    "release": {200, 409},  # 409: the pipeline's assignment or an expiry got there first
}

WORDS = [
    "rally",
    "floods",
    "troops",
    "aid",
    "schools",
    "homes",
    "ministry",
    "governor",
    "district",
    "statement",
]


def article(tag: str, n: int) -> str:
    return (
        f"Officials in district {tag} said {n + 3} people were injured in the floods on Monday. "
        f"According to the regional governor, at least {n * 2 + 10} homes were destroyed in "
        f"district {tag}. The ministry announced {n + 5} million dollars in aid."
    )


class Scenario:
    def __init__(self, base_url: str, keys: dict[str, str], claim_ids: list[int]) -> None:
        self.base_url = base_url
        self.keys = keys
        self.claim_ids = claim_ids
        self.started = time.monotonic()
        self.sources: list[int] = []
        self.sources_sent = 0
        self.lock = threading.Lock()
        self.kinds: dict[int, str] = {}
        self.extra: list[Answer] = []

    def get(self, path: str, who: str = "client") -> Answer:
        return call(self.base_url, "GET", path, key=self.keys[who])

    def post(self, path: str, body: Any = None, who: str = "client") -> Answer:
        return call(self.base_url, "POST", path, key=self.keys[who], body=body)

    def may_submit(self) -> bool:
        with self.lock:
            allowed = (time.monotonic() - self.started) * SOURCE_RATE + 1
            if self.sources_sent < allowed:
                self.sources_sent += 1
                return True
            return False

    def step(self, client: int, n: int) -> Answer:
        rng = random.Random(client * 1_000_003 + n)
        roll = rng.random()
        claim_id = rng.choice(self.claim_ids)
        if roll < 0.22:
            kind, answer = "list", self.get("/api/v1/claims/?page_size=20", "reviewer")
        elif roll < 0.30:
            kind, answer = "list_client", self.get("/api/v1/claims/", "client")
        elif roll < 0.48:
            kind, answer = "detail", self.get(f"/api/v1/claims/{claim_id}/", "reviewer")
        elif roll < 0.62:
            word = rng.choice(WORDS)
            kind, answer = "search", self.get(f"/api/v1/claims/?q={word}", "reviewer")
        elif roll < 0.72:
            kind, answer = "similar", self.get(f"/api/v1/claims/{claim_id}/similar/", "reviewer")
        elif roll < 0.78:
            kind, answer = "sources", self.get("/api/v1/sources/", "client")
        elif roll < 0.86 and self.may_submit():
            body = {"text": article(f"{client}-{n}", n), "title": f"soak {client}-{n}"}
            kind, answer = "submit", self.post("/api/v1/sources/", body)
            if answer.status == 202:
                with self.lock:
                    self.sources.append(answer.json()["id"])
        elif roll < 0.93:
            body = {"text": f"Soak {client}-{n}: {n + 11} troops were deployed.", "kind": "figure"}
            kind, answer = "create_claim", self.post("/api/v1/claims/", body)
            if answer.status == 201:
                with self.lock:
                    self.claim_ids.append(answer.json()["id"])
        else:
            who = rng.choice(["reviewer", "reviewer2"])
            kind, answer = "take_next", self.post("/api/v1/queue/take-next/", {}, who)
            if answer.status == 200:
                # The take is counted here; the release that follows is this step's answer.
                with self.lock:
                    self.extra.append(answer)
                self.kinds[id(answer)] = kind
                task = answer.json()["id"]
                answer = self.post(f"/api/v1/queue/{task}/release/", None, who)
                kind = "release"
        self.kinds[id(answer)] = kind
        return answer


def is_error(kind: str, answer: Answer) -> bool:
    if answer.status is None or answer.status >= 500:
        return True
    if kind in EXPECTED:
        return answer.status not in EXPECTED[kind]
    return not answer.ok


def test_mixed_reads_and_writes_from_many_clients_lose_nothing(
    live_celery, workers, throwaway_redis, app_servers, settings, monkeypatch
):
    from factcheck.celery import app

    monkeypatch.setenv("CELERY_BROKER_URL", throwaway_redis.url)
    app.conf.broker_url = throwaway_redis.url
    settings.CELERY_BROKER_URL = throwaway_redis.url
    reset_producer_pool(app)
    worker = workers(throwaway_redis.url, concurrency=2)

    # 1. Data to read: articles processed by the real worker before the load starts.
    users = {
        "client": f.make_client("soak-client"),
        "reviewer": f.make_reviewer("soak-rita"),
        "reviewer2": f.make_reviewer("soak-ravi"),
    }
    for who in ("reviewer", "reviewer2"):
        # Room to take tasks by hand as well as those the pipeline assigns.
        ReviewerProfile.objects.update_or_create(user=users[who], defaults={"capacity": 10_000})
    keys = {who: ApiKey.generate(user=user, name="soak")[1] for who, user in users.items()}
    seeded = [source_submit(text=article(f"seed{n}", n)).pk for n in range(6)]
    wait_for(
        lambda: Source.objects.filter(pk__in=seeded, status__in=["done", "failed"]).count() == 6,
        timeout=180,
        every=0.5,
    )
    claim_ids = list(Claim.objects.values_list("pk", flat=True))
    assert claim_ids

    # 2. The load.
    server = app_servers(database_url=suite_database_url(), broker_url=throwaway_redis.url)
    scenario = Scenario(server.url, keys, claim_ids)
    started = time.monotonic()
    load = Load(CLIENTS, scenario.step).start()
    time.sleep(SECONDS)
    answers = load.stop() + scenario.extra
    elapsed = time.monotonic() - started

    # 3. Drain: every source a client was told was accepted ends done or failed.
    submitted = list(scenario.sources)
    drain_started = time.monotonic()
    wait_for(
        lambda: (
            Source.objects.filter(pk__in=submitted, status__in=["done", "failed"]).count()
            == len(submitted)
        ),
        timeout=max(240.0, len(submitted) * 3.0),
        every=1.0,
    )
    drained_in = time.monotonic() - drain_started
    outcome = dict(Source.objects.filter(pk__in=submitted).values_list("pk", "status"))
    failed_without_error = Source.objects.filter(pk__in=submitted, status="failed", error="")

    by_kind: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_kind[scenario.kinds.get(id(answer), "?")].append(answer)
    errors = [(kind, a) for kind, group in by_kind.items() for a in group if is_error(kind, a)]
    seconds = [a.seconds for a in answers]
    figures = {
        "duration_seconds": round(elapsed, 1),
        "clients": CLIENTS,
        "server": "gunicorn, 2 workers x 4 threads; 1 Celery worker, concurrency 2",
        "requests": len(answers),
        "requests_per_second": round(len(answers) / elapsed, 1),
        "errors": len(errors),
        "statuses": {str(k): v for k, v in sorted(Counter(a.status for a in answers).items())},
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "by_operation": {
            kind: {
                "requests": len(group),
                "p95_ms": round(percentile([a.seconds for a in group], 95) * 1000, 1),
            }
            for kind, group in sorted(by_kind.items())
        },
        "sources_submitted": len(submitted),
        "sources_done": sum(s == "done" for s in outcome.values()),
        "sources_failed": sum(s == "failed" for s in outcome.values()),
        "sources_lost": len(submitted) - len(outcome),
        "drain_seconds": round(drained_in, 1),
    }
    record("soak", figures, path=Path(REPORT) if REPORT else None)
    print(figures)

    assert not errors, [f"{kind}: {a.describe()}" for kind, a in errors[:10]]
    assert len(answers) > CLIENTS
    assert submitted, "the scenario submitted no source"
    assert set(outcome) == set(submitted)
    assert not failed_without_error.exists()
    assert worker.proc.poll() is None, worker.output()[-2000:]
    assert server.proc.poll() is None, server.output()[-2000:]
