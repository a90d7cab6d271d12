"""The reviewers' workbench inside the admin: my queue, take next, the verdict flow on the
claim page, editors' tools, and the dashboard.

Views parse the form, call one service, and report the outcome as an admin message; every
rule (roles, self-approval, stale versions, legal transitions) is enforced by the services.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from claims import charts, services
from claims.errors import ApplicationError, StaleVersion
from claims.models import (
    Attribution,
    Claim,
    ClaimLink,
    Evidence,
    Figure,
    Rating,
    Review,
    ReviewTask,
)
from claims.roles import REVIEWERS


def claim_url(claim_id: int) -> str:
    return reverse("admin:claims_claim_change", args=[claim_id])


def queue_url() -> str:
    return reverse("admin:claims_claim_queue")


def require_post(view: Any) -> Any:
    """Like Django's require_POST, for views that take the model admin first."""

    def wrapped(model_admin: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(model_admin, request, *args, **kwargs)

    return wrapped


def _staff(request: HttpRequest) -> None:
    if not request.user.is_active or not request.user.is_staff:
        raise PermissionDenied


# --- My queue -------------------------------------------------------------------------------


def queue_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    _staff(request)
    user: Any = request.user
    first_attribution = Prefetch(
        "claim__appearances__attributions",
        queryset=Attribution.objects.select_related("actor").order_by("pk"),
    )
    mine = (
        ReviewTask.objects.filter(assignee=user, state=ReviewTask.State.ASSIGNED)
        .select_related("claim", "review")
        .prefetch_related("claim__appearances", first_attribution)
        .order_by("due_at", "-priority", "pk")
    )
    now = timezone.now()
    rows = []
    for task in mine:
        attribution = next(
            (a for ap in task.claim.appearances.all() for a in ap.attributions.all()), None
        )
        rows.append(
            {
                "task": task,
                "claim": task.claim,
                "attribution": attribution,
                "age": now - task.claim.first_seen_at,
                "overdue": task.is_overdue(now),
            }
        )
    can_approve = user.has_perm("claims.approve_review")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "My queue",
        "rows": rows,
        "queued_reviews": ReviewTask.objects.filter(state="queued", kind="review").count(),
        "queued_approvals": (
            ReviewTask.objects.filter(state="queued", kind="approval")
            .exclude(review__reviewer=user)
            .count()
            if can_approve
            else None
        ),
        "can_take": user.has_perm("claims.take_reviewtask"),
        "can_approve": can_approve,
        "opts": Claim._meta,
    }
    return TemplateResponse(request, "admin/claims/claim/queue.html", context)


@require_post
def take_next_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    _staff(request)
    kind = request.POST.get("kind", ReviewTask.Kind.REVIEW)
    if kind not in ReviewTask.Kind.values:
        messages.error(request, "Unknown kind of task.")
        return HttpResponseRedirect(queue_url())
    try:
        task = services.task_take_next(user=request.user, kind=kind)
    except ApplicationError as exc:
        messages.warning(request, exc.message)
        return HttpResponseRedirect(queue_url())
    messages.success(
        request, f"You took the {task.get_kind_display().lower()} of claim {task.claim_id}."
    )
    return HttpResponseRedirect(claim_url(task.claim_id))


@require_post
def release_view(model_admin: Any, request: HttpRequest, task_id: int) -> HttpResponse:
    _staff(request)
    task = get_object_or_404(ReviewTask, pk=task_id)
    try:
        services.task_release(task=task, by=request.user)
        messages.success(request, f"Task for claim {task.claim_id} is back in the queue.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(queue_url())


# --- The claim page: verdict flow and editors' tools ------------------------------------------


def claim_panels(request: HttpRequest, claim: Claim) -> dict[str, Any]:
    """Extra context for the claim change page (a fixed number of queries)."""
    user: Any = request.user
    held = ReviewTask.objects.filter(
        claim=claim, kind="review", state="assigned", assignee=user
    ).first()
    reviews = list(
        claim.reviews.select_related("reviewer", "rating", "approver").order_by("-created_at")
    )
    draft = next(
        (r for r in reviews if r.reviewer_id == user.pk and r.status in {"draft", "rejected"}),
        None,
    )
    submitted = next((r for r in reviews if r.status == "submitted"), None)
    links = list(
        ClaimLink.objects.filter(Q(from_claim=claim) | Q(to_claim=claim))
        .select_related("from_claim", "to_claim")
        .order_by("status", "-score")
    )
    other_ids = {
        link.to_claim_id if link.from_claim_id == claim.pk else link.from_claim_id for link in links
    }
    verdicts = dict(
        Review.objects.filter(claim_id__in=other_ids, status="published").values_list(
            "claim_id", "rating__label"
        )
    )
    link_rows = [
        {
            "link": link,
            "other": link.to_claim if link.from_claim_id == claim.pk else link.from_claim,
            "verdict": verdicts.get(
                link.to_claim_id if link.from_claim_id == claim.pk else link.from_claim_id
            ),
        }
        for link in links
    ]
    User = get_user_model()
    return {
        "claim_version": claim.version,
        "held_task": held,
        "draft": draft,
        "submitted": submitted,
        "ratings": list(Rating.objects.all()),
        "can_approve": user.has_perm("claims.approve_review"),
        "is_own_submission": submitted is not None and submitted.reviewer_id == user.pk,
        "can_edit_claims": user.has_perm("claims.dismiss_claim"),
        "can_merge": user.has_perm("claims.merge_claim"),
        "can_reassign": user.has_perm("claims.reassign_reviewtask"),
        "reviewers": (
            User.objects.filter(groups__name=REVIEWERS, is_active=True).order_by("username")
            if user.has_perm("claims.reassign_reviewtask")
            else []
        ),
        "open_task": ReviewTask.objects.filter(
            claim=claim, kind="review", state__in=["queued", "assigned"]
        )
        .select_related("assignee")
        .first(),
        "link_rows": link_rows,
        "evidence": list(claim.evidence.select_related("added_by").order_by("created_at")),
        "stances": Evidence.Stance.choices,
        "can_add_evidence": user.has_perm("claims.add_evidence"),
        "timelines": figure_timelines(user, claim),
    }


def figure_timelines(user: Any, claim: Claim) -> list[dict[str, Any]]:
    from claims.figures import flag_conflicts
    from claims.selectors import figure_comparison

    metrics = sorted(
        set(
            Figure.objects.filter(appearance__claim=claim)
            .exclude(metric="")
            .values_list("metric", flat=True)
        )
    )
    out = []
    for topic in claim.topics.all():
        for metric in metrics:
            figures = list(figure_comparison(user=user, topic=topic.slug, metric=metric))
            if not figures:
                continue
            figures.sort(key=lambda f: f.as_of or f.appearance.source.published_at or f.created_at)
            conflicts = flag_conflicts(figures)
            points = [
                (
                    f.as_of or f.appearance.source.published_at or f.created_at,
                    f.value,
                    f.lower,
                    f.upper,
                    f"{f.text} — {f.appearance.source}",
                )
                for f in figures
            ]
            out.append(
                {
                    "topic": topic,
                    "metric": metric,
                    "figures": [(f, f.pk in conflicts) for f in figures],
                    "chart": charts.timeline_chart(points, title=f"{metric} — {topic.name}"),
                    "has_conflict": bool(conflicts),
                }
            )
    return out


@require_post
def claim_action_view(model_admin: Any, request: HttpRequest, object_id: int) -> HttpResponse:
    """One endpoint for the buttons on the claim page; `action` says which."""
    _staff(request)
    claim = get_object_or_404(Claim, pk=object_id)
    action = request.POST.get("action", "")
    user = request.user
    post = request.POST
    try:
        # A form rendered before someone else changed the claim must not overwrite them.
        seen = post.get("version")
        if seen is not None and seen.isdigit() and int(seen) != claim.version:
            raise StaleVersion(
                "Someone else changed this claim since you opened it (it is now "
                f"{claim.get_status_display().lower()}). Nothing was saved: review the "
                "current version below and try again."
            )
        message = _act(action, claim, user, post)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        for field, problems in exc.details.items():
            if isinstance(problems, list):
                messages.error(request, f"{field}: {' '.join(map(str, problems))}")
    else:
        messages.success(request, message)
        if action in {"submit", "approve", "reject", "release"}:
            return HttpResponseRedirect(queue_url())
    return HttpResponseRedirect(claim_url(claim.pk))


def _rating(post: Any) -> Rating | None:
    slug = post.get("rating") or ""
    return Rating.objects.filter(slug=slug).first() if slug else None


def _evidence_fields(post: Any) -> dict[str, str]:
    return {
        "url": post.get("url", "").strip(),
        "title": post.get("title", "").strip(),
        "stance": post.get("stance", "context"),
        "excerpt": post.get("excerpt", "").strip(),
    }


def _act(action: str, claim: Claim, user: Any, post: Any) -> str:
    if action in {"save_draft", "submit"}:
        review = services.review_draft(
            claim=claim,
            reviewer=user,
            rating=_rating(post),
            explanation=post.get("explanation", ""),
        )
        if action == "save_draft":
            return "Draft saved."
        services.review_submit(review=review, by=user)
        return "Verdict submitted: it now waits for an editor's approval."
    if action in {"approve", "reject"}:
        review = get_object_or_404(Review, pk=post.get("review"), claim=claim)
        if action == "approve":
            services.review_approve(review=review, by=user)
            return "Approved and published. ClaimReview is live and subscribers are notified."
        services.review_reject(review=review, by=user, comment=post.get("comment", ""))
        return "Sent back to the reviewer with your comment."
    if action == "dismiss":
        services.claim_dismiss(claim=claim, by=user, reason=post.get("reason", ""))
        return "Claim dismissed."
    if action == "reassign":
        task = ReviewTask.objects.filter(
            claim=claim, kind="review", state__in=["queued", "assigned"]
        ).first()
        if task is None:
            raise ApplicationError("This claim has no open review task to reassign.")
        assignee = get_object_or_404(get_user_model(), pk=post.get("assignee") or 0)
        services.task_assign(task=task, assignee=assignee, by=user)
        return f"Review task given to {assignee}."
    if action == "release":
        task = ReviewTask.objects.filter(
            claim=claim, kind="review", state="assigned", assignee=user
        ).first()
        if task is None:
            raise ApplicationError("You do not hold this claim's review task.")
        services.task_release(task=task, by=user)
        return "Task released back to the queue."
    if action == "merge":
        other = post.get("into", "").strip().lstrip("#")
        if not other.isdigit():
            raise ApplicationError("Give the number of the claim to merge this one into.")
        survivor = get_object_or_404(Claim, pk=int(other))
        services.claim_merge(survivor=survivor, merged=claim, by=user)
        return f"Merged into claim {survivor.pk}; this claim is now its duplicate."
    if action in {"link_confirm", "link_reject"}:
        link = get_object_or_404(
            ClaimLink, Q(from_claim=claim) | Q(to_claim=claim), pk=post.get("link") or 0
        )
        from claims.matching import claim_link_decide

        claim_link_decide(link=link, by=user, confirm=action == "link_confirm")
        return (
            "Link confirmed."
            if action == "link_confirm"
            else "Suggestion rejected; it will not be suggested again."
        )
    if action == "add_evidence":
        services.evidence_add(claim=claim, by=user, **_evidence_fields(post))
        return "Evidence added."
    if action in {"edit_evidence", "remove_evidence"}:
        evidence = get_object_or_404(Evidence, pk=post.get("evidence") or 0, claim=claim)
        if action == "remove_evidence":
            services.evidence_remove(evidence=evidence, by=user)
            return "Evidence removed."
        services.evidence_update(evidence=evidence, by=user, **_evidence_fields(post))
        return "Evidence updated."
    raise ApplicationError(f"Unknown action {action!r}.")


# --- Dashboard --------------------------------------------------------------------------------


def dashboard_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    _staff(request)
    if not request.user.has_perm("claims.approve_review"):
        raise PermissionDenied
    now = timezone.now()
    since = now - timedelta(days=14)
    open_states = ["queued", "assigned"]

    by_state = Counter(
        {
            f"{row['kind']} {row['state']}": row["n"]
            for row in ReviewTask.objects.filter(state__in=open_states)
            .values("kind", "state")
            .annotate(n=Count("pk"))
        }
    )
    overdue = (
        ReviewTask.objects.filter(state__in=open_states, due_at__lt=now)
        .select_related("claim", "assignee")
        .order_by("due_at")
    )
    submitted = (
        Review.objects.filter(submitted_at__gte=since)
        .values("reviewer__username", "submitted_at__date")
        .annotate(n=Count("pk"))
    )
    per_reviewer: Counter[str] = Counter()
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for row in submitted:
        per_reviewer[row["reviewer__username"]] += row["n"]
        per_day[str(row["submitted_at__date"])][row["reviewer__username"]] += row["n"]
    verdicts = (
        Review.objects.filter(status="published")
        .values("rating__label")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    durations = [
        (published - first_seen).total_seconds() / 3600
        for published, first_seen in Review.objects.filter(status="published")
        .order_by("-published_at")
        .values_list("published_at", "claim__first_seen_at")[:1000]
        if published and first_seen
    ]
    median_hours = statistics.median(durations) if durations else None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Desk dashboard",
        "opts": Claim._meta,
        "queue_chart": charts.bar_chart(sorted(by_state.items()), title="Open tasks by state"),
        "overdue": overdue[:20],
        "overdue_count": overdue.count(),
        "throughput_chart": charts.bar_chart(
            per_reviewer.most_common(), title="Verdicts submitted per reviewer, last 14 days"
        ),
        # Lists, not Counters: a template's `.items` on a Counter looks up the key "items".
        "per_day": [(day, sorted(c.items())) for day, c in sorted(per_day.items(), reverse=True)],
        "verdict_chart": charts.bar_chart(
            [(row["rating__label"] or "unrated", row["n"]) for row in verdicts],
            title="Published verdicts by rating",
        ),
        "median_hours": median_hours,
        "published_count": len(durations),
    }
    return TemplateResponse(request, "admin/claims/claim/dashboard.html", context)
