"""Triage: decide what happens to a new claim, then queue and assign review work.

1. Not check-worthy (below FACTCHECK_CHECKWORTHY_THRESHOLD): dismissed with the score as
   the reason. Opinions were already dismissed at extraction.
2. Matching against earlier claims: a near-certain repeat becomes a duplicate of the
   earlier claim (and shows its verdict); close ones get a suggested link for the reviewer.
3. Priority from check-worthiness, the publisher, recency and how many sources repeat it.
4. Queued as a ReviewTask, then given to the least-loaded eligible reviewer.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from claims import services
from claims.errors import ApplicationError
from claims.models import Claim, ReviewerProfile, ReviewTask, Source
from claims.roles import REVIEWERS

log = logging.getLogger(__name__)


def claim_priority(claim: Claim, *, now: Any = None) -> float:
    """0..100: check-worthiness (up to 60), reach (up to 20), recency (up to 15),
    and 5 for claims from state-affiliated publishers, whose claims travel far."""
    now = now or timezone.now()
    sources = Source.objects.filter(appearances__claim=claim).select_related("publisher")
    n_sources = sources.count()
    state_affiliated = sources.filter(publisher__state_affiliated=True).exists()
    age_hours = max(0.0, (now - claim.first_seen_at).total_seconds() / 3600)
    recency = 15.0 * max(0.0, 1.0 - age_hours / (7 * 24))
    reach = min(20.0, 5.0 * n_sources)
    return round(
        60.0 * claim.checkworthiness + reach + recency + (5.0 if state_affiliated else 0.0), 2
    )


def triage_claim(*, claim_id: int) -> str:
    """Run triage for one claim; returns what happened (for logs and tests)."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None or claim.status != Claim.Status.NEW:
            return "skipped"
        threshold = settings.FACTCHECK_CHECKWORTHY_THRESHOLD
        if claim.checkworthiness < threshold:
            services.claim_dismiss(
                claim=claim,
                reason=(
                    f"Not check-worthy enough (score {claim.checkworthiness:.2f} < {threshold:.2f})"
                ),
            )
            return "dismissed"
        matched = _match(claim)
        if matched == "duplicate":
            return "duplicate"
        claim.priority = claim_priority(claim)
        claim.save(update_fields=["priority", "updated_at"])
        services.claim_triage(claim=claim, reason="check-worthy")
        task = services.claim_queue(claim=claim)
    assign_task(task_id=task.pk)
    return "queued"


def _match(claim: Claim) -> str:
    try:
        from claims.matching import claim_match_and_link
    except ImportError:  # matching is optional until it lands; exact repeats merge at ingest
        return "none"
    claim_match_and_link(claim=claim)
    claim.refresh_from_db(fields=["status"])
    return "duplicate" if claim.status == Claim.Status.DUPLICATE else "linked"


def eligible_reviewers(claim: Claim) -> list[Any]:
    """Reviewers who speak the claim's language, cover its topics and have room, least
    loaded first."""
    User = get_user_model()
    topic_ids = set(claim.topics.values_list("pk", flat=True))
    users = (
        # Editors approve; they take review work by hand ("Take next"), not automatically.
        User.objects.filter(is_active=True, groups__name=REVIEWERS)
        .distinct()
        .annotate(load=Count("review_tasks", filter=Q(review_tasks__state="assigned")))
        .order_by("load", "pk")
    )
    profiles = {
        p.user_id: p
        for p in ReviewerProfile.objects.filter(user__in=users).prefetch_related("topics")
    }
    chosen = []
    for user in users:
        profile = profiles.get(user.pk)
        capacity = profile.capacity if profile else 5
        if user.load >= capacity:
            continue
        if profile and not profile.speaks(claim.language):
            continue
        if profile and topic_ids:
            covered = {t.pk for t in profile.topics.all()}
            if covered and not covered & topic_ids:
                continue
        chosen.append(user)
    return chosen


def assign_task(*, task_id: int) -> Any:
    task = ReviewTask.objects.select_related("claim").filter(pk=task_id, state="queued").first()
    if task is None or task.kind != ReviewTask.Kind.REVIEW:
        return None
    for user in eligible_reviewers(task.claim):
        try:
            return services.task_assign(task=task, assignee=user)
        except ApplicationError as exc:  # taken meanwhile, or the user lost the role
            log.info("could not assign task %s to %s: %s", task_id, user, exc.message)
            if ReviewTask.objects.filter(pk=task_id, state="queued").exists():
                continue
            return None
    return None


def assign_queued(*, limit: int = 200) -> int:
    """Give queued review tasks to reviewers with room (after leases expire, new hires)."""
    assigned = 0
    for pk in (
        ReviewTask.objects.filter(state="queued", kind="review")
        .order_by("-priority", "due_at")
        .values_list("pk", flat=True)[:limit]
    ):
        if assign_task(task_id=pk) is not None:
            assigned += 1
    return assigned


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


def claims_sweep_new(*, older_than: timedelta | None = None) -> list[int]:
    """Claims still `new` past a timeout were extracted but never triaged (a worker died
    between the two): triage them now."""
    from claims import tasks

    if older_than is None:  # timedelta(0) is falsy but means "now"
        older_than = timedelta(seconds=settings.FACTCHECK_STUCK_AFTER_SECONDS)
    ids = list(
        Claim.objects.filter(
            status=Claim.Status.NEW, created_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        tasks.triage_claim.delay(pk)
    return ids
