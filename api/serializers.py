"""Input and output serializers.

Output serializers come in two flavours where the audience differs: the client's (no
drafts, assignees, reviewers or internal notes) and the desk's (everything). Inputs are
separate serializers listing exactly what a caller may set; nothing else is writable.
"""

from __future__ import annotations

from typing import Any

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
from claims.selectors import attribution_chain

# --- Small shared pieces --------------------------------------------------------------------


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


class SourceRefSerializer(serializers.ModelSerializer[Source]):
    publisher = PublisherRefSerializer(read_only=True, allow_null=True)

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
        fields = [
            "id",
            "metric",
            "value",
            "lower",
            "upper",
            "qualifier",
            "unit",
            "subject",
            "additional",
            "as_of",
            "text",
            "start",
            "end",
        ]
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


class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
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


# --- Sources --------------------------------------------------------------------------------


class SourceSerializer(serializers.ModelSerializer[Source]):
    publisher = PublisherRefSerializer(read_only=True, allow_null=True)

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
        return value

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
        return value

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
