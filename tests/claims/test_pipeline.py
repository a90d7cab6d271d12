"""The pipeline in process (tasks eager): submit → extract → triage → queue → assign.
tests/integration/ runs the same flow on a real worker and Redis."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from claims import pipeline, services, triage
from claims.models import Claim, Figure, ReviewerProfile, ReviewTask, Source
from claims.sources import DuplicateSource, source_submit
from tests import factories as f

pytestmark = pytest.mark.django_db

SEED = (Path(__file__).resolve().parents[2] / "seeds" / "russia-mali-talks.txt").read_text()


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            source = source_submit(**kwargs)
        source.refresh_from_db()
        return source

    return run


def test_the_seed_article_ends_as_assigned_review_tasks_with_the_opinion_dismissed(
    submit, reviewer, reviewer2
):
    source = submit(text=SEED, title="seed")
    assert source.status == Source.Status.DONE
    opinion = Claim.objects.get(text__startswith="Comment:")
    assert opinion.status == Claim.Status.DISMISSED
    assert not opinion.tasks.exists()
    checkworthy = Claim.objects.filter(appearances__source=source).exclude(pk=opinion.pk)
    assert checkworthy.filter(status=Claim.Status.IN_REVIEW).exists()
    assigned = ReviewTask.objects.filter(state="assigned")
    assert {t.assignee for t in assigned} <= {reviewer, reviewer2}
    # Least-loaded first: the two reviewers' loads differ by at most one.
    loads = [assigned.filter(assignee=u).count() for u in (reviewer, reviewer2)]
    assert abs(loads[0] - loads[1]) <= 1
    assert Figure.objects.filter(metric="killed", value=140, qualifier="over").exists()


def test_reviewers_are_given_tasks_up_to_their_capacity_and_the_rest_wait(submit, reviewer):
    ReviewerProfile.objects.create(user=reviewer, capacity=2)
    submit(text=SEED)
    assert ReviewTask.objects.filter(state="assigned", assignee=reviewer).count() == 2
    assert ReviewTask.objects.filter(state="queued").exists()


def test_a_reviewer_who_does_not_read_the_language_is_not_assigned(submit, reviewer):
    ReviewerProfile.objects.create(user=reviewer, languages=["fr"])
    submit(text=SEED)
    assert not ReviewTask.objects.filter(state="assigned").exists()


def test_claims_below_the_checkworthiness_threshold_are_dismissed_with_the_score(submit, settings):
    settings.FACTCHECK_CHECKWORTHY_THRESHOLD = 0.99
    submit(text=SEED)
    claim = Claim.objects.filter(status=Claim.Status.DISMISSED).exclude(
        text__startswith="Comment:"
    )[0]
    assert "Not check-worthy" in claim.status_reason


def test_the_same_article_twice_is_refused_naming_the_first(submit):
    first = submit(text=SEED)
    with pytest.raises(DuplicateSource) as exc:
        submit(text=SEED)
    assert exc.value.details == {"existing_id": first.pk}


def test_processing_a_done_source_again_does_nothing(submit):
    source = submit(text=SEED)
    claims = Claim.objects.count()
    assert pipeline.process_source(source_id=source.pk) == []
    assert Claim.objects.count() == claims


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://[::1]:9/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
    ],
)
def test_a_url_into_our_own_network_fails_with_a_clear_error_on_the_source(submit, url):
    source = submit(url=url)
    assert source.status == Source.Status.FAILED
    assert "non-public address" in source.error or "Only http and https" in source.error


def test_a_failed_source_can_be_retried(submit, django_capture_on_commit_callbacks):
    source = submit(url="http://10.0.0.1/")
    Source.objects.filter(pk=source.pk).update(url="", text=SEED)  # the client fixed it
    source.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.source_retry(source=source)
    source.refresh_from_db()
    assert source.status == Source.Status.DONE
    assert source.attempts == 2


def test_sources_left_unfinished_are_swept_back_into_the_pipeline():
    stuck = f.SourceFactory(text=SEED, status=Source.Status.EXTRACTING)
    Source.objects.filter(pk=stuck.pk).update(status_changed_at=timezone.now() - timedelta(hours=1))
    recent = f.SourceFactory(status=Source.Status.PENDING)
    assert pipeline.sources_sweep_stuck() == [stuck.pk]
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert stuck.status == Source.Status.DONE
    assert recent.status == Source.Status.PENDING


def test_claims_never_triaged_are_swept_into_triage():
    claim = f.ClaimFactory(checkworthiness=0.9)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert triage.claims_sweep_new() == [claim.pk]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.QUEUED


def test_an_expired_lease_returns_the_task_to_the_queue(reviewer):
    claim = f.ClaimFactory()
    services.claim_triage(claim=claim)
    services.claim_queue(claim=claim)
    task = services.task_take_next(user=reviewer)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert services.tasks_expire_leases() == 1
    task.refresh_from_db()
    claim.refresh_from_db()
    assert (task.state, task.assignee, claim.status) == ("queued", None, Claim.Status.QUEUED)
    assert task.history.filter(history_change_reason="lease expired").exists()


def test_overdue_tasks_are_escalated_once():
    claim = f.ClaimFactory(priority=10)
    services.claim_triage(claim=claim)
    task = services.claim_queue(claim=claim)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert triage.escalate_overdue() == 1
        assert triage.escalate_overdue() == 0
    task.refresh_from_db()
    assert task.escalated_at is not None
    assert task.priority == claim.priority + 100


def test_priority_rises_with_checkworthiness_reach_and_recency():
    low, high = f.ClaimFactory(checkworthiness=0.2), f.ClaimFactory(checkworthiness=0.9)
    assert triage.claim_priority(high) > triage.claim_priority(low)
    for _ in range(3):
        f.AppearanceFactory(claim=low)
    old = f.ClaimFactory(checkworthiness=0.2, first_seen_at=timezone.now() - timedelta(days=30))
    assert triage.claim_priority(low) > triage.claim_priority(old)
