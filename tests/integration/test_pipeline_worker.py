"""The pipeline on a real Celery worker and Redis: nothing lost, nothing done twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from claims import pipeline
from claims.models import Claim, ReviewTask, Source
from claims.sources import source_submit
from tests import factories as f
from tests.integration.conftest import reset_producer_pool, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SEED = (Path(__file__).resolve().parents[2] / "seeds" / "russia-mali-talks.txt").read_text()


def article(n: int, sentences: int = 6) -> str:
    """A distinct, realistic short article (distinct figures make distinct claims)."""
    lines = [
        f"Officials in district {n} said {n + 3} people were injured in the floods on Monday.",
        f"According to the regional governor, at least {n * 2 + 10} homes were destroyed.",
        f'"We have sent {n + 40} rescue workers to the area," the ministry said in a statement.',
        f"The army deployed some {n * 10 + 100} troops to district {n}, a spokesman said.",
        f"Local media reported that over {n + 7} schools in district {n} remain closed.",
        f"The government announced {n + 5} million dollars in aid for district {n}.",
    ]
    return " ".join(lines[:sentences])


def done(*ids: int) -> bool:
    return Source.objects.filter(pk__in=ids, status__in=["done", "failed"]).count() == len(ids)


def test_a_submitted_article_is_extracted_triaged_and_assigned_by_a_real_worker(
    live_celery, workers
):
    from tests.api.conftest import client_for

    reviewer = f.make_reviewer("alice")
    workers()
    response = client_for(f.make_client("newsroom")).post(
        "/api/v1/sources/", {"text": SEED, "title": "seed"}, format="json"
    )
    assert response.status_code == 202, response.content
    source = Source.objects.get(pk=response.json()["id"])
    wait_for(lambda: done(source.pk), timeout=120)
    source.refresh_from_db()
    assert source.status == "done", source.error
    opinion = Claim.objects.get(text__startswith="Comment:")
    assert opinion.status == Claim.Status.DISMISSED
    wait_for(lambda: ReviewTask.objects.filter(state="assigned").exists(), timeout=60)
    assert set(ReviewTask.objects.filter(state="assigned").values_list("assignee", flat=True)) == {
        reviewer.pk
    }


def test_a_worker_killed_mid_extraction_loses_nothing_and_duplicates_nothing(live_celery, workers):
    f.make_reviewer("alice")
    big = "\n\n".join(article(n) for n in range(150))
    first = workers()
    source = source_submit(text=big, title="long article")
    wait_for(
        lambda: Source.objects.filter(pk=source.pk, status="extracting").exists(),
        timeout=60,
        every=0.05,
    )
    first.kill()
    # The extraction transaction died with the worker: nothing half-written.
    assert not Claim.objects.filter(appearances__source=source).exists()
    assert Source.objects.get(pk=source.pk).status == "extracting"

    workers()
    # The beat job finds the source stuck and puts it back in the queue.
    pipeline.sources_sweep_stuck(older_than=timedelta(0))
    wait_for(lambda: done(source.pk), timeout=240)
    source.refresh_from_db()
    assert source.status == "done", source.error

    texts = Counter(Claim.objects.filter(appearances__source=source).values_list("text", flat=True))
    assert texts
    assert max(texts.values()) == 1
    wait_for(
        lambda: not Claim.objects.filter(appearances__source=source, status="new").exists(),
        timeout=240,
    )
    per_claim = Counter(ReviewTask.objects.values_list("claim_id", flat=True))
    assert per_claim
    assert max(per_claim.values()) == 1


def test_work_queued_when_redis_restarts_is_recovered(
    live_celery, workers, throwaway_redis, settings, monkeypatch
):
    from factcheck.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", throwaway_redis.url)
    app.conf.broker_url = throwaway_redis.url
    settings.CELERY_BROKER_URL = throwaway_redis.url
    reset_producer_pool(app)
    # Submitted while no worker runs: the messages wait in Redis ...
    ids = [source_submit(text=article(n, 3)).pk for n in range(5)]
    # ... which restarts without persistence and forgets them.
    throwaway_redis.stop()
    throwaway_redis.start()
    reset_producer_pool(app)
    workers(throwaway_redis.url)
    pipeline.sources_sweep_stuck(older_than=timedelta(0))
    wait_for(lambda: done(*ids), timeout=120)
    assert set(Source.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"done"}


def test_two_workers_process_200_sources_each_exactly_once(live_celery, workers):
    workers(concurrency=1)
    workers(concurrency=1)
    ids = [source_submit(text=article(n, 3)).pk for n in range(200)]
    wait_for(lambda: done(*ids), timeout=600, every=1)
    sources = Source.objects.filter(pk__in=ids)
    assert set(sources.values_list("status", flat=True)) == {"done"}
    # Each source was claimed once: a second run would have bumped attempts.
    assert set(sources.values_list("attempts", flat=True)) == {1}
    # The same claims one worker alone would produce: three per article, none twice.
    texts = Counter(Claim.objects.values_list("text", flat=True))
    assert len(texts) == 600
    assert max(texts.values()) == 1
