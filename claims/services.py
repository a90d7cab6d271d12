"""Writes to the claim domain. Views, the admin, tasks and commands call these; nothing else
changes workflow state.

Each service is keyword-only, atomic, checks the caller's role where the action needs one,
and raises an ApplicationError subclass (claims/errors.py) with a message a person can act
on. Status changes of claims go through claims.workflow.transition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from claims import workflow
from claims.errors import ApplicationError, IllegalTransition, NotAllowed, NothingToDo
from claims.models import (
    Claim,
    ClaimLink,
    Evidence,
    Rating,
    Review,
    ReviewerProfile,
    ReviewTask,
    Topic,
)

Status = Claim.Status
Task = ReviewTask


def _require(user: Any, perm: str, action: str) -> None:
    if user is None or not user.is_authenticated or not user.has_perm(perm):
        raise NotAllowed(f"You are not allowed to {action}.")


def _validated(obj: Any, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ApplicationError("Some fields are invalid.", details=exc.message_dict) from exc


def _history(obj: Any, by: Any, reason: str) -> None:
    obj._history_user = by if getattr(by, "is_authenticated", False) else None
    obj._change_reason = reason


# --- Claims ---------------------------------------------------------------------------------


@transaction.atomic
def claim_create(
    *,
    text: str,
    kind: str = Claim.Kind.OTHER,
    language: str = "en",
    checkworthiness: float = 0.0,
    checkworthiness_reasons: list[str] | None = None,
    origin: str = Claim.Origin.MANUAL,
    topics: Iterable[Topic] = (),
    first_seen_at: datetime | None = None,
    by: Any = None,
) -> Claim:
    claim = Claim(
        text=text.strip(),
        kind=kind,
        language=language,
        checkworthiness=checkworthiness,
        checkworthiness_reasons=checkworthiness_reasons or [],
        origin=origin,
        first_seen_at=first_seen_at or timezone.now(),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    _validated(claim, exclude=["text_hash"])
    _history(claim, by, "created")
    claim.save()
    if topics:
        claim.topics.set(list(topics))
    return claim


def claim_triage(*, claim: Claim, by: Any = None, reason: str = "") -> Claim:
    return workflow.transition(claim=claim, to=Status.TRIAGED, by=by, reason=reason)


@transaction.atomic
def claim_dismiss(
    *, claim: Claim, reason: str, by: Any = None, expected_version: int | None = None
) -> Claim:
    """Dismiss a claim (opinion, not checkable, out of scope). A reason is required.

    `by=None` means the pipeline (triage); a person needs the dismiss permission.
    """
    if by is not None:
        _require(by, "claims.dismiss_claim", "dismiss claims")
    if not reason.strip():
        raise ApplicationError("Say why the claim is dismissed.", details={"reason": ["required"]})
    claim = workflow.transition(
        claim=claim, to=Status.DISMISSED, by=by, reason=reason, expected_version=expected_version
    )
    _cancel_open_tasks(claim, by, f"claim dismissed: {reason}")
    return claim


@transaction.atomic
def claim_mark_duplicate(
    *,
    claim: Claim,
    of: Claim,
    by: Any = None,
    score: float | None = None,
    job: str = "",
    reason: dict[str, Any] | None = None,
) -> Claim:
    """Record that `claim` repeats `of`; it then shows (inherits) the original's verdict."""
    if by is not None:
        _require(by, "claims.merge_claim", "mark claims as duplicates")
    if claim.pk == of.pk:
        raise ApplicationError("A claim cannot be a duplicate of itself.")
    # Point at the root so chains of duplicates never form.
    original = of
    seen = {claim.pk}
    while original.duplicate_of_id is not None and original.duplicate_of_id not in seen:
        seen.add(original.pk)
        original = original.duplicate_of  # type: ignore[assignment]
    if original.pk == claim.pk:
        raise ApplicationError("That would make the claim a duplicate of itself.")
    ClaimLink.objects.update_or_create(
        from_claim=claim,
        to_claim=original,
        kind=ClaimLink.Kind.DUPLICATE,
        defaults={
            "score": score,
            "reason": reason or {},
            "created_by_job": job,
            "created_by": by if getattr(by, "is_authenticated", False) else None,
            "status": ClaimLink.Status.CONFIRMED if by is not None else ClaimLink.Status.SUGGESTED,
        },
    )
    claim = workflow.transition(
        claim=claim,
        to=Status.DUPLICATE,
        by=by,
        reason=f"duplicate of claim {original.pk}",
        extra={"duplicate_of": original},
    )
    _cancel_open_tasks(claim, by, f"duplicate of claim {original.pk}")
    return claim


def _cancel_open_tasks(claim: Claim, by: Any, reason: str) -> None:
    for task in ReviewTask.objects.select_for_update().filter(
        claim=claim, state__in=[Task.State.QUEUED, Task.State.ASSIGNED]
    ):
        task.state = Task.State.CANCELLED
        task.completed_at = timezone.now()
        _history(task, by, reason)
        task.save(update_fields=["state", "completed_at", "updated_at"])


# --- The review queue -----------------------------------------------------------------------


def _lease_end() -> datetime:
    return timezone.now() + timedelta(minutes=settings.FACTCHECK_TASK_LEASE_MINUTES)


@transaction.atomic
def claim_queue(*, claim: Claim, by: Any = None, due_at: datetime | None = None) -> ReviewTask:
    """Put a triaged (or reopened) claim in the review queue, as one ReviewTask."""
    workflow.transition(claim=claim, to=Status.QUEUED, by=by, reason="queued for review")
    task = ReviewTask(
        claim=claim,
        kind=Task.Kind.REVIEW,
        priority=claim.priority,
        due_at=due_at or timezone.now() + timedelta(hours=settings.FACTCHECK_TASK_DUE_HOURS),
    )
    _history(task, by, "queued")
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError as exc:  # the partial unique index: one open task per claim
        raise IllegalTransition(f"Claim {claim.pk} already has an open review task.") from exc
    return task


def _open_load(user: Any) -> int:
    return ReviewTask.objects.filter(assignee=user, state=Task.State.ASSIGNED).count()


def _capacity(user: Any) -> int:
    profile = ReviewerProfile.objects.filter(user=user).first()
    return profile.capacity if profile else 5


@transaction.atomic
def task_assign(*, task: ReviewTask, assignee: Any, by: Any = None) -> ReviewTask:
    """Give a queued task to `assignee` with a lease. `by` is an editor reassigning, the
    assignee taking it themself, or None for the pipeline's automatic assignment."""
    if by is not None and by != assignee:
        _require(by, "claims.reassign_reviewtask", "assign tasks to other reviewers")
    perm = "claims.approve_review" if task.kind == Task.Kind.APPROVAL else "claims.take_reviewtask"
    if not assignee.has_perm(perm):
        raise NotAllowed(f"{assignee} cannot take {task.get_kind_display().lower()} tasks.")
    locked = (
        ReviewTask.objects.select_for_update(of=("self",))
        .select_related("review", "claim")
        .get(pk=task.pk)
    )
    if (
        locked.kind == Task.Kind.APPROVAL
        and locked.review
        and locked.review.reviewer_id == assignee.pk
    ):
        raise NotAllowed("Nobody approves their own review: give this task to another editor.")
    if locked.state == Task.State.ASSIGNED and by is not None and by != assignee:
        pass  # an editor's reassignment takes the task from whoever holds it
    elif locked.state != Task.State.QUEUED:
        raise IllegalTransition(
            f"Task {locked.pk} is {locked.state}, not queued; someone else may have taken it."
        )
    if locked.kind == Task.Kind.REVIEW and locked.claim.status == Status.QUEUED:
        workflow.transition(
            claim=locked.claim,
            to=Status.IN_REVIEW,
            by=by or assignee,
            reason=f"assigned to {assignee}",
        )
    locked.state = Task.State.ASSIGNED
    locked.assignee = assignee
    locked.assigned_at = timezone.now()
    locked.lease_expires_at = _lease_end()
    _history(locked, by or assignee, f"assigned to {assignee}")
    locked.save(
        update_fields=["state", "assignee", "assigned_at", "lease_expires_at", "updated_at"]
    )
    return locked


def task_take_next(*, user: Any, kind: str = Task.Kind.REVIEW) -> ReviewTask:
    """Assign the most urgent eligible queued task to `user`.

    Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so two reviewers pressing
    "Take next" at the same moment get different tasks and neither waits for the other.
    """
    perm = "claims.approve_review" if kind == Task.Kind.APPROVAL else "claims.take_reviewtask"
    _require(user, perm, f"take {kind} tasks")
    with transaction.atomic():
        held = _open_load(user)
        capacity = _capacity(user)
        if kind == Task.Kind.REVIEW and held >= capacity:
            raise NotAllowed(
                f"You already hold {held} tasks (your capacity is {capacity}); "
                "finish or release one first."
            )
        candidates = (
            ReviewTask.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=Task.State.QUEUED, kind=kind)
            .order_by("-priority", "due_at", "pk")
        )
        if kind == Task.Kind.APPROVAL:
            candidates = candidates.exclude(review__reviewer=user)
        profile = ReviewerProfile.objects.filter(user=user).first()
        if profile and profile.languages:
            candidates = candidates.filter(claim__language__in=profile.languages)
        task = candidates.first()
        if task is None:
            raise NothingToDo(f"There is no queued {kind} task for you right now.")
        return task_assign(task=task, assignee=user)


@transaction.atomic
def task_release(*, task: ReviewTask, by: Any) -> ReviewTask:
    """Give an assigned task back to the queue (the holder, or an editor)."""
    locked = (
        ReviewTask.objects.select_for_update(of=("self",)).select_related("claim").get(pk=task.pk)
    )
    if locked.state != Task.State.ASSIGNED:
        raise IllegalTransition(
            f"Task {locked.pk} is {locked.state}; only assigned tasks can be released."
        )
    if locked.assignee_id != getattr(by, "pk", None):
        _require(by, "claims.reassign_reviewtask", "release someone else's task")
    return _requeue(locked, by, f"released by {by}")


def _requeue(task: ReviewTask, by: Any, reason: str) -> ReviewTask:
    if task.kind == Task.Kind.REVIEW and task.claim.status == Status.IN_REVIEW:
        workflow.transition(claim=task.claim, to=Status.QUEUED, by=by, reason=reason)
    task.state = Task.State.QUEUED
    task.assignee = None
    task.assigned_at = None
    task.lease_expires_at = None
    _history(task, by, reason)
    task.save(update_fields=["state", "assignee", "assigned_at", "lease_expires_at", "updated_at"])
    return task


def tasks_expire_leases(*, now: datetime | None = None) -> int:
    """Requeue assigned tasks whose lease ran out (a reviewer who went home)."""
    now = now or timezone.now()
    expired = 0
    ids = list(
        ReviewTask.objects.filter(state=Task.State.ASSIGNED, lease_expires_at__lt=now).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        with transaction.atomic():
            task = (
                ReviewTask.objects.select_for_update(skip_locked=True)
                .select_related("claim")
                .filter(pk=pk, state=Task.State.ASSIGNED, lease_expires_at__lt=now)
                .first()
            )
            if task is None:
                continue  # renewed or taken meanwhile
            _requeue(task, None, "lease expired")
            expired += 1
    return expired


def task_renew_lease(*, task: ReviewTask, by: Any) -> ReviewTask:
    updated = ReviewTask.objects.filter(pk=task.pk, state=Task.State.ASSIGNED, assignee=by).update(
        lease_expires_at=_lease_end(), updated_at=timezone.now()
    )
    if updated != 1:
        raise IllegalTransition("You no longer hold this task.")
    task.refresh_from_db()
    return task


# --- Reviews --------------------------------------------------------------------------------


def _held_task(claim: Claim, user: Any) -> ReviewTask | None:
    return ReviewTask.objects.filter(
        claim=claim, kind=Task.Kind.REVIEW, state=Task.State.ASSIGNED, assignee=user
    ).first()


@transaction.atomic
def review_draft(
    *,
    claim: Claim,
    reviewer: Any,
    rating: Rating | None = None,
    explanation: str = "",
) -> Review:
    """Start (or continue) the reviewer's draft verdict on a claim they are reviewing."""
    _require(reviewer, "claims.add_review", "write reviews")
    claim.refresh_from_db(fields=["status"])
    if claim.status != Status.IN_REVIEW:
        raise IllegalTransition(
            f"Claim {claim.pk} is {claim.get_status_display().lower()}; take its review task "
            "before drafting a verdict."
        )
    if _held_task(claim, reviewer) is None and not reviewer.has_perm("claims.reassign_reviewtask"):
        raise NotAllowed("This claim's review task is assigned to someone else.")
    review = Review.objects.filter(
        claim=claim, reviewer=reviewer, status__in=[Review.Status.DRAFT, Review.Status.REJECTED]
    ).first()
    if review is None:
        review = Review(claim=claim, reviewer=reviewer)
    review.rating = rating if rating is not None else review.rating
    review.explanation = explanation or review.explanation
    review.status = Review.Status.DRAFT
    _history(review, reviewer, "draft saved")
    review.save()
    return review


@transaction.atomic
def review_update(
    *,
    review: Review,
    by: Any,
    rating: Rating | None = None,
    explanation: str | None = None,
    expected_version: int | None = None,
) -> Review:
    locked = Review.objects.select_for_update().get(pk=review.pk)
    if locked.reviewer_id != getattr(by, "pk", None):
        raise NotAllowed("Only the reviewer who wrote a draft can edit it.")
    if locked.status not in {Review.Status.DRAFT, Review.Status.REJECTED}:
        raise IllegalTransition(f"A {locked.status} review can no longer be edited.")
    if expected_version is not None and expected_version != locked.version:
        from claims.errors import StaleVersion

        raise StaleVersion("The review was changed meanwhile; reload it.")
    if rating is not None:
        locked.rating = rating
    if explanation is not None:
        locked.explanation = explanation
    locked.version += 1
    _history(locked, by, "draft edited")
    locked.save(update_fields=["rating", "explanation", "version", "updated_at"])
    return locked


@transaction.atomic
def review_submit(*, review: Review, by: Any) -> Review:
    """Send a draft to an editor: the claim waits for approval, an approval task is queued."""
    locked = (
        Review.objects.select_for_update(of=("self",)).select_related("claim").get(pk=review.pk)
    )
    if locked.reviewer_id != getattr(by, "pk", None):
        raise NotAllowed("Only the reviewer who wrote the review can submit it.")
    if locked.status not in {Review.Status.DRAFT, Review.Status.REJECTED}:
        raise IllegalTransition(f"This review is already {locked.status}.")
    missing = {}
    if locked.rating_id is None:
        missing["rating"] = ["Choose a rating before submitting."]
    if not locked.explanation.strip():
        missing["explanation"] = ["Explain the verdict before submitting."]
    if missing:
        raise ApplicationError("The review is not complete.", details=missing)
    workflow.transition(claim=locked.claim, to=Status.IN_APPROVAL, by=by, reason="review submitted")
    now = timezone.now()
    locked.status = Review.Status.SUBMITTED
    locked.submitted_at = now
    locked.rejection_comment = ""
    locked.version += 1
    _history(locked, by, "submitted for approval")
    locked.save(
        update_fields=["status", "submitted_at", "rejection_comment", "version", "updated_at"]
    )
    held = _held_task(locked.claim, by)
    if held is not None:
        held.state, held.completed_at = Task.State.DONE, now
        _history(held, by, "review submitted")
        held.save(update_fields=["state", "completed_at", "updated_at"])
    approval = ReviewTask(
        claim=locked.claim,
        review=locked,
        kind=Task.Kind.APPROVAL,
        priority=locked.claim.priority,
        due_at=now + timedelta(hours=settings.FACTCHECK_TASK_DUE_HOURS),
    )
    _history(approval, by, "awaiting approval")
    approval.save()
    return locked


def _close_approval_task(review: Review, by: Any, reason: str) -> None:
    for task in ReviewTask.objects.select_for_update().filter(
        review=review, kind=Task.Kind.APPROVAL, state__in=[Task.State.QUEUED, Task.State.ASSIGNED]
    ):
        task.state, task.completed_at = Task.State.DONE, timezone.now()
        if task.assignee_id is None:
            task.assignee = by
        _history(task, by, reason)
        task.save(update_fields=["state", "completed_at", "assignee", "updated_at"])


@transaction.atomic
def review_approve(*, review: Review, by: Any) -> Review:
    """An editor approves a submitted review: it is published as the claim's verdict.

    The approver must not be the reviewer (also a database constraint). Publishing
    supersedes the claim's previous verdict, renders ClaimReview and, once the transaction
    commits, notifies subscribers.
    """
    _require(by, "claims.approve_review", "approve reviews")
    locked = (
        Review.objects.select_for_update(of=("self",))
        .select_related("claim", "rating", "reviewer")
        .get(pk=review.pk)
    )
    if locked.reviewer_id == by.pk:
        raise NotAllowed("Nobody approves their own review: another editor must approve it.")
    if locked.status != Review.Status.SUBMITTED:
        raise IllegalTransition(
            f"Only submitted reviews can be approved; this one is {locked.status}."
        )
    workflow.transition(claim=locked.claim, to=Status.PUBLISHED, by=by, reason="verdict published")
    now = timezone.now()
    for previous in Review.objects.select_for_update().filter(
        claim=locked.claim, status=Review.Status.PUBLISHED
    ):
        previous.status = Review.Status.SUPERSEDED
        _history(previous, by, f"superseded by review {locked.pk}")
        previous.save(update_fields=["status", "updated_at"])
    locked.status = Review.Status.PUBLISHED
    locked.approver = by
    locked.approved_at = now
    locked.published_at = now
    locked.version += 1
    from claims.claimreview import render_claimreview

    locked.claimreview = render_claimreview(locked)
    _history(locked, by, "approved and published")
    locked.save(
        update_fields=[
            "status",
            "approver",
            "approved_at",
            "published_at",
            "version",
            "claimreview",
            "updated_at",
        ]
    )
    _close_approval_task(locked, by, "approved")
    from claims import signals

    transaction.on_commit(lambda: signals.review_published.send(sender=Review, review_id=locked.pk))
    return locked


@transaction.atomic
def review_reject(*, review: Review, by: Any, comment: str) -> Review:
    """Send a submitted review back to its reviewer with a comment."""
    _require(by, "claims.approve_review", "reject reviews")
    if not comment.strip():
        raise ApplicationError(
            "Tell the reviewer what to change.", details={"comment": ["required"]}
        )
    locked = (
        Review.objects.select_for_update(of=("self",)).select_related("claim").get(pk=review.pk)
    )
    if locked.reviewer_id == by.pk:
        raise NotAllowed("Nobody approves or rejects their own review.")
    if locked.status != Review.Status.SUBMITTED:
        raise IllegalTransition(
            f"Only submitted reviews can be rejected; this one is {locked.status}."
        )
    workflow.transition(
        claim=locked.claim, to=Status.IN_REVIEW, by=by, reason=f"rejected: {comment}"
    )
    locked.status = Review.Status.REJECTED
    locked.rejection_comment = comment
    locked.approver = None
    locked.version += 1
    _history(locked, by, f"rejected: {comment}")
    locked.save(update_fields=["status", "rejection_comment", "approver", "version", "updated_at"])
    _close_approval_task(locked, by, "rejected")
    # Back to the same reviewer, who knows the claim best.
    task = ReviewTask(
        claim=locked.claim,
        kind=Task.Kind.REVIEW,
        state=Task.State.ASSIGNED,
        assignee=locked.reviewer,
        assigned_at=timezone.now(),
        lease_expires_at=_lease_end(),
        priority=locked.claim.priority,
        due_at=timezone.now() + timedelta(hours=settings.FACTCHECK_TASK_DUE_HOURS),
    )
    _history(task, by, "review rejected, back to reviewer")
    task.save()
    return locked


# --- Evidence -------------------------------------------------------------------------------


@transaction.atomic
def evidence_add(
    *,
    claim: Claim,
    by: Any,
    url: str = "",
    title: str = "",
    stance: str = Evidence.Stance.CONTEXT,
    excerpt: str = "",
) -> Evidence:
    _require(by, "claims.add_evidence", "add evidence")
    if not url.strip() and not excerpt.strip():
        raise ApplicationError(
            "Evidence needs a URL or an excerpt.", details={"url": ["give a URL or an excerpt"]}
        )
    evidence = Evidence(
        claim=claim, url=url, title=title, stance=stance, excerpt=excerpt, added_by=by
    )
    _validated(evidence)
    evidence.save()
    return evidence


def _evidence_fields(url: str, excerpt: str) -> None:
    if not url.strip() and not excerpt.strip():
        raise ApplicationError(
            "Evidence needs a URL or an excerpt.", details={"url": ["give a URL or an excerpt"]}
        )


@transaction.atomic
def evidence_update(
    *,
    evidence: Evidence,
    by: Any,
    url: str,
    title: str,
    stance: str,
    excerpt: str,
) -> Evidence:
    _require(by, "claims.change_evidence", "edit evidence")
    _evidence_fields(url, excerpt)
    evidence.url, evidence.title, evidence.stance, evidence.excerpt = url, title, stance, excerpt
    _validated(evidence)
    evidence.save(update_fields=["url", "title", "stance", "excerpt", "updated_at"])
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, by: Any) -> None:
    _require(by, "claims.delete_evidence", "remove evidence")
    evidence.delete()


# --- Small helpers for callers ---------------------------------------------------------------


def reviewer_load() -> dict[int, int]:
    """Open (assigned) tasks per reviewer id."""
    rows = (
        ReviewTask.objects.filter(state=Task.State.ASSIGNED)
        .values("assignee")
        .annotate(n=Count("pk"))
    )
    return {row["assignee"]: row["n"] for row in rows}


def open_tasks_for(user: Any) -> Any:
    return ReviewTask.objects.filter(Q(assignee=user), state=Task.State.ASSIGNED).select_related(
        "claim"
    )


@transaction.atomic
def claim_update(
    *,
    claim: Claim,
    by: Any,
    expected_version: int | None = None,
    kind: str | None = None,
    language: str | None = None,
    priority: float | None = None,
    topics: Iterable[Topic] | None = None,
) -> Claim:
    """An editor corrects a claim's kind, language, priority or topics (not its status,
    which only moves through the workflow). `expected_version` guards against overwriting
    someone else's change (the API's If-Match)."""
    from claims.errors import StaleVersion

    _require(by, "claims.change_claim", "edit claims")
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            f"Claim {locked.pk} was changed by someone else (version {locked.version}, "
            f"you had {expected_version}). Reload it and try again.",
            details={"current_version": locked.version},
        )
    changed = {"version", "updated_at"}
    for field, value in (("kind", kind), ("language", language), ("priority", priority)):
        if value is not None:
            setattr(locked, field, value)
            changed.add(field)
    _validated(locked, exclude=["text_hash"])
    locked.version += 1
    _history(locked, by, "edited")
    locked.save(update_fields=changed)
    if topics is not None:
        locked.topics.set(list(topics))
    return locked


# --- Merging duplicates ----------------------------------------------------------------------


@transaction.atomic
def claim_merge(*, survivor: Claim, merged: Claim, by: Any) -> Claim:
    """Fold `merged` into `survivor`: its appearances, evidence, topics and links move to
    the survivor, and `merged` becomes a duplicate pointing at it (keeping its history)."""
    _require(by, "claims.merge_claim", "merge claims")
    if survivor.pk == merged.pk:
        raise ApplicationError("Choose two different claims to merge.")
    if survivor.duplicate_of_id == merged.pk:
        raise ApplicationError(
            f"Claim {survivor.pk} is itself a duplicate of claim {merged.pk}; merge the other way."
        )
    from claims.models import Appearance

    # 1. Appearances: move, unless the survivor already appears at the same place.
    for appearance in Appearance.objects.select_for_update().filter(claim=merged):
        if Appearance.objects.filter(
            claim=survivor, source_id=appearance.source_id, start=appearance.start
        ).exists():
            continue
        appearance.claim = survivor
        appearance.save(update_fields=["claim", "updated_at"])
    # 2. Evidence and topics follow the claim.
    Evidence.objects.filter(claim=merged).update(claim=survivor)
    survivor.topics.add(*merged.topics.all())
    # 3. Links: re-point at the survivor, dropping those that would link it to itself or
    #    repeat a link it already has.
    for link in ClaimLink.objects.select_for_update().filter(
        Q(from_claim=merged) | Q(to_claim=merged)
    ):
        source_id = survivor.pk if link.from_claim_id == merged.pk else link.from_claim_id
        target_id = survivor.pk if link.to_claim_id == merged.pk else link.to_claim_id
        if (
            source_id == target_id
            or ClaimLink.objects.filter(
                from_claim_id=source_id, to_claim_id=target_id, kind=link.kind
            ).exists()
        ):
            link.delete()
            continue
        link.from_claim_id, link.to_claim_id = source_id, target_id
        link.save(update_fields=["from_claim", "to_claim"])
    Claim.objects.filter(duplicate_of=merged).update(duplicate_of=survivor)
    if survivor.first_seen_at > merged.first_seen_at:
        survivor.first_seen_at = merged.first_seen_at
        _history(survivor, by, f"merged claim {merged.pk} into it")
        survivor.save(update_fields=["first_seen_at", "updated_at"])
    # 4. The merged claim stays, as a duplicate, so links to it from outside still resolve.
    return claim_mark_duplicate(claim=merged, of=survivor, by=by)
