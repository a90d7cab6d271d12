"""The REST API under /api/v1/ (DESIGN.md, "The API").

Views parse input, call one service or selector, and serialize the answer. Which rows a
caller may see is decided by the `*_visible_to` selectors; which actions it may take by
the `roles` of each view (api.permissions.HasRole) and, for workflow actions, again by
the services themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers as s
from api.exceptions import PreconditionRequired
from api.filters import (
    ActorFilter,
    AppearanceFilter,
    AttributionFilter,
    ClaimFilter,
    EvidenceFilter,
    FigureFilter,
    QueryFilterBackend,
    ReviewFilter,
    SourceFilter,
    TaskFilter,
)
from api.idempotency import idempotent
from api.models import WebhookEndpoint
from api.permissions import ANY_ROLE, DESK, EDITORS_ONLY
from claims import selectors, services
from claims.claimreview import render_claimreview
from claims.errors import StaleVersion
from claims.models import (
    Actor,
    Appearance,
    Attribution,
    Claim,
    Publisher,
    Rating,
    Review,
    ReviewTask,
    Source,
    Topic,
)
from claims.sources import source_submit

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag from your last read (e.g. "3"). 412 if stale, 428 if missing.',
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional ETag: the action is refused with 412 if the object changed since.",
)


class RoleMixin:
    """`roles` maps an action to the roles allowed to call it; `default_roles` is the rest."""

    default_roles: frozenset[str] = ANY_ROLE
    roles: dict[str, frozenset[str]] = {}

    def roles_for(self, request: Request) -> frozenset[str]:
        return self.roles.get(getattr(self, "action", None) or "", self.default_roles)


STALE = OpenApiResponse(description="Stale or unreadable If-Match")


def _etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request, *, required: bool) -> int | None:
    """The version named by If-Match; None when absent (and allowed) or `*`."""
    raw = request.META.get("HTTP_IF_MATCH")
    if raw is None or not raw.strip():
        if required:
            raise PreconditionRequired()
        return None
    value = raw.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    try:
        return int(value)
    except ValueError:
        raise StaleVersion(
            "If-Match does not name a version of this object; reload it.",
            details={"If-Match": [raw[:100]]},
        ) from None


def _check_version(current: int, expected: int | None) -> None:
    if expected is not None and current != expected:
        raise StaleVersion(
            f"The object was changed by someone else (version {current}, you had {expected}). "
            "Reload it and try again.",
            details={"current_version": current},
        )


def _with_etag(response: Response, version: int) -> Response:
    response["ETag"] = _etag(version)
    return response


# --- Sources --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List sources", responses=s.DeskSourceSerializer(many=True)),
    retrieve=extend_schema(
        summary="A source with its processing status, error and extracted claims",
        responses=s.DeskSourceDetailSerializer,
    ),
)
class SourceViewSet(
    RoleMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    filterset_class = SourceFilter
    ordering_fields = ["created_at", "published_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Source]:
        return selectors.sources_visible_to(self.request.user).select_related(
            "publisher", "submitted_by"
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        desk = selectors.is_desk(self.request.user) or getattr(self, "swagger_fake_view", False)
        if self.action == "retrieve":
            return s.DeskSourceDetailSerializer if desk else s.SourceDetailSerializer
        return s.DeskSourceSerializer if desk else s.SourceSerializer

    def _detail(self, source: Source, *, just_submitted: bool = False) -> dict[str, Any]:
        claims: Any = []
        # Claims come from extraction: a source submitted by this very request and still
        # pending (the usual answer to a submission, which should only store and enqueue)
        # has none to look for.
        if not (just_submitted and source.status == Source.Status.PENDING):
            claims = (
                selectors.claims_visible_to(self.request.user)
                .filter(Exists(Appearance.objects.filter(claim=OuterRef("pk"), source=source)))
                .order_by("pk")
            )
        serializer_class = (
            s.DeskSourceDetailSerializer
            if selectors.is_desk(self.request.user)
            else s.SourceDetailSerializer
        )
        return serializer_class(source, context={"claims": list(claims)}).data

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._detail(self.get_object()))

    @extend_schema(
        summary="Submit an article (text, HTML or URL) for processing",
        description=(
            "Answers 202 with the source and its processing status; poll the source to follow "
            "it. Send an `Idempotency-Key` header to retry safely: the same key and body get "
            "the same answer, the same key with another body gets 422. The same article "
            "submitted twice gets 409 with `details.existing_id`."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False
            )
        ],
        request=s.SourceSubmitSerializer,
        responses={
            202: s.DeskSourceDetailSerializer,
            409: OpenApiResponse(description="Already submitted (details.existing_id)"),
            422: OpenApiResponse(description="Idempotency-Key reused with another body"),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return idempotent(request, lambda: self._submit(request))

    @extend_schema(
        summary="Retry a failed source",
        description="Puts a source whose processing failed back in the pipeline (202). Only "
        "failed sources can be retried (409 otherwise); clients retry their own sources.",
        request=None,
        responses={
            202: s.DeskSourceDetailSerializer,
            409: OpenApiResponse(description="The source has not failed"),
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        from claims.pipeline import source_retry

        source = source_retry(source=self.get_object(), by=request.user)
        return Response(self._detail(source), status=status.HTTP_202_ACCEPTED)

    def _submit(self, request: Request) -> Response:
        serializer = s.SourceSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = source_submit(**serializer.validated_data, by=request.user)
        # As stored (processing may already have run, in process without a broker), with
        # what the answer shows of it in the same query.
        source = Source.objects.select_related("publisher", "submitted_by").get(pk=source.pk)
        return Response(
            self._detail(source, just_submitted=True),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/sources/{source.pk}/"},
        )


# --- Claims ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List and search claims",
        description="Clients see published claims and the claims from their own sources; "
        "reviewers and editors see all. Newest first (`first_seen_at`), unless `ordering` "
        "says otherwise.\n\n"
        "`q` is full-text search over the claim's text, in web-search syntax: words must all "
        'appear (English stems, so `killed` finds "kill"; accents ignored), `"a phrase"` in '
        "quotes, `or` between alternatives, `-word` to exclude. Matches come in the list's "
        "order, newest first by default, and page like the rest of the list; a page costs "
        "about the same for a word in every other claim as for one that occurs twice in a "
        "million.",
        responses=s.DeskClaimListSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="Everything about one claim, in one call",
        description="Answers with an `ETag` header: send it back as `If-Match` to update. "
        "Fields only reviewers and editors see: priority, origin, status_reason, "
        "checkworthiness_reasons, created_by, reviews, open_tasks.",
        responses=s.DeskClaimDetailSerializer,
    ),
)
class ClaimViewSet(
    RoleMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    filterset_class = ClaimFilter
    filter_backends = [QueryFilterBackend, OrderingFilter]
    ordering_fields = ["first_seen_at", "checkworthiness", "priority", "created_at"]
    ordering = ["-first_seen_at", "-id"]
    roles = {"partial_update": EDITORS_ONLY, "dismiss": EDITORS_ONLY}
    SIMILAR_CANDIDATES = 30
    SIMILAR_LIMIT = 10
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        queryset = selectors.claims_visible_to(self.request.user)
        # The list and the detail read plain rows (see s.claim_list_data).
        if self.action == "list":
            # The status filter (ClaimFilter) keeps these statuses; knowing them lets a
            # client's visibility be read from an index. An invalid one is a 400 there.
            statuses = self.request.query_params.getlist("status")
            if statuses and set(statuses) <= set(Claim.Status.values):
                queryset = selectors.claims_visible_to(self.request.user, statuses=statuses)
            return selectors.claims_for_list(queryset)
        if self.action == "retrieve":
            return selectors.claims_for_detail(queryset)
        return queryset

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        desk = selectors.is_desk(self.request.user) or getattr(self, "swagger_fake_view", False)
        if self.action == "list":
            return s.DeskClaimListSerializer if desk else s.ClaimListSerializer
        if self.action == "create":
            return s.ClaimCreateSerializer
        if self.action == "partial_update":
            return s.ClaimUpdateSerializer
        if self.action == "dismiss":
            return s.ClaimDismissSerializer
        return s.DeskClaimDetailSerializer if desk else s.ClaimDetailSerializer

    def _detail(self, row: dict[str, Any], status_code: int = 200) -> Response:
        user = self.request.user
        data = s.claim_detail_data(
            row, selectors.claim_detail_parts(row, user), desk=selectors.is_desk(user)
        )
        return _with_etag(Response(data, status=status_code), row["version"])

    def _detail_response(self, pk: int, status_code: int = 200) -> Response:
        user = self.request.user
        queryset = selectors.claims_for_detail(selectors.claims_visible_to(user))
        return self._detail(get_object_or_404(queryset, pk=pk), status_code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(queryset) if page is None else page
        data = s.claim_list_data(rows, desk=selectors.is_desk(request.user))
        return Response(data) if page is None else self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(
        summary="Enter a claim by hand",
        description=(
            "Send an `Idempotency-Key` header to retry safely (after a timeout or a 503): "
            "the same key and body get the same answer and no second claim."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False
            )
        ],
        request=s.ClaimCreateSerializer,
        responses={
            201: s.DeskClaimDetailSerializer,
            422: OpenApiResponse(description="Idempotency-Key reused with another body"),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        serializer = s.ClaimCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = services.claim_create(
            text=data["text"],
            kind=data["kind"],
            language=data["language"],
            topics=data.get("topics", []),
            by=request.user,
        )
        return self._detail_response(claim.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct a claim's kind, language, priority or topics (editors)",
        parameters=[IF_MATCH],
        request=s.ClaimUpdateSerializer,
        responses={
            200: s.DeskClaimDetailSerializer,
            412: OpenApiResponse(description="Stale If-Match"),
            428: OpenApiResponse(description="If-Match missing"),
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        version = expected_version(request, required=True)
        serializer = s.ClaimUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.claim_update(
            claim=claim, by=request.user, expected_version=version, **serializer.validated_data
        )
        return self._detail_response(claim.pk)

    @extend_schema(
        summary="Dismiss a claim (editors): opinion, not checkable, out of scope",
        parameters=[IF_MATCH_OPTIONAL],
        request=s.ClaimDismissSerializer,
        responses={
            200: s.DeskClaimDetailSerializer,
            409: OpenApiResponse(description="Illegal transition"),
            412: OpenApiResponse(description="Stale If-Match"),
        },
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        serializer = s.ClaimDismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.claim_dismiss(
            claim=claim,
            reason=serializer.validated_data["reason"],
            by=request.user,
            expected_version=expected_version(request, required=False),
        )
        return self._detail_response(claim.pk)

    @extend_schema(
        summary="Claims most like this one, best first (full text, trigrams, re-ranking)",
        description="Only claims the caller may see are listed. `relation` is what matching "
        "makes of the pair: duplicate, variant (changed figure or wording), contradicts, "
        "similar.",
        responses=s.SimilarClaimSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def similar(self, request: Request, pk: str | None = None) -> Response:
        from claims.matching import similar_claims

        claim = self.get_object()
        matches = similar_claims(claim=claim, limit=self.SIMILAR_CANDIDATES)
        return Response(self._visible_matches(request, matches, self.SIMILAR_LIMIT))

    @extend_schema(
        # Both `similar` actions would be named api_v1_claims_similar_list (a check warning).
        operation_id="api_v1_claims_similar_to_text",
        summary="Claims most like a text, best first (before submitting it, or to look it up)",
        description="Only claims the caller may see are listed; `relation` as for "
        "/claims/{id}/similar/.",
        parameters=[s.SimilarQuerySerializer],
        responses=s.SimilarClaimSerializer(many=True),
        filters=False,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="similar",
        url_name="similar-text",
        pagination_class=None,
        filter_backends=[],
    )
    def similar_to_text(self, request: Request) -> Response:
        from claims.matching import similar_claims

        params = s.SimilarQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        limit = params.validated_data["limit"]
        matches = similar_claims(
            text=params.validated_data["text"], limit=max(limit * 3, self.SIMILAR_CANDIDATES)
        )
        return Response(self._visible_matches(request, matches, limit))

    def _visible_matches(self, request: Request, matches: Sequence[Any], limit: int) -> Any:
        """The matches the caller may see, best first, in one query."""
        visible = {
            c.pk: c
            for c in selectors.claims_visible_to(request.user)
            .filter(pk__in=[m.claim_id for m in matches])
            .only("id", "text", "kind", "status")
        }
        rows = [
            {"claim": visible[m.claim_id], "score": round(m.score, 4), "relation": m.relation}
            for m in matches
            if m.claim_id in visible
        ][:limit]
        return s.SimilarClaimSerializer(rows, many=True).data

    @extend_schema(
        summary="schema.org ClaimReview JSON-LD of a published claim",
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="Not published")},
    )
    @action(detail=True, methods=["get"])
    def claimreview(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        review = (
            Review.objects.filter(claim=claim, status=Review.Status.PUBLISHED)
            .select_related("claim", "rating")
            .first()
        )
        if review is None:
            from rest_framework.exceptions import NotFound

            raise NotFound("This claim has no published verdict.")
        return Response(review.claimreview or render_claimreview(review))


@extend_schema_view(
    list=extend_schema(summary="Feed of all published ClaimReviews, newest first"),
)
class ClaimReviewFeedViewSet(RoleMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ClaimReviewFeedItemSerializer
    ordering = ["-published_at", "-id"]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.published_reviews()


# --- What hangs off claims ------------------------------------------------------------------


class AppearanceViewSet(RoleMixin, viewsets.ReadOnlyModelViewSet[Any]):
    serializer_class = s.AppearanceListSerializer
    filterset_class = AppearanceFilter
    # Newest first by id, the primary key: rows are inserted in id order, and at a million
    # rows an order by created_at needs an index of its own on a table the pipeline writes.
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[Any]:
        return (
            selectors.appearances_visible_to(self.request.user)
            .select_related("source", "source__publisher")
            .prefetch_related(
                "figures",
                Prefetch("attributions", queryset=Attribution.objects.select_related("actor")),
            )
        )


class AttributionViewSet(RoleMixin, viewsets.ReadOnlyModelViewSet[Any]):
    serializer_class = s.AttributionListSerializer
    filterset_class = AttributionFilter
    # Newest first by id, the primary key: rows are inserted in id order, and at a million
    # rows an order by created_at needs an index of its own on a table the pipeline writes.
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.attributions_visible_to(self.request.user).select_related(
            "actor", "appearance"
        )

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # Resolve every chain from the appearances' attributions, fetched in one query.
        instance = args[0] if args else kwargs.get("instance")
        rows = (
            list(instance)
            if isinstance(instance, list | QuerySet)
            else [instance]
            if instance is not None
            else []
        )
        appearance_ids = {row.appearance_id for row in rows if isinstance(row, Attribution)}
        if appearance_ids:
            related = Attribution.objects.filter(appearance_id__in=appearance_ids).select_related(
                "actor"
            )
            by_appearance: dict[int, dict[int, Attribution]] = {}
            for attribution in related:
                by_appearance.setdefault(attribution.appearance_id, {})[attribution.pk] = (
                    attribution
                )
            for row in rows:
                row._siblings = by_appearance.get(row.appearance_id, {row.pk: row})
        return super().get_serializer(*args, **kwargs)


@extend_schema_view(retrieve=extend_schema(responses=s.ActorDetailSerializer))
class ActorViewSet(RoleMixin, viewsets.ReadOnlyModelViewSet[Actor]):
    filterset_class = ActorFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Actor]:
        return selectors.actors_visible_to(self.request.user).prefetch_related("aliases")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return s.ActorDetailSerializer if self.action == "retrieve" else s.ActorSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.get_object()
        claims = (
            selectors.claims_visible_to(request.user)
            .filter(
                Exists(Attribution.objects.filter(appearance__claim=OuterRef("pk"), actor=actor))
            )
            .order_by("-first_seen_at")[:500]
        )
        return Response(s.ActorDetailSerializer(actor, context={"claims": list(claims)}).data)


class PublisherViewSet(RoleMixin, viewsets.ReadOnlyModelViewSet[Publisher]):
    serializer_class = s.PublisherSerializer
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Publisher]:
        if getattr(self, "swagger_fake_view", False):
            return Publisher.objects.none()
        return selectors.publishers_visible_to(self.request.user)


class TopicViewSet(RoleMixin, viewsets.ReadOnlyModelViewSet[Topic]):
    queryset = Topic.objects.all()
    serializer_class = s.TopicSerializer
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]


class RatingViewSet(RoleMixin, viewsets.ReadOnlyModelViewSet[Rating]):
    queryset = Rating.objects.all()
    serializer_class = s.RatingSerializer
    lookup_field = "slug"
    filter_backends: list[Any] = []
    pagination_class = None  # a short, fixed scale


class FigureComparisonSerializer(serializers.Serializer[Any]):
    date = serializers.DateTimeField(allow_null=True, help_text="as_of, else the source's date")
    figure = s.FigureSerializer()
    claim = s.ClaimRefSerializer()
    source = s.SourceRefSerializer()  # type: ignore[assignment]
    attribution = s.AttributionSerializer(allow_null=True)


class FigureComparisonResponseSerializer(serializers.Serializer[Any]):
    topic = serializers.CharField()
    metric = serializers.CharField()
    truncated = serializers.BooleanField()
    figures = FigureComparisonSerializer(many=True)


class FigureViewSet(RoleMixin, viewsets.ReadOnlyModelViewSet[Any]):
    serializer_class = s.FigureListSerializer
    filterset_class = FigureFilter
    # Newest first by id, the primary key: rows are inserted in id order, and at a million
    # rows an order by created_at needs an index of its own on a table the pipeline writes.
    ordering_fields = ["id", "value"]
    ordering = ["-id"]
    COMPARISON_LIMIT = 1000

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.figures_visible_to(self.request.user).select_related(
            "appearance", "appearance__source", "appearance__source__publisher"
        )

    @extend_schema(
        summary="Every reported value of one metric about one topic, ordered in time",
        parameters=[
            OpenApiParameter("topic", OpenApiTypes.STR, required=True, description="Topic slug"),
            OpenApiParameter("metric", OpenApiTypes.STR, required=True, description="e.g. killed"),
        ],
        responses=FigureComparisonResponseSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def compare(self, request: Request) -> Response:
        params = _ComparisonParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        topic, metric = params.validated_data["topic"], params.validated_data["metric"]
        figures = list(
            selectors.figure_comparison(user=request.user, topic=topic, metric=metric)[
                : self.COMPARISON_LIMIT + 1
            ]
        )
        truncated = len(figures) > self.COMPARISON_LIMIT
        rows = []
        for figure in figures[: self.COMPARISON_LIMIT]:
            appearance = figure.appearance
            attributions = list(appearance.attributions.all())
            siblings = {a.pk: a for a in attributions}
            for attribution in attributions:
                attribution._siblings = siblings  # type: ignore[attr-defined]
            # The innermost attribution: who the figure comes from ("Russian authorities").
            innermost = next(
                (a for a in attributions if not any(c.parent_id == a.pk for c in attributions)),
                None,
            )
            date = figure.as_of or appearance.source.published_at or appearance.claim.first_seen_at
            rows.append(
                {
                    "date": date,
                    "figure": figure,
                    "claim": appearance.claim,
                    "source": appearance.source,
                    "attribution": innermost,
                }
            )
        rows.sort(key=lambda row: (row["date"], row["figure"].pk))  # type: ignore[attr-defined]
        data = FigureComparisonResponseSerializer(
            {"topic": topic, "metric": metric, "truncated": truncated, "figures": rows}
        ).data
        return Response(data)


class _ComparisonParams(serializers.Serializer[Any]):
    topic = serializers.SlugField(max_length=200)
    metric = serializers.CharField(max_length=100)


class EvidenceViewSet(RoleMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Any]):
    filterset_class = EvidenceFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    roles = {"create": DESK}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.evidence_visible_to(self.request.user).select_related("added_by")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "create":
            return s.EvidenceInputSerializer
        desk = selectors.is_desk(self.request.user) or getattr(self, "swagger_fake_view", False)
        return s.DeskEvidenceSerializer if desk else s.EvidenceSerializer

    @extend_schema(
        summary="Cite evidence on a claim (reviewers and editors)",
        request=s.EvidenceInputSerializer,
        responses={201: s.DeskEvidenceSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.EvidenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        claim = get_object_or_404(selectors.claims_visible_to(request.user), pk=data.pop("claim"))
        evidence = services.evidence_add(claim=claim, by=request.user, **data)
        return Response(s.DeskEvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


# --- Reviews and the queue ------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Reviews (clients: published verdicts only)",
        responses=s.DeskReviewSerializer(many=True),
    ),
    retrieve=extend_schema(responses=s.DeskReviewSerializer),
)
class ReviewViewSet(
    RoleMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    filterset_class = ReviewFilter
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["-created_at", "-id"]
    roles = {
        "create": DESK,
        "partial_update": DESK,
        "submit": DESK,
        "approve": EDITORS_ONLY,
        "reject": EDITORS_ONLY,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.reviews_visible_to(self.request.user).select_related(
            "rating", "reviewer", "approver"
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "create":
            return s.ReviewCreateSerializer
        if self.action == "partial_update":
            return s.ReviewUpdateSerializer
        if self.action == "reject":
            return s.ReviewRejectSerializer
        desk = selectors.is_desk(self.request.user) or getattr(self, "swagger_fake_view", False)
        return s.DeskReviewSerializer if desk else s.ClientReviewSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        review = self.get_object()
        return _with_etag(Response(self.get_serializer(review).data), review.version)

    def _answer(self, review: Review, status_code: int = 200) -> Response:
        review = Review.objects.select_related("rating", "reviewer", "approver").get(pk=review.pk)
        return _with_etag(
            Response(s.DeskReviewSerializer(review).data, status=status_code), review.version
        )

    @extend_schema(
        summary="Start (or continue) your draft verdict on a claim you are reviewing",
        request=s.ReviewCreateSerializer,
        responses={201: s.DeskReviewSerializer, 409: OpenApiResponse(description="Not in review")},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = get_object_or_404(Claim, pk=data["claim"])
        review = services.review_draft(
            claim=claim,
            reviewer=request.user,
            rating=data.get("rating"),
            explanation=data.get("explanation", ""),
        )
        return self._answer(review, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit your draft (If-Match required)",
        parameters=[IF_MATCH],
        request=s.ReviewUpdateSerializer,
        responses={
            200: s.DeskReviewSerializer,
            412: OpenApiResponse(description="Stale If-Match"),
            428: OpenApiResponse(description="If-Match missing"),
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        review = self.get_object()
        version = expected_version(request, required=True)
        serializer = s.ReviewUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_update(
            review=review, by=request.user, expected_version=version, **serializer.validated_data
        )
        return self._answer(review)

    def _act(self, request: Request, run: Any) -> Response:
        review = self.get_object()
        version = expected_version(request, required=False)
        with transaction.atomic():
            locked = Review.objects.select_for_update().get(pk=review.pk)
            _check_version(locked.version, version)
            review = run(locked)
        return self._answer(review)

    @extend_schema(
        summary="Submit your verdict for approval",
        parameters=[IF_MATCH_OPTIONAL],
        request=None,
        responses={
            200: s.DeskReviewSerializer,
            409: OpenApiResponse(description="Not a draft"),
            412: STALE,
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, lambda r: services.review_submit(review=r, by=request.user))

    @extend_schema(
        summary="Approve and publish a submitted verdict (editors; never your own)",
        parameters=[IF_MATCH_OPTIONAL],
        request=None,
        responses={
            200: s.DeskReviewSerializer,
            409: OpenApiResponse(description="Not submitted"),
            412: STALE,
        },
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, lambda r: services.review_approve(review=r, by=request.user))

    @extend_schema(
        summary="Send a submitted verdict back to its reviewer (editors)",
        parameters=[IF_MATCH_OPTIONAL],
        request=s.ReviewRejectSerializer,
        responses={
            200: s.DeskReviewSerializer,
            409: OpenApiResponse(description="Not submitted"),
            412: STALE,
        },
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        serializer = s.ReviewRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = serializer.validated_data["comment"]
        return self._act(
            request, lambda r: services.review_reject(review=r, by=request.user, comment=comment)
        )


class QueueViewSet(
    RoleMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The review queue: reviewers and editors only."""

    serializer_class = s.TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["created_at", "priority"]
    ordering = ["-created_at", "-id"]
    default_roles = DESK

    def get_queryset(self) -> QuerySet[ReviewTask]:
        return ReviewTask.objects.select_related("claim", "assignee", "review")

    @extend_schema(
        summary="Take the most urgent queued task you may work on",
        request=s.TakeNextSerializer,
        responses={200: s.TaskSerializer, 404: OpenApiResponse(description="Queue empty")},
    )
    @action(detail=False, methods=["post"], url_path="take-next")
    def take_next(self, request: Request) -> Response:
        serializer = s.TakeNextSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.task_take_next(user=request.user, kind=serializer.validated_data["kind"])
        return Response(s.TaskSerializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(
        summary="Give an assigned task back to the queue",
        request=None,
        responses={200: s.TaskSerializer, 409: OpenApiResponse(description="Not assigned")},
    )
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        task = services.task_release(task=self.get_object(), by=request.user)
        return Response(s.TaskSerializer(self.get_queryset().get(pk=task.pk)).data)


# --- Webhooks -------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        summary="Register a webhook; the answer shows its signing secret, once",
        responses={201: s.WebhookCreatedSerializer},
    ),
)
class WebhookViewSet(RoleMixin, viewsets.ModelViewSet[WebhookEndpoint]):
    serializer_class = s.WebhookSerializer
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        owner: Any = self.request.user
        return WebhookEndpoint.objects.filter(owner=owner)

    @extend_schema(
        summary="Deliveries to this webhook, newest first, with every attempt",
        responses={200: s.WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        deliveries: Any = endpoint.deliveries.prefetch_related("log").order_by("-created_at", "-id")
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = serializer.save(owner=request.user, secret=WebhookEndpoint.new_secret())
        return Response(s.WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)
