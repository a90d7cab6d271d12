from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from claims import services, workflow
from claims.errors import ApplicationError, IllegalTransition, NotAllowed, NothingToDo, StaleVersion
from claims.models import Claim, Review, ReviewTask
from tests import factories as f

S = Claim.Status

LEGAL = sorted((src, dst) for src, targets in workflow.TRANSITIONS.items() for dst in targets)
ILLEGAL = sorted(
    (src, dst)
    for src in S.values
    for dst in S.values
    if dst not in workflow.TRANSITIONS.get(src, frozenset())
)


def _claim_in(status: str) -> Claim:
    extra = {}
    if status == S.DUPLICATE:
        extra["duplicate_of"] = f.ClaimFactory()
    return f.ClaimFactory(status=status, **extra)


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), LEGAL)
def test_every_legal_transition_is_applied_and_recorded(src, dst, editor):
    claim = _claim_in(src)
    extra = {"duplicate_of": f.ClaimFactory()} if dst == S.DUPLICATE else None
    workflow.transition(claim=claim, to=dst, by=editor, reason="because", extra=extra)
    claim.refresh_from_db()
    assert claim.status == dst
    latest = claim.history.first()
    assert latest.status == dst
    assert latest.history_user == editor
    assert latest.history_change_reason == "because"


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), ILLEGAL)
def test_every_illegal_transition_is_refused_with_a_clear_error(src, dst):
    claim = _claim_in(src)
    with pytest.raises(IllegalTransition) as exc:
        workflow.transition(claim=claim, to=dst)
    assert "cannot become" in exc.value.message
    claim.refresh_from_db()
    assert claim.status == src


@pytest.mark.django_db
def test_a_transition_with_an_old_version_is_refused_as_stale():
    claim = f.ClaimFactory()
    seen = claim.version
    workflow.transition(claim=claim, to=S.TRIAGED)
    with pytest.raises(StaleVersion):
        workflow.transition(
            claim=Claim.objects.get(pk=claim.pk), to=S.DISMISSED, expected_version=seen
        )


def _full_flow_to_approval(reviewer):
    claim = f.ClaimFactory()
    services.claim_triage(claim=claim)
    services.claim_queue(claim=claim)
    task = services.task_take_next(user=reviewer)
    assert task.claim_id == claim.pk
    review = services.review_draft(
        claim=claim, reviewer=reviewer, rating=f.rating("false"), explanation="Records show 14."
    )
    return claim, services.review_submit(review=review, by=reviewer)


@pytest.mark.django_db
def test_a_claim_goes_from_new_to_published_through_review_and_approval(reviewer, editor):
    claim, review = _full_flow_to_approval(reviewer)
    claim.refresh_from_db()
    assert claim.status == S.IN_APPROVAL
    approval = ReviewTask.objects.get(claim=claim, kind="approval")
    assert approval.state == "queued"

    published = services.review_approve(review=review, by=editor)

    claim.refresh_from_db()
    approval.refresh_from_db()
    assert claim.status == S.PUBLISHED
    assert published.status == Review.Status.PUBLISHED
    assert published.approver == editor
    assert published.claimreview["reviewRating"]["ratingValue"] == 1
    assert approval.state == "done"
    assert claim.history.filter(status=S.PUBLISHED, history_user=editor).exists()


@pytest.mark.django_db
def test_a_reviewer_never_approves_their_own_review(editor, editor2):
    # Editors can also review; the rule is about the person, not the role.
    _claim, review = _full_flow_to_approval(editor)
    with pytest.raises(NotAllowed, match="own review"):
        services.review_approve(review=review, by=editor)
    review.refresh_from_db()
    assert review.status == Review.Status.SUBMITTED
    services.review_approve(review=review, by=editor2)


@pytest.mark.django_db
def test_a_reviewer_without_the_editor_role_cannot_approve(reviewer, reviewer2):
    _claim, review = _full_flow_to_approval(reviewer)
    with pytest.raises(NotAllowed):
        services.review_approve(review=review, by=reviewer2)


@pytest.mark.django_db
def test_a_rejected_review_goes_back_to_its_reviewer_with_the_comment(reviewer, editor):
    claim, review = _full_flow_to_approval(reviewer)
    services.review_reject(review=review, by=editor, comment="Cite the ministry's report.")
    claim.refresh_from_db()
    review.refresh_from_db()
    assert claim.status == S.IN_REVIEW
    assert review.status == Review.Status.REJECTED
    assert review.rejection_comment == "Cite the ministry's report."
    task = ReviewTask.objects.get(claim=claim, kind="review", state="assigned")
    assert task.assignee == reviewer
    services.review_submit(review=review, by=reviewer)
    claim.refresh_from_db()
    assert claim.status == S.IN_APPROVAL


@pytest.mark.django_db
def test_submitting_an_incomplete_review_names_the_missing_fields(reviewer):
    claim = f.ClaimFactory()
    services.claim_triage(claim=claim)
    services.claim_queue(claim=claim)
    services.task_take_next(user=reviewer)
    review = services.review_draft(claim=claim, reviewer=reviewer)
    with pytest.raises(ApplicationError, match="not complete") as exc:
        services.review_submit(review=review, by=reviewer)
    assert set(exc.value.details) == {"rating", "explanation"}


@pytest.mark.django_db
def test_take_next_gives_the_most_urgent_task_and_says_when_the_queue_is_empty(reviewer):
    low, high = f.ClaimFactory(priority=1), f.ClaimFactory(priority=9)
    for claim in (low, high):
        services.claim_triage(claim=claim)
        services.claim_queue(claim=claim)
    assert services.task_take_next(user=reviewer).claim_id == high.pk
    assert services.task_take_next(user=reviewer).claim_id == low.pk
    with pytest.raises(NothingToDo):
        services.task_take_next(user=reviewer)


@pytest.mark.django_db
def test_a_released_task_returns_to_the_queue(reviewer):
    claim = f.ClaimFactory()
    services.claim_triage(claim=claim)
    services.claim_queue(claim=claim)
    task = services.task_take_next(user=reviewer)
    services.task_release(task=task, by=reviewer)
    claim.refresh_from_db()
    task.refresh_from_db()
    assert (claim.status, task.state, task.assignee) == (S.QUEUED, "queued", None)


@pytest.mark.django_db
def test_dismissing_needs_a_reason_and_the_editor_role(reviewer, editor):
    claim = f.ClaimFactory()
    with pytest.raises(NotAllowed):
        services.claim_dismiss(claim=claim, by=reviewer, reason="opinion")
    with pytest.raises(Exception, match="why"):
        services.claim_dismiss(claim=claim, by=editor, reason=" ")
    services.claim_dismiss(claim=claim, by=editor, reason="Opinion, not checkable")
    claim.refresh_from_db()
    assert claim.status == S.DISMISSED


@pytest.mark.django_db
def test_a_duplicate_points_at_the_original_and_its_open_task_is_cancelled(editor):
    original, copy = f.ClaimFactory(), f.ClaimFactory()
    services.claim_triage(claim=copy)
    task = services.claim_queue(claim=copy)
    services.claim_mark_duplicate(claim=copy, of=original, by=editor)
    copy.refresh_from_db()
    task.refresh_from_db()
    assert copy.status == S.DUPLICATE
    assert copy.duplicate_of == original
    assert task.state == "cancelled"
    assert copy.links_out.get().kind == "duplicate"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_racing_for_the_same_transition_one_wins_one_gets_a_clear_error():
    claim = f.ClaimFactory(status=S.TRIAGED)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act() -> None:
        try:
            barrier.wait()
            workflow.transition(claim=Claim.objects.get(pk=claim.pk), to=S.QUEUED)
            outcomes.append("won")
        except IllegalTransition as exc:
            outcomes.append(f"refused: {exc.message}")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=act) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["refused", "won"]
    assert claim.history.filter(status=S.QUEUED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_pressing_take_next_at_once_get_different_tasks():
    alice, rita = f.make_reviewer("alice"), f.make_reviewer("rita")
    for _ in range(2):
        claim = f.ClaimFactory()
        services.claim_triage(claim=claim)
        services.claim_queue(claim=claim)
    barrier = threading.Barrier(2)
    taken: dict[str, int] = {}

    def take(user) -> None:
        try:
            barrier.wait()
            taken[user.username] = services.task_take_next(user=user).pk
        finally:
            close_old_connections()

    threads = [threading.Thread(target=take, args=(u,)) for u in (alice, rita)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 2
    assert taken["alice"] != taken["rita"]
