"""The reviewers' admin: claims to check, their sources, attributions, figures, evidence and
verdicts. Workflow actions go through claims.services so the rules hold here as in the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import URLPattern, path
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from claims import services, workbench
from claims.errors import ApplicationError
from claims.highlight import appearance_views
from claims.models import (
    Actor,
    ActorAlias,
    Appearance,
    Attribution,
    Claim,
    ClaimLink,
    Evidence,
    Figure,
    Publisher,
    Rating,
    Review,
    ReviewerProfile,
    ReviewTask,
    Source,
    Topic,
)


def _apply(request: HttpRequest, action: Any, objects: Any, done: str) -> None:
    """Run a service per object; report successes and each refusal with its reason."""
    ok = 0
    for obj in objects:
        try:
            action(obj)
            ok += 1
        except ApplicationError as exc:
            messages.error(request, f"{obj}: {exc.message}")
    if ok:
        messages.success(request, f"{ok} {done}.")


_SOURCE_APPEARANCE_FIELDS: tuple[str, ...] = ("claim_link", "sentence", "start", "end")

_CLAIM_APPEARANCE_FIELDS: tuple[str, ...] = ("source", "sentence", "start", "end")

_REVIEW_INLINE_FIELDS: tuple[str, ...] = (
    "reviewer",
    "rating",
    "status",
    "explanation",
    "approver",
    "rejection_comment",
    "published_at",
)


# --- Publishers, actors, topics -------------------------------------------------------------


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "kind", "country", "state_affiliated"]
    list_filter = ["kind", "state_affiliated", "country"]
    search_fields = ["name", "domain"]


class ActorAliasInline(admin.TabularInline):
    model = ActorAlias
    extra = 1
    fields = ["alias"]


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country"]
    list_filter = ["kind"]
    search_fields = ["name", "aliases__alias"]
    inlines = [ActorAliasInline]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ["name"]
    # The figure timelines below the form (admin/claims/topic/change_form.html).
    change_form_template = "admin/claims/topic/change_form.html"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        from claims.figures import topic_figure_timelines

        extra_context = extra_context or {}
        topic = self.get_object(request, object_id)
        if topic is not None:
            extra_context["figure_timelines"] = topic_figure_timelines(
                topic=topic, user=request.user
            )
        return super().change_view(request, object_id, form_url, extra_context)


# --- Sources --------------------------------------------------------------------------------


class SourceAppearanceInline(admin.TabularInline):
    model = Appearance
    extra = 0
    fields = _SOURCE_APPEARANCE_FIELDS
    readonly_fields = _SOURCE_APPEARANCE_FIELDS
    can_delete = False
    show_change_link = False

    @admin.display(description="claim")
    def claim_link(self, obj: Appearance) -> str:
        return format_html(
            '<a href="../../../claim/{}/change/">{} ({})</a>',
            obj.claim_id,
            obj.claim.get_status_display(),
            obj.claim_id,
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appearance]:
        return super().get_queryset(request).select_related("claim")


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "publisher", "kind", "status", "published_at", "created_at"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["title", "url"]
    list_select_related = ["publisher"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "status",
        "error",
        "attempts",
        "content_hash",
        "extractor_version",
        "submitted_by",
        "created_at",
        "status_changed_at",
        "text_display",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["title", "url", "publisher", "kind", "language", "author", "published_at"]},
        ),
        (
            "Pipeline",
            {
                "fields": [
                    "status",
                    "error",
                    "attempts",
                    "extractor_version",
                    "status_changed_at",
                    "submitted_by",
                    "created_at",
                    "content_hash",
                ]
            },
        ),
        ("Text", {"fields": ["text_display", "text"]}),
    ]
    inlines = [SourceAppearanceInline]
    autocomplete_fields = ["publisher"]
    actions = ["retry_failed"]

    @admin.action(description="Retry failed sources")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        from claims.pipeline import source_retry

        _apply(
            request,
            lambda src: source_retry(source=src, by=request.user),
            queryset,
            "sources back in the pipeline",
        )

    @admin.display(description="article text")
    def text_display(self, obj: Source) -> str:
        return format_html(
            '<div style="white-space: pre-wrap; max-width: 60em; line-height: 1.5">{}</div>',
            obj.text,
        )


# --- Claims ---------------------------------------------------------------------------------


class AppearanceInline(admin.TabularInline):
    model = Appearance
    extra = 0
    fields = _CLAIM_APPEARANCE_FIELDS
    readonly_fields = _CLAIM_APPEARANCE_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appearance]:
        return super().get_queryset(request).select_related("source")


class ReviewInline(admin.StackedInline):
    model = Review
    extra = 0
    fields = _REVIEW_INLINE_FIELDS
    readonly_fields = _REVIEW_INLINE_FIELDS
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClaimLinkInline(admin.TabularInline):
    model = ClaimLink
    fk_name = "from_claim"
    extra = 0
    fields = ["to_claim", "kind", "status", "score", "created_by_job"]
    readonly_fields = ["to_claim", "score", "created_by_job"]
    verbose_name_plural = "links to other claims"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClaimAdminForm(forms.ModelForm):
    """Carries the version the editor saw, so a stale form never overwrites a newer claim."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = ["text", "kind", "language", "topics", "priority"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen = cleaned.get("seen_version")
        if self.instance.pk and seen is not None:
            current = Claim.objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            if current and current[0] != seen:
                raise forms.ValidationError(
                    "Someone else changed this claim since you opened it. Nothing was saved: "
                    "reload the page to see their change, then edit again."
                )
        return cleaned


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    form = ClaimAdminForm
    list_display = [
        "short_text",
        "status",
        "priority",
        "checkworthiness",
        "assignee",
        "verdict",
        "first_seen_at",
    ]
    list_filter = ["status", "kind", "language", "topics", "origin"]
    search_fields = ["text", "appearances__attributions__source_text"]
    date_hierarchy = "first_seen_at"
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over a big table on every page
    readonly_fields = [
        "status",
        "status_reason",
        "checkworthiness",
        "checkworthiness_reasons",
        "first_seen_at",
        "duplicate_of",
        "origin",
        "version",
        "created_at",
        "updated_at",
        "flags",
        "pipeline_error",
        "pipeline_attempts",
    ]
    fields = [
        "seen_version",
        "text",
        "kind",
        "language",
        "topics",
        "priority",
        "status",
        "status_reason",
        "checkworthiness",
        "checkworthiness_reasons",
        "first_seen_at",
        "duplicate_of",
        "origin",
        "flags",
        "pipeline_error",
        "pipeline_attempts",
        "version",
    ]
    filter_horizontal = ["topics"]
    # Attributions and figures hang off appearances; the change form template shows them
    # with the sentence highlighted (see change_view).
    inlines = [AppearanceInline, ReviewInline, ClaimLinkInline]
    actions = ["triage_and_queue", "dismiss_as_not_checkable", "retry_triage"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        assignee = ReviewTask.objects.filter(
            claim=OuterRef("pk"), state=ReviewTask.State.ASSIGNED
        ).values("assignee__username")[:1]
        verdict = Review.objects.filter(
            claim=OuterRef("pk"), status=Review.Status.PUBLISHED
        ).values("rating__label")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(assignee_name=Subquery(assignee), verdict_label=Subquery(verdict))
        )

    def save_model(self, request: HttpRequest, obj: Claim, form: Any, change: bool) -> None:
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        def view(func: Any) -> Any:
            return self.admin_site.admin_view(
                lambda request, *args, **kwargs: func(self, request, *args, **kwargs)
            )

        return [
            path("queue/", view(workbench.queue_view), name="claims_claim_queue"),
            path("queue/take-next/", view(workbench.take_next_view), name="claims_claim_take_next"),
            path(
                "queue/<int:task_id>/release/",
                view(workbench.release_view),
                name="claims_claim_release",
            ),
            path("dashboard/", view(workbench.dashboard_view), name="claims_claim_dashboard"),
            path(
                "<int:object_id>/act/", view(workbench.claim_action_view), name="claims_claim_act"
            ),
            *super().get_urls(),
        ]

    @admin.display(description="claim", ordering="text")
    def short_text(self, obj: Claim) -> str:
        return obj.text if len(obj.text) <= 120 else obj.text[:117] + "…"

    @admin.display(description="assignee")
    def assignee(self, obj: Claim) -> str:
        return getattr(obj, "assignee_name", None) or "—"

    @admin.display(description="verdict")
    def verdict(self, obj: Claim) -> str:
        return getattr(obj, "verdict_label", None) or "—"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        extra_context = extra_context or {}
        claim = self.get_object(request, object_id)
        if claim is not None:
            extra_context["appearances"] = appearance_views(claim)
            extra_context.update(workbench.claim_panels(request, claim))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Triage and queue for review", permissions=["change"])
    def triage_and_queue(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        def run(claim: Claim) -> None:
            if claim.status == Claim.Status.NEW:
                services.claim_triage(claim=claim, by=request.user)
            services.claim_queue(claim=claim, by=request.user)

        _apply(request, run, queryset, "claims queued")

    @admin.action(description="Retry the pipeline's triage", permissions=["view"])
    def retry_triage(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        from claims.triage import claims_retry_triage

        _apply(
            request,
            lambda c: claims_retry_triage(claims=[c], by=request.user),
            queryset,
            "claims sent back to triage",
        )

    @admin.action(description="Dismiss as not checkable", permissions=["change"])
    def dismiss_as_not_checkable(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        _apply(
            request,
            lambda c: services.claim_dismiss(
                claim=c, by=request.user, reason="Not checkable (dismissed in bulk)"
            ),
            queryset,
            "claims dismissed",
        )


@admin.register(Attribution)
class AttributionAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "kind", "actor", "channel", "appearance"]
    list_filter = ["kind"]
    search_fields = ["source_text", "cue"]
    autocomplete_fields = ["actor"]
    raw_id_fields = ["appearance", "parent"]
    list_select_related = ["actor"]


@admin.register(Figure)
class FigureAdmin(SimpleHistoryAdmin):
    list_display = ["text", "metric", "value", "qualifier", "unit", "appearance"]
    list_filter = ["metric", "qualifier"]
    search_fields = ["text", "metric", "subject"]
    raw_id_fields = ["appearance"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "stance", "claim", "added_by", "created_at"]
    list_filter = ["stance"]
    raw_id_fields = ["claim"]

    def save_model(self, request: HttpRequest, obj: Evidence, form: Any, change: bool) -> None:
        if not change and request.user.is_authenticated:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["label", "slug", "value", "best", "worst", "order"]
    ordering = ["order"]


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = ["claim", "reviewer", "rating", "status", "approver", "published_at"]
    list_filter = ["status", "rating"]
    raw_id_fields = ["claim"]
    readonly_fields = [
        "status",
        "approver",
        "approved_at",
        "published_at",
        "submitted_at",
        "claimreview",
        "version",
    ]
    list_select_related = ["claim", "reviewer", "rating", "approver"]
    actions = ["approve", "submit"]

    @admin.action(description="Approve and publish", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        _apply(
            request,
            lambda r: services.review_approve(review=r, by=request.user),
            queryset,
            "reviews published",
        )

    @admin.action(description="Submit for approval", permissions=["change"])
    def submit(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        _apply(
            request,
            lambda r: services.review_submit(review=r, by=request.user),
            queryset,
            "reviews submitted",
        )


@admin.register(ReviewTask)
class ReviewTaskAdmin(SimpleHistoryAdmin):
    list_display = ["claim", "kind", "state", "assignee", "priority", "due_at", "lease_expires_at"]
    list_filter = ["state", "kind"]
    raw_id_fields = ["claim", "review"]
    list_select_related = ["claim", "assignee"]
    actions = ["take", "release"]

    @admin.action(description="Take (assign to me)")
    def take(self, request: HttpRequest, queryset: QuerySet[ReviewTask]) -> None:
        _apply(
            request,
            lambda t: services.task_assign(task=t, assignee=request.user),
            queryset,
            "tasks taken",
        )

    @admin.action(description="Release back to the queue")
    def release(self, request: HttpRequest, queryset: QuerySet[ReviewTask]) -> None:
        _apply(
            request,
            lambda t: services.task_release(task=t, by=request.user),
            queryset,
            "tasks released",
        )


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "languages", "capacity"]
    filter_horizontal = ["topics"]


@admin.register(ClaimLink)
class ClaimLinkAdmin(admin.ModelAdmin):
    list_display = ["from_claim", "kind", "to_claim", "status", "score", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["from_claim", "to_claim"]
