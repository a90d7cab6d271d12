"""Triage: decide what happens to new claims, then queue and assign review work.

The pipeline triages a source's new claims together (`triage_claims`), in a bounded number
of queries whatever their number:

1. Not check-worthy (below FACTCHECK_CHECKWORTHY_THRESHOLD): dismissed with the score as
   the reason. Opinions were already dismissed at extraction, and exact repeats (same
   normalised text) were merged into the earlier claim there too.
2. Matching against earlier claims: a near-certain repeat becomes a duplicate of the
   earlier claim (and shows its verdict); close ones get a suggested link for the reviewer.
3. Priority from check-worthiness, the publisher, recency and how many sources repeat it.
4. Queued as ReviewTasks, each given to the least-loaded eligible reviewer in one pass.

Every attempt is counted on the claim (`pipeline_attempts`); a failure leaves the claim
`new` with the reason in `pipeline_error`, where the desk sees it, and the sweep tries
again later, up to FACTCHECK_TRIAGE_MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from claims import workflow
from claims.errors import IllegalTransition
from claims.models import Appearance, Claim, ReviewerProfile, ReviewTask
from claims.roles import REVIEWERS

log = logging.getLogger(__name__)

S = Claim.Status
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
# What triage_claims reports per claim id.
SKIPPED, DISMISSED, DUPLICATE, QUEUED, FAILED = (
    "skipped",
    "dismissed",
    "duplicate",
    "queued",
    "failed",
)


def pipeline_error_text(exc: BaseException) -> str:
    """A short line a reviewer can read: the exception's class and message."""
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= 500 else text[:499] + "…"


# --- Priority -------------------------------------------------------------------------------


def claims_priority(claims: Sequence[Claim], *, now: datetime | None = None) -> dict[int, float]:
    """0..100 per claim id: check-worthiness (up to 60), reach (5 a source, up to 20),
    recency (up to 15, over a week), and 5 for claims from state-affiliated publishers,
    whose claims travel far. One query for all the claims."""
    now = now or timezone.now()
    sources: dict[int, set[int]] = {}
    state_affiliated: set[int] = set()
    for claim_id, source_id, state in Appearance.objects.filter(
        claim_id__in=[c.pk for c in claims]
    ).values_list("claim_id", "source_id", "source__publisher__state_affiliated"):
        sources.setdefault(claim_id, set()).add(source_id)
        if state:
            state_affiliated.add(claim_id)
    out = {}
    for claim in claims:
        age_hours = max(0.0, (now - claim.first_seen_at).total_seconds() / 3600)
        recency = 15.0 * max(0.0, 1.0 - age_hours / (7 * 24))
        reach = min(20.0, 5.0 * len(sources.get(claim.pk, ())))
        bonus = 5.0 if claim.pk in state_affiliated else 0.0
        out[claim.pk] = round(60.0 * claim.checkworthiness + reach + recency + bonus, 2)
    return out


def claim_priority(claim: Claim, *, now: Any = None) -> float:
    return claims_priority([claim], now=now)[claim.pk]


# --- Moving many claims at once -------------------------------------------------------------


@dataclass
class _Moves:
    """Status changes of a batch of locked claims, written at the end in one UPDATE and one
    history INSERT. A claim that moves several steps at once (new → triaged → queued → in
    review) gets one history row, at its final status, naming every step: rows for the
    intermediate statuses would only repeat it."""

    changed: dict[int, Claim] = field(default_factory=dict)
    steps: dict[int, list[str]] = field(default_factory=dict)
    users: dict[int, Any] = field(default_factory=dict)
    fields: set[str] = field(default_factory=lambda: {"status", "status_reason", "version"})

    def move(self, claim: Claim, to: str, reason: str, by: Any = None) -> None:
        if not workflow.can_transition(claim.status, to):
            raise IllegalTransition(
                f"A claim that is {claim.get_status_display().lower()} cannot become "
                f"{Claim.Status(to).label.lower()}.",
                details={"status": claim.status, "allowed": workflow.allowed_targets(claim.status)},
            )
        claim.status, claim.status_reason = to, reason
        claim.version += 1
        self.changed[claim.pk] = claim
        self.steps.setdefault(claim.pk, []).append(reason or f"status → {to}")
        self.users[claim.pk] = by if getattr(by, "is_authenticated", False) else None

    def save(self) -> None:
        if not self.changed:
            return
        now = timezone.now()
        claims = list(self.changed.values())
        for claim in claims:
            claim.updated_at = now
            claim._history_user = self.users[claim.pk]  # type: ignore[attr-defined]
            claim._change_reason = "; ".join(self.steps[claim.pk])  # type: ignore[attr-defined]
        _bulk_update(claims, [*sorted(self.fields), "updated_at"])
        Claim.history.bulk_history_create(claims, update=True)
        self.changed.clear()
        self.steps.clear()
        self.users.clear()


def _bulk_update(claims: list[Claim], fields: list[str]) -> None:
    """Claim.objects.bulk_update(claims, fields), on PostgreSQL as one UPDATE ... FROM
    unnest() with a column of values a field: bulk_update builds a CASE WHEN per claim and
    field, and resolving those expressions cost triage more than the statement itself."""
    if connection.vendor != "postgresql":
        Claim.objects.bulk_update(claims, fields)
        return
    meta = Claim._meta
    by_name = {f.name: f for f in meta.concrete_fields}
    columns = [by_name["id"], *(by_name[name] for name in fields)]
    qn = connection.ops.quote_name
    names = [qn(f.column) for f in columns]
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model
            f"FROM unnest({arrays}) AS v({', '.join(names)}) "
            f"WHERE {qn(meta.db_table)}.{names[0]} = v.{names[0]}",
            [
                [f.get_db_prep_save(getattr(c, f.attname), connection) for c in claims]
                for f in columns
            ],
        )


def claims_dismiss(*, claims: Iterable[Claim], reason: str | Callable[[Claim], str]) -> None:
    """Dismiss new claims in bulk (the pipeline's dismissals: opinions, low scores). The
    claims must be locked by the caller; new claims have no review tasks to cancel."""
    moves = _Moves()
    for claim in claims:
        moves.move(claim, S.DISMISSED, reason(claim) if callable(reason) else reason)
    moves.save()


# --- Triage ---------------------------------------------------------------------------------


def triage_claims(*, claim_ids: Iterable[int]) -> dict[int, str]:
    """Triage new claims (a source's) together; returns what happened to each.

    One transaction for the batch. If it fails, each claim is tried alone so that one bad
    claim holds up no other, and the failing one keeps its error for the desk. Transient
    database errors are re-raised for the task to retry.
    """
    ids = sorted(set(claim_ids))
    if not ids:
        return {}
    try:
        with transaction.atomic():
            return _triage(ids)
    except TRANSIENT as exc:
        _record_failure(ids, exc)
        raise
    except Exception:
        if len(ids) == 1:
            return {ids[0]: _triage_alone(ids[0])}
        log.exception("triage of %d claims failed; trying them one at a time", len(ids))
    return {pk: _triage_alone(pk) for pk in ids}


def triage_claim(*, claim_id: int) -> str:
    """Triage one claim; returns what happened (for logs and tests)."""
    return triage_claims(claim_ids=[claim_id]).get(claim_id, SKIPPED)


def _triage_alone(claim_id: int) -> str:
    try:
        with transaction.atomic():
            return _triage([claim_id])[claim_id]
    except TRANSIENT as exc:
        _record_failure([claim_id], exc)
        raise
    except Exception as exc:
        log.exception("triage of claim %s failed", claim_id)
        _record_failure([claim_id], exc)
        return FAILED


def _record_failure(ids: Sequence[int], exc: BaseException) -> None:
    """Count the attempt and keep its error on the claims, outside the failed transaction.
    The claims stay `new`; `updated_at` moves so the sweep waits a full timeout."""
    try:
        Claim.objects.filter(pk__in=ids, status=S.NEW).update(
            pipeline_attempts=F("pipeline_attempts") + 1,
            pipeline_error=pipeline_error_text(exc),
            updated_at=timezone.now(),
        )
    except Exception:  # the database itself is gone; the log keeps the error
        log.exception("could not record the triage error on claims %s", list(ids)[:20])


def _triage(ids: list[int]) -> dict[int, str]:
    outcomes = dict.fromkeys(ids, SKIPPED)
    # 1. Lock the claims still new; a repeated delivery finds them moved and skips them.
    #    FOR NO KEY UPDATE: other transactions may still insert rows that point at these
    #    claims (appearances in other sources, links from their claims) meanwhile; a plain
    #    FOR UPDATE would make them wait for the whole of this triage.
    claims = list(
        Claim.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=ids, status=S.NEW)
        .order_by("pk")
    )
    if not claims:
        return outcomes
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(
        pipeline_attempts=F("pipeline_attempts") + 1, pipeline_error=""
    )
    moves = _Moves()
    # 2. Too low a score: dismissed with it.
    threshold = settings.FACTCHECK_CHECKWORTHY_THRESHOLD
    worthy = []
    for claim in claims:
        if claim.checkworthiness < threshold:
            moves.move(
                claim,
                S.DISMISSED,
                f"Not check-worthy enough (score {claim.checkworthiness:.2f} < {threshold:.2f})",
            )
            outcomes[claim.pk] = DISMISSED
        else:
            worthy.append(claim)
    # 3. Matching: repeats become duplicates (through the service), the rest get links.
    duplicates = _match(worthy)
    for pk in duplicates:
        outcomes[pk] = DUPLICATE
    worthy = [c for c in worthy if c.pk not in duplicates]
    # 4. Priority, triaged, queued; then tasks, assigned where a reviewer has room.
    priorities = claims_priority(worthy)
    for claim in worthy:
        claim.priority = priorities[claim.pk]
        moves.move(claim, S.TRIAGED, "check-worthy")
        moves.move(claim, S.QUEUED, "queued for review")
        outcomes[claim.pk] = QUEUED
    moves.fields.add("priority")
    due = timezone.now() + timedelta(hours=settings.FACTCHECK_TASK_DUE_HOURS)
    tasks = [
        ReviewTask(claim=claim, kind=ReviewTask.Kind.REVIEW, priority=claim.priority, due_at=due)
        for claim in worthy
    ]
    for task in tasks:
        task._change_reason = "queued"  # type: ignore[attr-defined]
    _assign(tasks, moves)
    moves.save()
    bulk_create_with_history(tasks, ReviewTask)
    return outcomes


def _match(claims: list[Claim]) -> set[int]:
    if not claims:
        return set()
    try:
        from claims.matching import claims_match_and_link_many
    except ImportError:  # matching is optional; exact repeats already merged at ingest
        return set()
    return claims_match_and_link_many(claims=claims, budget=settings.FACTCHECK_TRIAGE_MATCH_BUDGET)


# --- Assignment -----------------------------------------------------------------------------


@dataclass
class _Reviewer:
    user: Any
    load: int
    capacity: int
    languages: list[str]
    topics: set[int]

    def can_take(self, language: str, topics: set[int]) -> bool:
        if self.load >= self.capacity:
            return False
        if self.languages and language not in self.languages:
            return False
        return not (self.topics and topics and not self.topics & topics)


def _reviewers() -> list[_Reviewer]:
    """Active reviewers with their load, capacity, languages and topics, their rows locked
    until the transaction ends: concurrent assignment passes wait for each other, so two
    workers never both give a reviewer the last free place. Editors approve; they take
    review work by hand ("Take next"), not automatically."""
    User = get_user_model()
    members = User.objects.filter(is_active=True, groups__name=REVIEWERS).values("pk")
    users = list(User.objects.select_for_update().filter(pk__in=members).order_by("pk"))
    if not users:
        return []
    # Counted after the lock, so the counts include whatever the previous holder assigned.
    loads = dict(
        ReviewTask.objects.filter(state=ReviewTask.State.ASSIGNED, assignee__in=users)
        .values_list("assignee")
        .annotate(n=Count("pk"))
    )
    profiles = {
        p.user_id: p
        for p in ReviewerProfile.objects.filter(user__in=users).prefetch_related("topics")
    }
    out = []
    for user in users:
        profile = profiles.get(user.pk)
        out.append(
            _Reviewer(
                user=user,
                load=loads.get(user.pk, 0),
                capacity=profile.capacity if profile else 5,
                languages=list(profile.languages or []) if profile else [],
                topics={t.pk for t in profile.topics.all()} if profile else set(),
            )
        )
    return out


def _assign(tasks: list[ReviewTask], moves: _Moves) -> int:
    """Give queued review tasks (saved or not) to the least-loaded eligible reviewer, most
    urgent first; their claims, if queued, go in review (recorded in `moves`)."""
    if not tasks:
        return 0
    reviewers = _reviewers()
    if not reviewers:
        return 0
    claim_ids = [t.claim_id for t in tasks]
    topics_of: dict[int, set[int]] = {}
    for claim_id, topic_id in Claim.topics.through.objects.filter(
        claim_id__in=claim_ids
    ).values_list("claim_id", "topic_id"):
        topics_of.setdefault(claim_id, set()).add(topic_id)
    now = timezone.now()
    lease = now + timedelta(minutes=settings.FACTCHECK_TASK_LEASE_MINUTES)
    assigned = 0
    for task in sorted(tasks, key=lambda t: (-t.priority, t.due_at or now, t.claim_id)):
        claim = task.claim
        eligible = [
            r for r in reviewers if r.can_take(claim.language, topics_of.get(claim.pk, set()))
        ]
        if not eligible:
            continue
        chosen = min(eligible, key=lambda r: (r.load, r.user.pk))
        chosen.load += 1
        reason = f"assigned to {chosen.user}"
        task.state = ReviewTask.State.ASSIGNED
        task.assignee = chosen.user
        task.assigned_at = now
        task.lease_expires_at = lease
        task._history_user = chosen.user  # type: ignore[attr-defined]
        task._change_reason = reason  # type: ignore[attr-defined]
        if claim.status == S.QUEUED:
            moves.move(claim, S.IN_REVIEW, reason, by=chosen.user)
        assigned += 1
    return assigned


@transaction.atomic
def assign_tasks(*, task_ids: Sequence[int] | None = None, limit: int = 200) -> int:
    """Give queued review tasks to reviewers with room (after leases expire, new hires, or
    for tasks triage could not place). Tasks another pass holds are skipped, not waited for.
    Returns how many were assigned."""
    reviewers_exist = get_user_model().objects.filter(groups__name=REVIEWERS).exists()
    if not reviewers_exist:
        return 0
    queued = (
        ReviewTask.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("claim")
        .filter(state=ReviewTask.State.QUEUED, kind=ReviewTask.Kind.REVIEW)
        .order_by("-priority", "due_at", "pk")
    )
    if task_ids is not None:
        queued = queued.filter(pk__in=list(task_ids))
    tasks = list(queued[:limit])
    if not tasks:
        return 0
    # The claims change status too: lock them (the tasks' rows are already ours).
    claims = {
        c.pk: c
        for c in Claim.objects.select_for_update(no_key=True).filter(
            pk__in=[t.claim_id for t in tasks]
        )
    }
    for task in tasks:
        task.claim = claims[task.claim_id]
    moves = _Moves()
    assigned = _assign(tasks, moves)
    if not assigned:
        return 0
    moves.save()
    from simple_history.utils import bulk_update_with_history

    done = [t for t in tasks if t.state == ReviewTask.State.ASSIGNED]
    for task in done:
        task.updated_at = timezone.now()
    bulk_update_with_history(
        done,
        ReviewTask,
        ["state", "assignee", "assigned_at", "lease_expires_at", "updated_at"],
    )
    return assigned


def assign_task(*, task_id: int) -> ReviewTask | None:
    """Assign one queued review task, if a reviewer has room."""
    if assign_tasks(task_ids=[task_id]):
        return ReviewTask.objects.get(pk=task_id)
    return None


def assign_queued(*, limit: int = 200) -> int:
    return assign_tasks(limit=limit)


# --- Periodic jobs --------------------------------------------------------------------------


def escalate_overdue(*, now: Any = None) -> int:
    """Open tasks past their due time jump the queue once, with a note in their history."""
    now = now or timezone.now()
    escalated = 0
    for task in ReviewTask.objects.filter(
        state__in=["queued", "assigned"], due_at__lt=now, escalated_at__isnull=True
    ):
        with transaction.atomic():
            if ReviewTask.objects.filter(pk=task.pk, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                task.refresh_from_db()
                task.priority += 100
                task._change_reason = "overdue: escalated"  # type: ignore[attr-defined]
                task.save(update_fields=["priority", "updated_at"])
                escalated += 1
    if escalated:
        log.warning("escalated %d overdue review tasks", escalated)
    return escalated


def claims_sweep_new(
    *, older_than: timedelta | None = None, max_attempts: int | None = None
) -> list[int]:
    """Claims still `new` and untouched past a timeout were extracted but never triaged (a
    worker died between the two, a broker lost the message) or their triage failed: send
    them to triage again, in batches. Claims that failed max_attempts times are left alone,
    their error visible, until someone retries them by hand."""
    from claims import tasks

    if older_than is None:  # timedelta(0) is falsy but means "now"
        older_than = timedelta(seconds=settings.FACTCHECK_STUCK_AFTER_SECONDS)
    if max_attempts is None:
        max_attempts = settings.FACTCHECK_TRIAGE_MAX_ATTEMPTS
    ids = list(
        Claim.objects.filter(
            status=S.NEW,
            updated_at__lt=timezone.now() - older_than,
            pipeline_attempts__lt=max_attempts,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    tasks.enqueue_triage(ids)
    if ids:
        log.warning("re-enqueued %d claims for triage: %s", len(ids), ids[:20])
    return ids


def claims_retry_triage(*, claims: Iterable[Claim], by: Any = None) -> list[int]:
    """A reviewer sends claims whose triage failed (or never ran) back to triage, whatever
    their attempts so far. Only new claims can be triaged; others raise IllegalTransition."""
    from claims import tasks

    ids = []
    for claim in claims:
        if claim.status != S.NEW:
            raise IllegalTransition(
                f"Claim {claim.pk} is {claim.get_status_display().lower()}; only new claims "
                "go through triage."
            )
        ids.append(claim.pk)
    if ids:
        log.info("%s sent claims %s back to triage", by, ids[:20])
        transaction.on_commit(lambda: tasks.triage_claims.delay(ids), robust=True)
    return ids
