"""Input and output serializers.

Output serializers come in two flavours where the audience differs: the client's (no
drafts, assignees, reviewers or internal notes) and the desk's (everything). Inputs are
separate serializers listing exactly what a caller may set; nothing else is writable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from claims.claimreview import claim_url
from claims.models import (
    Actor,
    Appearance,
    Attribution,
    Claim,
    ClaimLink,
    Evidence,
    Figure,
    Publisher,
    Rating,
    Review,
    ReviewTask,
    Source,
    Topic,
)
from claims.selectors import FIGURE_FIELDS, attribution_chain

# --- Small shared pieces --------------------------------------------------------------------


def check_url_parts(value: str) -> str:
    """Django's URLValidator lets a port over 65535 through; urllib then raises on it."""
    try:
        urlsplit(value).port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise serializers.ValidationError(f"This URL cannot be used: {exc}.") from exc
    return value


class PublisherSerializer(serializers.ModelSerializer[Publisher]):
    class Meta:
        model = Publisher
        fields = ["id", "name", "domain", "kind", "country", "state_affiliated", "reliability_note"]
        read_only_fields = fields


class PublisherRefSerializer(serializers.ModelSerializer[Publisher]):
    class Meta:
        model = Publisher
        fields = ["id", "name", "domain"]
        read_only_fields = fields


class TopicSerializer(serializers.ModelSerializer[Topic]):
    class Meta:
        model = Topic
        fields = ["id", "name", "slug", "description"]
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer[Rating]):
    class Meta:
        model = Rating
        fields = ["slug", "label", "description", "value", "best", "worst"]
        read_only_fields = fields


class ActorRefSerializer(serializers.ModelSerializer[Actor]):
    class Meta:
        model = Actor
        fields = ["id", "name", "kind", "country"]
        read_only_fields = fields


def optional_url(help_text: str) -> serializers.CharField:
    """A URL that may be empty, as an answer. Not a URLField: the schema would say "uri",
    which "" is not, and clients validating answers against it would reject them."""
    return serializers.CharField(read_only=True, help_text=help_text)


SOURCE_URL_HELP = "Where the article was fetched from; empty when its text was submitted"


class SourceRefSerializer(serializers.ModelSerializer[Source]):
    publisher = PublisherRefSerializer(read_only=True, allow_null=True)
    url = optional_url(SOURCE_URL_HELP)

    class Meta:
        model = Source
        fields = ["id", "url", "title", "kind", "language", "published_at", "publisher"]
        read_only_fields = fields


class ClaimRefSerializer(serializers.ModelSerializer[Claim]):
    class Meta:
        model = Claim
        fields = ["id", "text", "kind", "status"]
        read_only_fields = fields


class VerdictSerializer(serializers.Serializer[Review]):
    """The published verdict on a claim, as a client sees it."""

    review_id = serializers.IntegerField(source="pk", read_only=True)
    claim = serializers.IntegerField(
        source="claim_id",
        read_only=True,
        help_text="The claim the verdict was given on: another one when this claim is a "
        "duplicate and inherits it",
    )
    rating = RatingSerializer(read_only=True, allow_null=True)
    explanation = serializers.CharField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)


def _verdict(claim: Claim) -> dict[str, Any] | None:
    """The claim's published verdict, or for a duplicate the verdict of the claim it repeats
    (from the prefetches of claims.selectors; a query each when not prefetched)."""
    for source in (claim, claim.duplicate_of if claim.duplicate_of_id else None):
        if source is None:
            continue
        reviews = getattr(source, "published_reviews", None)
        if reviews is None:
            reviews = list(
                source.reviews.filter(status=Review.Status.PUBLISHED).select_related("rating")
            )
        if reviews:
            return VerdictSerializer(reviews[0]).data
    return None


# --- Attributions, figures, appearances -----------------------------------------------------


class ChainLinkSerializer(serializers.ModelSerializer[Attribution]):
    actor = ActorRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Attribution
        fields = ["id", "actor", "source_text", "cue", "kind", "channel"]
        read_only_fields = fields


def _siblings(attribution: Attribution) -> dict[int, Attribution]:
    context_map = getattr(attribution, "_siblings", None)
    if context_map is not None:
        return context_map
    return {attribution.pk: attribution}


class AttributionSerializer(serializers.ModelSerializer[Attribution]):
    actor = ActorRefSerializer(read_only=True, allow_null=True)
    chain = serializers.SerializerMethodField(
        help_text="This attribution and the ones it is reported through, outermost first "
        "(e.g. outlet → the Kremlin's statement → Russian authorities)."
    )

    class Meta:
        model = Attribution
        fields = [
            "id",
            "actor",
            "source_text",
            "cue",
            "kind",
            "channel",
            "parent",
            "source_start",
            "source_end",
            "cue_start",
            "cue_end",
            "content_start",
            "content_end",
            "chain",
        ]
        read_only_fields = fields

    @extend_schema_field(ChainLinkSerializer(many=True))
    def get_chain(self, obj: Attribution) -> list[dict[str, Any]]:
        return ChainLinkSerializer(attribution_chain(obj, _siblings(obj)), many=True).data  # type: ignore[return-value]


class AttributionListSerializer(AttributionSerializer):
    appearance = serializers.IntegerField(source="appearance_id", read_only=True)
    claim = serializers.IntegerField(source="appearance.claim_id", read_only=True)
    source = serializers.IntegerField(source="appearance.source_id", read_only=True)  # type: ignore[assignment]

    class Meta(AttributionSerializer.Meta):
        fields = ["appearance", "claim", "source", *AttributionSerializer.Meta.fields]
        read_only_fields = fields


class FigureSerializer(serializers.ModelSerializer[Figure]):
    class Meta:
        model = Figure
        fields = list(FIGURE_FIELDS)
        read_only_fields = fields


class FigureListSerializer(FigureSerializer):
    appearance = serializers.IntegerField(source="appearance_id", read_only=True)
    claim = serializers.IntegerField(source="appearance.claim_id", read_only=True)
    source = SourceRefSerializer(source="appearance.source", read_only=True)  # type: ignore[assignment]

    class Meta(FigureSerializer.Meta):
        fields = ["appearance", "claim", "source", *FigureSerializer.Meta.fields]
        read_only_fields = fields


class AppearanceSerializer(serializers.ModelSerializer[Appearance]):
    source = SourceRefSerializer(read_only=True)  # type: ignore[assignment]
    attributions = serializers.SerializerMethodField()
    figures = FigureSerializer(many=True, read_only=True)

    class Meta:
        model = Appearance
        fields = ["id", "source", "sentence", "start", "end", "attributions", "figures"]
        read_only_fields = fields

    @extend_schema_field(AttributionSerializer(many=True))
    def get_attributions(self, obj: Appearance) -> list[dict[str, Any]]:
        attributions = list(obj.attributions.all())
        siblings = {a.pk: a for a in attributions}
        for attribution in attributions:
            attribution._siblings = siblings  # type: ignore[attr-defined]
        return AttributionSerializer(attributions, many=True).data  # type: ignore[return-value]


class AppearanceListSerializer(AppearanceSerializer):
    claim = serializers.IntegerField(source="claim_id", read_only=True)

    class Meta(AppearanceSerializer.Meta):
        fields = ["claim", *AppearanceSerializer.Meta.fields]
        read_only_fields = fields


# --- Claims ---------------------------------------------------------------------------------


class ClaimLinkSerializer(serializers.Serializer[ClaimLink]):
    claim = ClaimRefSerializer(read_only=True, help_text="The claim at the other end")
    kind = serializers.ChoiceField(choices=ClaimLink.Kind.choices, read_only=True)
    direction = serializers.ChoiceField(
        choices=[("out", "out"), ("in", "in")],
        read_only=True,
        help_text="'out': this claim → the other (e.g. this duplicates it); 'in': the reverse.",
    )
    status = serializers.ChoiceField(choices=ClaimLink.Status.choices, read_only=True)
    score = serializers.FloatField(read_only=True, allow_null=True)


class SimilarClaimSerializer(serializers.Serializer[Any]):
    claim = ClaimRefSerializer(read_only=True)
    score = serializers.FloatField(read_only=True, help_text="0..1")
    relation = serializers.ChoiceField(choices=ClaimLink.Kind.choices, read_only=True)


class SimilarQuerySerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=5000, help_text="The claim to look for")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
    url = optional_url("Where the evidence is online; empty when it is not (a call, a document)")

    class Meta:
        model = Evidence
        fields = ["id", "claim", "url", "title", "stance", "excerpt", "created_at"]
        read_only_fields = fields


class DeskEvidenceSerializer(EvidenceSerializer):
    added_by = serializers.CharField(source="added_by.username", read_only=True, allow_null=True)

    class Meta(EvidenceSerializer.Meta):
        fields = [*EvidenceSerializer.Meta.fields, "added_by"]
        read_only_fields = fields


class EvidenceInputSerializer(serializers.Serializer[Evidence]):
    claim = serializers.IntegerField(min_value=1)
    url = serializers.URLField(max_length=2048, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    stance = serializers.ChoiceField(
        choices=Evidence.Stance.choices, default=Evidence.Stance.CONTEXT
    )
    excerpt = serializers.CharField(max_length=20_000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["url"].strip() and not attrs["excerpt"].strip():
            raise serializers.ValidationError({"url": ["Give a URL or an excerpt."]})
        return attrs


class ClaimListSerializer(serializers.ModelSerializer[Claim]):
    topics: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    verdict = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The public page of the claim")

    class Meta:
        model = Claim
        fields = [
            "id",
            "text",
            "kind",
            "language",
            "status",
            "checkworthiness",
            "first_seen_at",
            "topics",
            "verdict",
            "url",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(VerdictSerializer(allow_null=True))
    def get_verdict(self, obj: Claim) -> dict[str, Any] | None:
        return _verdict(obj)

    def get_url(self, obj: Claim) -> str:
        return claim_url(obj.pk)


FLAGS_HELP = (
    "Reasons to check found by comparing with other reports, e.g. "
    '{"kind": "figure_conflict", "message": ..., "claims": [ids]}'
)


class DeskClaimListSerializer(ClaimListSerializer):
    flags = serializers.JSONField(read_only=True, help_text=FLAGS_HELP)

    class Meta(ClaimListSerializer.Meta):
        fields = [
            *ClaimListSerializer.Meta.fields,
            "priority",
            "origin",
            "flags",
            "pipeline_error",
            "pipeline_attempts",
        ]
        read_only_fields = fields


class ClaimDetailSerializer(ClaimListSerializer):
    appearances = AppearanceSerializer(many=True, read_only=True)
    topics: Any = TopicSerializer(many=True, read_only=True)
    links = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, read_only=True)
    duplicate_of: Any = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta(ClaimListSerializer.Meta):
        fields = [
            *ClaimListSerializer.Meta.fields,
            "duplicate_of",
            "appearances",
            "links",
            "evidence",
        ]
        read_only_fields = fields

    @extend_schema_field(ClaimLinkSerializer(many=True))
    def get_links(self, obj: Claim) -> list[dict[str, Any]]:
        rows = [
            {
                "claim": link.to_claim,
                "kind": link.kind,
                "direction": "out",
                "status": link.status,
                "score": link.score,
            }
            for link in obj.links_out.all()
        ] + [
            {
                "claim": link.from_claim,
                "kind": link.kind,
                "direction": "in",
                "status": link.status,
                "score": link.score,
            }
            for link in obj.links_in.all()
        ]
        return ClaimLinkSerializer(rows, many=True).data  # type: ignore[arg-type,return-value]


class TaskRefSerializer(serializers.ModelSerializer[ReviewTask]):
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True)

    class Meta:
        model = ReviewTask
        fields = ["id", "kind", "state", "priority", "assignee", "lease_expires_at", "due_at"]
        read_only_fields = fields


class DeskReviewSerializer(serializers.ModelSerializer[Review]):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    approver = serializers.CharField(source="approver.username", read_only=True, allow_null=True)
    rating = RatingSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "claim",
            "status",
            "rating",
            "explanation",
            "reviewer",
            "approver",
            "rejection_comment",
            "submitted_at",
            "approved_at",
            "published_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ClientReviewSerializer(serializers.ModelSerializer[Review]):
    rating = RatingSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Review
        fields = ["id", "claim", "status", "rating", "explanation", "published_at"]
        read_only_fields = fields


class DeskClaimDetailSerializer(ClaimDetailSerializer):
    flags = serializers.JSONField(read_only=True, help_text=FLAGS_HELP)
    evidence = DeskEvidenceSerializer(many=True, read_only=True)
    reviews = DeskReviewSerializer(source="all_reviews", many=True, read_only=True)
    open_tasks = TaskRefSerializer(many=True, read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )

    class Meta(ClaimDetailSerializer.Meta):
        fields = [
            *ClaimDetailSerializer.Meta.fields,
            "priority",
            "origin",
            "status_reason",
            "checkworthiness_reasons",
            "created_by",
            "reviews",
            "open_tasks",
            "flags",
            "pipeline_error",
            "pipeline_attempts",
        ]
        read_only_fields = fields


class ClaimCreateSerializer(serializers.Serializer[Claim]):
    text = serializers.CharField(max_length=5000, trim_whitespace=True)
    kind = serializers.ChoiceField(choices=Claim.Kind.choices, default=Claim.Kind.OTHER)
    language = serializers.RegexField(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=10, default="en"
    )
    topics = serializers.SlugRelatedField(
        slug_field="slug", queryset=Topic.objects.all(), many=True, required=False
    )


class ClaimUpdateSerializer(serializers.Serializer[Claim]):
    """What an editor may change on a claim (its status changes through actions)."""

    kind = serializers.ChoiceField(choices=Claim.Kind.choices, required=False)
    language = serializers.RegexField(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=10, required=False
    )
    priority = serializers.FloatField(required=False, min_value=-1e6, max_value=1e6)
    topics = serializers.SlugRelatedField(
        slug_field="slug", queryset=Topic.objects.all(), many=True, required=False
    )


class ClaimDismissSerializer(serializers.Serializer[Claim]):
    reason = serializers.CharField(max_length=2000)


# --- The claims list and detail as plain dicts ----------------------------------------------
#
# The hot read paths (BENCHMARKS.md): the claim serializers above stay the documented shape
# (the OpenAPI schema is generated from them), and these functions build the very same JSON
# from the rows of claims.selectors.claims_for_list / claim_detail_parts, without model
# instances or DRF's per-field machinery. tests/api/test_claim_payloads.py checks, field
# by field, that both give the same answer.

_DATETIME = serializers.DateTimeField()


def _dt(value: Any) -> str | None:
    """A datetime as DRF writes it (ISO 8601 in the current time zone, UTC as Z); also
    from the JSON text PostgreSQL writes of one (claims.selectors.claim_detail_parts)."""
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _DATETIME.to_representation(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _rating(row: dict[str, Any]) -> dict[str, Any] | None:
    if row["rating_id"] is None:
        return None
    return {
        "slug": row["rating__slug"],
        "label": row["rating__label"],
        "description": row["rating__description"],
        "value": row["rating__value"],
        "best": row["rating__best"],
        "worst": row["rating__worst"],
    }


def _verdict_data(review: dict[str, Any] | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "review_id": review["id"],
        "claim": review["claim_id"],
        "rating": _rating(review),
        "explanation": review["explanation"],
        "published_at": _dt(review["published_at"]),
    }


def _claim_head(row: dict[str, Any], topics: Any, verdict: dict[str, Any] | None) -> dict[str, Any]:
    """The fields of ClaimListSerializer, in its order."""
    return {
        "id": row["id"],
        "text": row["text"],
        "kind": row["kind"],
        "language": row["language"],
        "status": row["status"],
        "checkworthiness": float(row["checkworthiness"]),
        "first_seen_at": _dt(row["first_seen_at"]),
        "topics": topics,
        "verdict": _verdict_data(verdict),
        "url": claim_url(row["id"]),
        "version": row["version"],
    }


def _desk_pipeline(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "flags": row["flags"],
        "pipeline_error": row["pipeline_error"],
        "pipeline_attempts": row["pipeline_attempts"],
    }


def claim_list_data(rows: list[dict[str, Any]], *, desk: bool) -> list[dict[str, Any]]:
    """ClaimListSerializer (DeskClaimListSerializer for the desk) of a page of
    `claims_for_list` rows (plus the verdicts' reviews, in one query when there are any)."""
    from claims.selectors import claim_list_extras

    slugs, verdicts = claim_list_extras(rows)
    out = []
    for row in rows:
        topics = slugs.get(row["id"], []) if slugs is not None else row["topic_slugs"]
        verdict = verdicts.get(row["verdict_id"]) if row["verdict_id"] is not None else None
        data = _claim_head(row, topics, verdict)
        if desk:
            data["priority"] = float(row["priority"])
            data["origin"] = row["origin"]
            data.update(_desk_pipeline(row))
        out.append(data)
    return out


def _ref(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {
        "id": row[f"{prefix}id"],
        "text": row[f"{prefix}text"],
        "kind": row[f"{prefix}kind"],
        "status": row[f"{prefix}status"],
    }


def _actor(row: dict[str, Any]) -> dict[str, Any] | None:
    if row["actor_id"] is None:
        return None
    return {
        "id": row["actor_id"],
        "name": row["actor__name"],
        "kind": row["actor__kind"],
        "country": row["actor__country"],
    }


def _attributions_data(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """AttributionSerializer of one appearance's attributions, chains included."""
    by_id = {row["id"]: row for row in rows}
    out = []
    for row in rows:
        chain, seen = [], set()
        node: dict[str, Any] | None = row
        while node is not None and node["id"] not in seen:  # as selectors.attribution_chain
            seen.add(node["id"])
            chain.append(node)
            node = by_id.get(node["parent_id"]) if node["parent_id"] is not None else None
        out.append(
            {
                "id": row["id"],
                "actor": _actor(row),
                "source_text": row["source_text"],
                "cue": row["cue"],
                "kind": row["kind"],
                "channel": row["channel"],
                "parent": row["parent_id"],
                "source_start": row["source_start"],
                "source_end": row["source_end"],
                "cue_start": row["cue_start"],
                "cue_end": row["cue_end"],
                "content_start": row["content_start"],
                "content_end": row["content_end"],
                "chain": [
                    {
                        "id": link["id"],
                        "actor": _actor(link),
                        "source_text": link["source_text"],
                        "cue": link["cue"],
                        "kind": link["kind"],
                        "channel": link["channel"],
                    }
                    for link in reversed(chain)
                ],
            }
        )
    return out


def _figure_data(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "metric": row["metric"],
        "value": float(row["value"]),
        "lower": _float(row["lower"]),
        "upper": _float(row["upper"]),
        "qualifier": row["qualifier"],
        "unit": row["unit"],
        "subject": row["subject"],
        "additional": row["additional"],
        "as_of": _dt(row["as_of"]),
        "text": row["text"],
        "start": row["start"],
        "end": row["end"],
    }


def _appearances_data(parts: dict[str, Any]) -> list[dict[str, Any]]:
    attributions: dict[int, list[dict[str, Any]]] = {}
    for row in parts["attributions"]:
        attributions.setdefault(row["appearance_id"], []).append(row)
    figures: dict[int, list[dict[str, Any]]] = {}
    for row in parts["figures"]:
        figures.setdefault(row["appearance_id"], []).append(row)
    out = []
    for row in parts["appearances"]:
        publisher = None
        if row["source__publisher_id"] is not None:
            publisher = {
                "id": row["source__publisher_id"],
                "name": row["source__publisher__name"],
                "domain": row["source__publisher__domain"],
            }
        out.append(
            {
                "id": row["id"],
                "source": {
                    "id": row["source_id"],
                    "url": row["source__url"],
                    "title": row["source__title"],
                    "kind": row["source__kind"],
                    "language": row["source__language"],
                    "published_at": _dt(row["source__published_at"]),
                    "publisher": publisher,
                },
                "sentence": row["sentence"],
                "start": row["start"],
                "end": row["end"],
                "attributions": _attributions_data(attributions.get(row["id"], [])),
                "figures": [_figure_data(f) for f in figures.get(row["id"], [])],
            }
        )
    return out


def _links_data(pk: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ClaimLinkSerializer: links out (this claim → another), then links in."""

    def link(row: dict[str, Any], direction: str, other: str) -> dict[str, Any]:
        return {
            "claim": _ref(row, f"{other}__"),
            "kind": row["kind"],
            "direction": direction,
            "status": row["status"],
            "score": _float(row["score"]),
        }

    return [link(r, "out", "to_claim") for r in rows if r["from_claim_id"] == pk] + [
        link(r, "in", "from_claim") for r in rows if r["from_claim_id"] != pk
    ]


def _review_data(row: dict[str, Any]) -> dict[str, Any]:
    """DeskReviewSerializer."""
    return {
        "id": row["id"],
        "claim": row["claim_id"],
        "status": row["status"],
        "rating": _rating(row),
        "explanation": row["explanation"],
        "reviewer": row["reviewer__username"],
        "approver": row["approver__username"],
        "rejection_comment": row["rejection_comment"],
        "submitted_at": _dt(row["submitted_at"]),
        "approved_at": _dt(row["approved_at"]),
        "published_at": _dt(row["published_at"]),
        "version": row["version"],
        "created_at": _dt(row["created_at"]),
        "updated_at": _dt(row["updated_at"]),
    }


def claim_detail_data(row: dict[str, Any], parts: dict[str, Any], *, desk: bool) -> dict[str, Any]:
    """ClaimDetailSerializer (DeskClaimDetailSerializer for the desk) of a
    `claims_for_detail` row and its `claim_detail_parts`."""
    pk = row["id"]
    published = {r["claim_id"]: r for r in parts["reviews"] if r["status"] == "published"}
    verdict = published.get(pk)
    if verdict is None and row["duplicate_of_id"] is not None:
        verdict = published.get(row["duplicate_of_id"])
    data = _claim_head(row, parts["topics"], verdict)
    evidence = []
    for e in parts["evidence"]:
        item = {
            "id": e["id"],
            "claim": e["claim_id"],
            "url": e["url"],
            "title": e["title"],
            "stance": e["stance"],
            "excerpt": e["excerpt"],
            "created_at": _dt(e["created_at"]),
        }
        if desk:
            item["added_by"] = e["added_by__username"]
        evidence.append(item)
    data.update(
        duplicate_of=row["duplicate_of_id"],
        appearances=_appearances_data(parts),
        links=_links_data(pk, parts["links"]),
        evidence=evidence,
    )
    if desk:
        data.update(
            priority=float(row["priority"]),
            origin=row["origin"],
            status_reason=row["status_reason"],
            checkworthiness_reasons=row["checkworthiness_reasons"],
            created_by=row["created_by__username"],
            reviews=[_review_data(r) for r in parts["reviews"] if r["claim_id"] == pk],
            open_tasks=[
                {
                    "id": t["id"],
                    "kind": t["kind"],
                    "state": t["state"],
                    "priority": float(t["priority"]),
                    "assignee": t["assignee__username"],
                    "lease_expires_at": _dt(t["lease_expires_at"]),
                    "due_at": _dt(t["due_at"]),
                }
                for t in parts["open_tasks"]
            ],
        )
        data.update(_desk_pipeline(row))
    return data


# --- Sources --------------------------------------------------------------------------------


class SourceSerializer(serializers.ModelSerializer[Source]):
    publisher = PublisherRefSerializer(read_only=True, allow_null=True)
    url = optional_url(SOURCE_URL_HELP)

    class Meta:
        model = Source
        fields = [
            "id",
            "url",
            "title",
            "kind",
            "language",
            "author",
            "published_at",
            "publisher",
            "status",
            "error",
            "attempts",
            "status_changed_at",
            "created_at",
        ]
        read_only_fields = fields


class SourceDetailSerializer(SourceSerializer):
    claims = serializers.SerializerMethodField(help_text="Claims extracted from this source")

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "text", "claims"]
        read_only_fields = fields

    @extend_schema_field(ClaimRefSerializer(many=True))
    def get_claims(self, obj: Source) -> list[dict[str, Any]]:
        claims = self.context.get("claims", [])
        return ClaimRefSerializer(claims, many=True).data  # type: ignore[return-value]


class DeskSourceSerializer(SourceSerializer):
    submitted_by = serializers.CharField(
        source="submitted_by.username", read_only=True, allow_null=True
    )

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "submitted_by", "attempts"]
        read_only_fields = fields


class DeskSourceDetailSerializer(SourceDetailSerializer):
    submitted_by = serializers.CharField(
        source="submitted_by.username", read_only=True, allow_null=True
    )

    class Meta(SourceDetailSerializer.Meta):
        fields = [*SourceDetailSerializer.Meta.fields, "submitted_by", "attempts"]
        read_only_fields = fields


class SourceSubmitSerializer(serializers.Serializer[Source]):
    url = serializers.URLField(max_length=2048, required=False, allow_blank=True, default="")
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        max_length=10_000_000,
    )
    html = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        max_length=10_000_000,
    )
    title = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Source.Kind.choices, default=Source.Kind.ARTICLE)
    language = serializers.RegexField(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=10, default="en"
    )
    author = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    published_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_url(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Only http and https URLs can be submitted.")
        return check_url_parts(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs["url"].strip() or attrs["text"].strip() or attrs["html"].strip()):
            raise serializers.ValidationError(
                {"text": ["Give the article's text, its HTML or its URL."]}
            )
        if attrs["text"].strip() and attrs["html"].strip():
            raise serializers.ValidationError({"html": ["Give either text or html, not both."]})
        return attrs


# --- Actors, reviews, queue, webhooks -------------------------------------------------------


class ActorSerializer(serializers.ModelSerializer[Actor]):
    aliases: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="alias", many=True, read_only=True
    )

    class Meta:
        model = Actor
        fields = ["id", "name", "kind", "country", "description", "aliases"]
        read_only_fields = fields


class ActorDetailSerializer(ActorSerializer):
    claims = serializers.SerializerMethodField(help_text="Claims attributed to this actor")

    class Meta(ActorSerializer.Meta):
        fields = [*ActorSerializer.Meta.fields, "claims"]
        read_only_fields = fields

    @extend_schema_field(ClaimRefSerializer(many=True))
    def get_claims(self, obj: Actor) -> list[dict[str, Any]]:
        return ClaimRefSerializer(self.context.get("claims", []), many=True).data  # type: ignore[return-value]


class ReviewCreateSerializer(serializers.Serializer[Review]):
    claim = serializers.IntegerField(min_value=1)
    rating = serializers.SlugRelatedField(
        slug_field="slug", queryset=Rating.objects.all(), required=False, allow_null=True
    )
    explanation = serializers.CharField(
        max_length=50_000, required=False, allow_blank=True, default=""
    )


class ReviewUpdateSerializer(serializers.Serializer[Review]):
    rating = serializers.SlugRelatedField(
        slug_field="slug", queryset=Rating.objects.all(), required=False
    )
    explanation = serializers.CharField(max_length=50_000, required=False, allow_blank=True)


class ReviewRejectSerializer(serializers.Serializer[Review]):
    comment = serializers.CharField(max_length=5000)


class TaskSerializer(TaskRefSerializer):
    claim = ClaimRefSerializer(read_only=True)
    review: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta(TaskRefSerializer.Meta):
        fields = ["id", "claim", "review", *TaskRefSerializer.Meta.fields[1:], "assigned_at"]
        read_only_fields = fields


class TakeNextSerializer(serializers.Serializer[ReviewTask]):
    kind = serializers.ChoiceField(choices=ReviewTask.Kind.choices, default=ReviewTask.Kind.REVIEW)


class WebhookSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEndpoint.Event.choices),
        allow_empty=False,
        max_length=len(WebhookEndpoint.Event.choices),
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "disabled_reason",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "disabled_reason",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]

    def update(self, instance: WebhookEndpoint, validated_data: dict[str, Any]) -> WebhookEndpoint:
        # Switching an endpoint back on clears the reason it was switched off.
        if validated_data.get("is_active") and not instance.is_active:
            instance.disabled_reason = ""
            instance.consecutive_failures = 0
        return super().update(instance, validated_data)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith("https://") and not settings.DEBUG:
            raise serializers.ValidationError("Webhook URLs must use https.")
        return check_url_parts(value)

    def validate_events(self, value: list[str]) -> list[str]:
        return sorted(set(value))


class WebhookAttemptSerializer(serializers.ModelSerializer[WebhookAttempt]):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "status_code", "error", "duration_ms"]


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "payload",
            "log",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Signs every delivery (HMAC-SHA256). Shown only this once."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


# --- ClaimReview ----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonLdField(serializers.JSONField):
    pass


class ClaimReviewFeedItemSerializer(serializers.ModelSerializer[Review]):
    claimreview = JsonLdField(read_only=True, help_text="schema.org ClaimReview JSON-LD")

    class Meta:
        model = Review
        fields = ["claim", "published_at", "claimreview"]
        read_only_fields = fields
