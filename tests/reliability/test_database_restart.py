"""PostgreSQL restarted under a write load: 503 + Retry-After, nothing half-written, and the
service recovers by itself.

The database is a throwaway cluster (initdb in a temporary folder, on a free port), the
web application runs under gunicorn with persistent connections, and client threads
submit sources and enter claims throughout. PostgreSQL is stopped twice: once cleanly
(`pg_ctl -m fast`, which ends every session) and once like a crash (`-m immediate`).
"""

from __future__ import annotations

import time
from collections import Counter

import psycopg
import pytest

from tests.reliability.figures import record
from tests.reliability.load import Load
from tests.support.http import Answer, call, is_error_shape
from tests.support.services import ThrowawayPostgres, manage, wait_for

pytestmark = [pytest.mark.slow]

MARK = "restart-load"

MAKE_CLIENT = """
from django.contrib.auth.models import Group, User
from api.models import ApiKey
from claims.roles import CLIENTS
user = User.objects.create(username="restart-load-client")
user.groups.add(Group.objects.get(name=CLIENTS))
print(ApiKey.generate(user=user, name="restart load")[1])
"""


def article(client: int, n: int) -> str:
    return (
        f"[{MARK} {client}-{n}] Officials in district {client} said {n + 3} people were "
        f"injured on Monday. According to the governor, at least {n + 10} homes were destroyed."
    )


def claim_text(client: int, n: int) -> str:
    return f"[{MARK} {client}-{n}] The ministry said {n + 40} rescue workers were sent."


class Writers:
    """Each client alternates: submit a source, enter a claim. Every text is new."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.key = key
        self.sent: dict[int, tuple[str, str]] = {}  # id(answer) -> (kind, text)

    def step(self, client: int, n: int) -> Answer:
        if n % 2 == 0:
            text = article(client, n)
            answer = call(
                self.base_url,
                "POST",
                "/api/v1/sources/",
                key=self.key,
                body={"text": text, "title": f"{MARK} {client}-{n}"},
            )
            self.sent[id(answer)] = ("source", text)
        else:
            text = claim_text(client, n)
            answer = call(
                self.base_url,
                "POST",
                "/api/v1/claims/",
                key=self.key,
                body={"text": text, "kind": "figure"},
            )
            self.sent[id(answer)] = ("claim", text)
        return answer


def refused(answer: Answer) -> bool:
    # Any failure counts here; the test then asserts that each one was a proper 503.
    return not answer.ok


def stored(database_url: str) -> tuple[dict[str, tuple], dict[str, tuple], Counter[int]]:
    with psycopg.connect(database_url) as conn:
        sources = {
            row[1]: row
            for row in conn.execute(
                "SELECT id, text, title, content_hash, status FROM claims_source "
                "WHERE text LIKE %s",
                (f"[{MARK}%",),
            )
        }
        claims = {
            row[1]: row
            for row in conn.execute(
                "SELECT id, text, kind, text_hash, version FROM claims_claim WHERE text LIKE %s",
                (f"[{MARK}%",),
            )
        }
        created = Counter(
            row[0]
            for row in conn.execute(
                "SELECT id FROM claims_historicalclaim WHERE history_type = '+'"
            )
        )
    return sources, claims, created


def outage(db: ThrowawayPostgres, load: Load, base_url: str, mode: str) -> dict[str, object]:
    """Stop PostgreSQL until clients have seen 503s, then start it and wait for successes."""
    db.stop(mode)
    stopped_at = time.monotonic()
    readyz = call(base_url, "GET", "/readyz")
    wait_for(lambda: load.count(refused, since=stopped_at) >= 6, timeout=30, every=0.05)
    db.start()
    started_at = time.monotonic()
    wait_for(
        lambda: (
            load.count(lambda a: a.ok and a.path == "/api/v1/sources/", since=started_at) >= 5
            and load.count(lambda a: a.ok and a.path == "/api/v1/claims/", since=started_at) >= 5
        ),
        timeout=60,
        every=0.1,
    )
    return {"readyz": readyz}


def test_postgres_restarted_under_write_load_answers_503_loses_nothing_and_recovers(
    throwaway_postgres, throwaway_redis, app_servers
):
    db = throwaway_postgres
    key = manage("shell", "-c", MAKE_CLIENT, database_url=db.url).strip().splitlines()[-1]
    # Sources are enqueued on a Redis of the test's own; no worker runs, they stay pending.
    server = app_servers(database_url=db.url, broker_url=throwaway_redis.url)
    writers = Writers(server.url, key)
    load = Load(6, writers.step).start()
    try:
        wait_for(lambda: load.count(lambda a: a.ok) >= 10, timeout=60, every=0.1)
        clean = outage(db, load, server.url, "fast")
        crash = outage(db, load, server.url, "immediate")
    finally:
        answers = load.stop()

    # 1. Every answer was a success or a 503 in the API's error shape with Retry-After:
    #    no 500, no dropped connection, no request left hanging past the client's timeout.
    outcomes = Counter(a.status for a in answers)
    assert set(outcomes) <= {201, 202, 503}, [
        a.describe() for a in answers if a.status not in {201, 202, 503}
    ][:5]
    refused = [a for a in answers if a.status == 503]
    assert len(refused) >= 12
    for answer in refused:
        assert answer.headers.get("retry-after", "").isdigit(), answer.describe()
        assert is_error_shape(answer), answer.describe()
        assert answer.json()["error"]["code"] == "service_unavailable"

    # 2. While the database was down, readiness said so (and the process stayed alive).
    for probe in (clean["readyz"], crash["readyz"]):
        assert isinstance(probe, Answer)
        assert probe.status == 503, probe.describe()
        assert probe.json()["database"]["status"] == "error"
        assert probe.headers.get("retry-after", "").isdigit()

    # 3. The same server process serves again without a restart.
    assert server.proc.poll() is None
    assert call(server.url, "GET", "/readyz").status == 200

    # 4. Nothing half-written: every success is stored whole; a refused request either
    #    stored nothing or (when the database died after the commit) its object whole;
    #    nothing is stored that was not sent.
    sources, claims, created = stored(db.url)
    kinds = {"source": sources, "claim": claims}
    sent_texts = {kind: set() for kind in kinds}
    for answer in answers:
        kind, text = writers.sent[id(answer)]
        sent_texts[kind].add(text)
        if answer.ok:
            row = kinds[kind].get(text)
            assert row is not None, f"acknowledged but not stored: {answer.describe()}"
            assert row[0] == answer.json()["id"]
    assert set(sources) <= sent_texts["source"]
    assert set(claims) <= sent_texts["claim"]
    for _id, text, title, content_hash, status in sources.values():
        assert title, text
        assert content_hash, text
        assert status == "pending", (text, status)
    # Each claim has exactly its "created" history row, and no history row lost its claim.
    claim_ids = {row[0] for row in claims.values()}
    assert all(created[pk] == 1 for pk in claim_ids)
    with psycopg.connect(db.url) as conn:
        orphans = conn.execute(
            "SELECT count(*) FROM claims_historicalclaim h "
            "WHERE NOT EXISTS (SELECT 1 FROM claims_claim c WHERE c.id = h.id)"
        ).fetchone()
    assert orphans == (0,)
    acknowledged = sum(1 for a in answers if a.ok)
    assert len(sources) + len(claims) >= acknowledged
    assert len(sources) + len(claims) <= len(answers)
    record(
        "database_restart",
        {
            "fault": "PostgreSQL stopped and started twice (pg_ctl -m fast, -m immediate)",
            "requests": len(answers),
            "succeeded": acknowledged,
            "refused_503_with_retry_after": len(refused),
            "server_errors": 0,
            "acknowledged_but_lost": 0,
            "stored": len(sources) + len(claims),
        },
    )
