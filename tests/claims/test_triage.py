"""Triage of new claims: batches, pipeline state (attempts and errors), the sweep's limit,
retries by hand from the admin, and the batch matcher's agreement with one-at-a-time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims import matching, pipeline, triage
from claims.models import Claim, ClaimLink, ReviewTask, Source
from tests import factories as f

pytestmark = pytest.mark.django_db

DISTRICTS = ["Gao", "Mopti", "Kayes", "Segou", "Sikasso", "Kidal", "Tombouctou", "Koulikoro"]


def new_claims(n: int, start: int = 0, **kwargs) -> list[Claim]:
    """Distinct check-worthy claims, each in a source of its own."""
    claims = []
    for i in range(start, start + n):
        district = DISTRICTS[i % len(DISTRICTS)]
        claim = f.ClaimFactory(
            text=f"Floods in {district} destroyed {100 + i * 7} homes in week {i}, officials said.",
            checkworthiness=0.9,
            **kwargs,
        )
        f.AppearanceFactory(claim=claim)
        claims.append(claim)
    return claims


@pytest.fixture
def broken_matching(monkeypatch):
    """Make matching fail for the claims given (all of them by default)."""

    def install(exc: Exception, only: set[int] | None = None):
        real = matching.claims_match_and_link_many

        def fail(*, claims, budget=None):
            if only is None or {c.pk for c in claims} & only:
                raise exc
            return real(claims=claims, budget=budget)

        monkeypatch.setattr(matching, "claims_match_and_link_many", fail)

    return install


# --- Batches --------------------------------------------------------------------------------


def test_a_batch_is_dismissed_matched_queued_and_assigned_in_one_go(reviewer, reviewer2):
    low = f.ClaimFactory(text="Something vague was said about the weather.", checkworthiness=0.1)
    claims = new_claims(4)
    outcomes = triage.triage_claims(claim_ids=[low.pk, *(c.pk for c in claims)])
    assert outcomes[low.pk] == "dismissed"
    assert {outcomes[c.pk] for c in claims} == {"queued"}
    low.refresh_from_db()
    assert low.status == Claim.Status.DISMISSED
    assert low.status_reason.startswith("Not check-worthy enough (score 0.10")
    tasks = ReviewTask.objects.filter(claim__in=claims)
    assert tasks.count() == 4
    assert set(tasks.values_list("state", flat=True)) == {"assigned"}
    # Least loaded first: two each.
    assert sorted(tasks.values_list("assignee", flat=True)) == sorted(
        [reviewer.pk, reviewer.pk, reviewer2.pk, reviewer2.pk]
    )
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == Claim.Status.IN_REVIEW
        assert claim.priority > 0
        assert (claim.pipeline_attempts, claim.pipeline_error) == (1, "")


def test_a_claim_moved_several_steps_gets_one_history_row_naming_each_step(reviewer):
    (claim,) = new_claims(1)
    triage.triage_claim(claim_id=claim.pk)
    latest = claim.history.first()
    assert latest.status == Claim.Status.IN_REVIEW
    assert latest.history_change_reason == ("check-worthy; queued for review; assigned to alice")
    assert latest.history_user == reviewer
    assert claim.history.count() == 2  # created, then triaged through to review
    task = ReviewTask.objects.get(claim=claim)
    assert task.history.get().history_change_reason == "assigned to alice"


def test_triage_of_a_batch_takes_the_same_queries_for_3_claims_or_30(reviewer, settings):
    settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD = 0.3  # every claim gets links
    new_claims(10, start=1000)  # earlier claims, so every new one has candidates to rank
    triage.triage_claims(claim_ids=[c.pk for c in new_claims(2, start=2000)])  # warm caches

    def queries_for(n: int, start: int) -> int:
        ids = [c.pk for c in new_claims(n, start)]
        matching.reset_statistics()  # both read the statistics and count unseen lexemes
        with CaptureQueriesContext(connection) as ctx:
            outcomes = triage.triage_claims(claim_ids=ids)
        assert set(outcomes.values()) == {"queued"}
        return len(ctx.captured_queries)

    small = queries_for(3, 0)
    assert queries_for(30, 100) == small
    assert ClaimLink.objects.count() > 30
    assert small <= 30


def test_a_repeated_delivery_of_a_batch_changes_nothing(reviewer):
    ids = [c.pk for c in new_claims(3)]
    triage.triage_claims(claim_ids=ids)
    assert set(triage.triage_claims(claim_ids=ids).values()) == {"skipped"}
    assert ReviewTask.objects.count() == 3
    assert set(Claim.objects.values_list("pipeline_attempts", flat=True)) == {1}


def test_tasks_nobody_has_room_for_wait_in_the_queue_and_are_assigned_later(reviewer):
    from claims.models import ReviewerProfile

    profile = ReviewerProfile.objects.create(user=reviewer, capacity=1)
    ids = [c.pk for c in new_claims(3)]
    triage.triage_claims(claim_ids=ids)
    assert ReviewTask.objects.filter(state="assigned").count() == 1
    assert Claim.objects.filter(pk__in=ids, status=Claim.Status.QUEUED).count() == 2
    profile.capacity = 3
    profile.save()
    assert triage.assign_queued() == 2
    assert Claim.objects.filter(pk__in=ids, status=Claim.Status.IN_REVIEW).count() == 3
    assert not ReviewTask.objects.filter(state="queued").exists()


# --- Pipeline state: attempts and errors ---------------------------------------------------


def test_a_failed_triage_leaves_the_claim_new_with_a_readable_error(broken_matching, reviewer):
    broken_matching(ValueError("the matcher fell over"))
    (claim,) = new_claims(1)
    assert triage.triage_claim(claim_id=claim.pk) == "failed"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.NEW
    assert claim.pipeline_error == "ValueError: the matcher fell over"
    assert claim.pipeline_attempts == 1
    assert not ReviewTask.objects.exists()


def test_the_next_successful_attempt_clears_the_error(broken_matching, monkeypatch, reviewer):
    (claim,) = new_claims(1)
    real = matching.claims_match_and_link_many
    broken_matching(ValueError("the matcher fell over"))
    triage.triage_claim(claim_id=claim.pk)
    monkeypatch.setattr(matching, "claims_match_and_link_many", real)
    assert triage.triage_claim(claim_id=claim.pk) == "queued"
    claim.refresh_from_db()
    assert (claim.status, claim.pipeline_error, claim.pipeline_attempts) == (
        Claim.Status.IN_REVIEW,
        "",
        2,
    )


def test_one_failing_claim_holds_up_none_of_its_batch(broken_matching, reviewer):
    claims = new_claims(3)
    bad = claims[1]
    broken_matching(KeyError("figure"), only={bad.pk})
    outcomes = triage.triage_claims(claim_ids=[c.pk for c in claims])
    assert outcomes == {claims[0].pk: "queued", bad.pk: "failed", claims[2].pk: "queued"}
    bad.refresh_from_db()
    assert (bad.status, bad.pipeline_error, bad.pipeline_attempts) == (
        Claim.Status.NEW,
        "KeyError: 'figure'",
        1,
    )


def test_a_transient_database_error_is_counted_and_raised_for_the_task_to_retry(
    broken_matching, reviewer
):
    broken_matching(OperationalError("server closed the connection unexpectedly"))
    (claim,) = new_claims(1)
    with pytest.raises(OperationalError):
        triage.triage_claim(claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.pipeline_attempts == 1
    assert claim.pipeline_error.startswith("OperationalError: server closed the connection")


def test_a_long_error_is_cut_to_one_short_line():
    text = triage.pipeline_error_text(RuntimeError("line one\n" + "x" * 2000))
    assert text.startswith("RuntimeError: line one x")
    assert "\n" not in text
    assert len(text) == 500


# --- The sweep and its limit ----------------------------------------------------------------


def test_the_sweep_retries_failed_claims_until_the_maximum_attempts(settings, reviewer):
    settings.FACTCHECK_TRIAGE_MAX_ATTEMPTS = 3
    retried, given_up = new_claims(2)
    Claim.objects.filter(pk=retried.pk).update(pipeline_attempts=2, pipeline_error="Boom: once")
    Claim.objects.filter(pk=given_up.pk).update(pipeline_attempts=3, pipeline_error="Boom: x3")
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert triage.claims_sweep_new() == [retried.pk]
    retried.refresh_from_db()
    given_up.refresh_from_db()
    assert (retried.status, retried.pipeline_error) == (Claim.Status.IN_REVIEW, "")
    # Left alone, error visible, for a person to look at.
    assert (given_up.status, given_up.pipeline_error) == (Claim.Status.NEW, "Boom: x3")


def test_the_sweep_waits_a_full_timeout_after_a_failed_attempt(broken_matching, reviewer):
    broken_matching(ValueError("nope"))
    (claim,) = new_claims(1)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        triage.triage_claim(claim_id=claim.pk)  # fails: updated_at is now an hour ahead
        assert triage.claims_sweep_new() == []
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert triage.claims_sweep_new() == [claim.pk]


# --- Retrying by hand -----------------------------------------------------------------------


def _admin_action(client: Any, user: Any, on_commit: Any, model: str, action: str, pk: int) -> str:
    """The page after `user` runs the admin `action` on one object of `model`, with the
    work it leaves for the commit done."""
    client.force_login(user)
    with on_commit(execute=True):
        response = client.post(
            reverse(f"admin:claims_{model}_changelist"),
            {"action": action, "_selected_action": [pk]},
            follow=True,
        )
    return response.content.decode()


def test_a_reviewer_retries_a_failed_claim_from_the_admin_even_after_the_sweep_gave_up(
    client, settings, reviewer, django_capture_on_commit_callbacks
):
    settings.FACTCHECK_TRIAGE_MAX_ATTEMPTS = 2
    (claim,) = new_claims(1)
    Claim.objects.filter(pk=claim.pk).update(pipeline_attempts=2, pipeline_error="Boom: twice")
    page = _admin_action(
        client, reviewer, django_capture_on_commit_callbacks, "claim", "retry_triage", claim.pk
    )
    assert "1 claims sent back to triage." in page
    claim.refresh_from_db()
    assert (claim.status, claim.pipeline_error, claim.pipeline_attempts) == (
        Claim.Status.IN_REVIEW,
        "",
        3,
    )


def test_retrying_triage_of_a_claim_already_past_it_is_refused_with_the_reason(client, reviewer):
    (claim,) = new_claims(1)
    triage.triage_claim(claim_id=claim.pk)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "retry_triage", "_selected_action": [claim.pk]},
        follow=True,
    )
    assert "only new claims go through triage" in response.content.decode()


def test_a_reviewer_retries_a_failed_source_from_the_admin(
    client, reviewer, django_capture_on_commit_callbacks
):
    source = f.SourceFactory(
        text="Officials said 40 people were injured in the floods on Monday.",
        status=Source.Status.FAILED,
        error="Fetch timed out.",
    )
    page = _admin_action(
        client, reviewer, django_capture_on_commit_callbacks, "source", "retry_failed", source.pk
    )
    assert "1 sources back in the pipeline." in page
    source.refresh_from_db()
    assert (source.status, source.error) == (Source.Status.DONE, "")
    assert Claim.objects.filter(appearances__source=source).exists()


def test_retrying_a_source_that_did_not_fail_is_refused(client, reviewer):
    source = f.SourceFactory(status=Source.Status.DONE)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:claims_source_changelist"),
        {"action": "retry_failed", "_selected_action": [source.pk]},
        follow=True,
    )
    assert "Only failed sources can be retried" in response.content.decode()


# --- Batch matching agrees with one claim at a time ----------------------------------------


def _links() -> set[tuple[int, int, str]]:
    return set(ClaimLink.objects.values_list("from_claim_id", "to_claim_id", "kind"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the batch query is PostgreSQL's")
def test_batch_matching_makes_the_links_and_duplicates_one_at_a_time_would(settings):
    settings.FACTCHECK_MATCH_EMBEDDINGS = False
    settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD = 0.3
    matching.reset_statistics()
    earlier = timezone.now() - timedelta(days=2)
    for text in [
        "Russian authorities said the attack killed over 140 people.",
        "The attack killed 140 people, Russian authorities said.",
        "The minister did sign the agreement with Mali.",
        "Protesters blocked the port of Odesa for two days.",
        "The central bank raised interest rates by half a point on Thursday.",
    ]:
        f.ClaimFactory(text=text, first_seen_at=earlier)
    batch = [
        f.ClaimFactory(text=text)
        for text in [
            "Russian authorities said the attack killed over 140 people",  # duplicate
            "The attack killed 14 people, Russian authorities said.",  # variant
            "The minister did not sign the agreement with Mali.",  # contradicts
            "Protesters blocked Odesa port for two days, police say.",  # similar
            "The attack killed 14 people, according to Russian authorities.",  # sibling
        ]
    ]
    # One at a time, in id order, then undone.
    with transaction.atomic():
        for claim in batch:
            matching.claim_match_and_link(claim=Claim.objects.get(pk=claim.pk))
        one_by_one = _links()
        duplicates = set(
            Claim.objects.filter(status=Claim.Status.DUPLICATE).values_list("pk", flat=True)
        )
        transaction.set_rollback(True)
    assert duplicates == {batch[0].pk}
    assert not ClaimLink.objects.exists()
    assert matching.claims_match_and_link_many(claims=batch) == duplicates
    assert _links() == one_by_one
    original = "The attack killed 140 people, Russian authorities said."
    link = ClaimLink.objects.get(from_claim=batch[1], to_claim__text=original)
    assert link.kind == ClaimLink.Kind.VARIANT
    assert link.reason["mismatched_figures"] == ["14", "140"]
    assert 0 < link.reason["features"]["trigram"] <= 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the batch query is PostgreSQL's")
@pytest.mark.parametrize("budget", [1, 4, 2_000])
def test_batch_matching_scores_each_pair_as_one_at_a_time_does_whatever_the_budget(
    settings, budget
):
    # The batch ranks candidates in Python from their lexemes, one claim at a time in SQL:
    # the same arithmetic, so the same candidates (budget 1 AND-s the rarest lexemes, 4 ORs
    # a few, 2,000 ORs them all) and the same links and scores. (Scores are compared to
    # 1e-12: the re-ranker's sums over sets of lexemes can differ in the last bit between
    # the two paths, depending on PYTHONHASHSEED.)
    settings.FACTCHECK_MATCH_EMBEDDINGS = False
    settings.FACTCHECK_MATCH_SUGGEST_THRESHOLD = 0.2
    settings.FACTCHECK_MATCH_CANDIDATE_BUDGET = budget
    matching.reset_statistics()
    earlier = timezone.now() - timedelta(days=2)
    for i, district in enumerate(DISTRICTS * 2):
        f.ClaimFactory(
            text=f"Floods in {district} destroyed {100 + i * 7} homes, officials said.",
            first_seen_at=earlier,
        )
    f.ClaimFactory(text="Officials said the floods destroyed homes.", first_seen_at=earlier)
    batch = [
        f.ClaimFactory(text=text)
        for text in [
            "Floods in Gao destroyed 107 homes, officials said on Monday.",
            "Officials said floods in Mopti and Kayes destroyed homes.",
            "Floods destroyed 300 homes in Segou, according to officials.",
        ]
    ]

    def links() -> dict[tuple[int, int, str], float]:
        rows = ClaimLink.objects.values_list("from_claim_id", "to_claim_id", "kind", "score")
        return {(a, b, kind): score for a, b, kind, score in rows}

    with transaction.atomic():
        for claim in batch:
            matching.claim_match_and_link(claim=Claim.objects.get(pk=claim.pk))
        one_by_one = links()
        transaction.set_rollback(True)
    assert one_by_one
    matching.claims_match_and_link_many(claims=batch, budget=budget)
    assert links() == pytest.approx(one_by_one, rel=0, abs=1e-12)


def test_a_source_with_an_opinion_line_has_it_dismissed_at_extraction(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        source = f.SourceFactory(
            text="Comment: the government has handled this badly. "
            "Officials said 40 people were injured in the floods on Monday."
        )
        pipeline.process_source(source_id=source.pk)
    opinion = Claim.objects.get(text__startswith="Comment:")
    assert opinion.status == Claim.Status.DISMISSED
    assert opinion.status_reason.startswith("Opinion or commentary")
    assert opinion.history.first().history_change_reason.startswith("Opinion or commentary")


def test_a_repeated_delivery_for_a_done_source_triages_the_claims_it_left_new(reviewer):
    from claims import tasks

    source = f.SourceFactory(
        text="Officials said 40 people were injured in the floods on Monday. "
        "The army deployed some 300 troops to the region, a spokesman said."
    )
    # The worker extracted the source, then died before triage.
    claim_ids = pipeline.process_source(source_id=source.pk)
    assert Claim.objects.filter(pk__in=claim_ids, status=Claim.Status.NEW).count() == 2
    tasks.process_source(source.pk)
    assert not Claim.objects.filter(pk__in=claim_ids, status=Claim.Status.NEW).exists()
    assert ReviewTask.objects.filter(claim__in=claim_ids).count() == 2
    assert Source.objects.get(pk=source.pk).attempts == 1
