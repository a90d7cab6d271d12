"""The claim-tracking domain (see DESIGN.md, "Domain model").

Invariants that must hold whatever code writes the row live in the database as unique and
check constraints; the methods here only answer questions about a single object. Writes
that span objects or follow the workflow live in claims/services.py and claims/workflow.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

_SPACES = re.compile(r"\s+")
_TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref|ocid)$", re.I)


def normalize_text(text: str) -> str:
    """Case-, accent- and whitespace-insensitive form used for exact matching and aliases."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().casefold()


def normalize_url(url: str) -> str:
    """The canonical form under which a URL is stored and deduplicated.

    Lower-cases scheme and host, drops default ports, fragments and tracking parameters,
    and strips a trailing slash, so the same article submitted twice is one Source.
    """
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    # Hosts that IDNA rejects stay as given; URL validation reports them to the user.
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    port = (
        parts.port
        if parts.port and (scheme, parts.port) not in {("http", 80), ("https", 443)}
        else None
    )
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = "&".join(
        sorted(
            pair
            for pair in parts.query.split("&")
            if pair and not _TRACKING_PARAMS.match(pair.split("=", 1)[0])
        )
    )
    path = parts.path.rstrip("/") or ""
    return urlunsplit((scheme, netloc, path, query, ""))


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


class TimeStamped(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# --- Who publishes and who says -------------------------------------------------------------


class Publisher(TimeStamped):
    class Kind(models.TextChoices):
        OUTLET = "outlet", "News outlet"
        AGENCY = "agency", "News agency"
        GOVERNMENT = "government", "Government or official body"
        SOCIAL = "social", "Social media account"
        NGO = "ngo", "NGO or think tank"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, unique=True, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OUTLET)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    state_affiliated = models.BooleanField(default=False)
    reliability_note = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Actor(TimeStamped):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        GOVERNMENT = "government", "Government body"
        COLLECTIVE = "collective", "Collective (e.g. 'Russian authorities')"
        COUNTRY = "country", "Country"
        OUTLET = "outlet", "News outlet"
        UNKNOWN = "unknown", "Unknown"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.UNKNOWN)
    country = models.CharField(max_length=2, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ActorAlias(models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=200)
    # Unique across all actors: one spelling names one actor, so extraction can resolve it.
    normalized = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        verbose_name_plural = "actor aliases"
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalized = normalize_text(self.alias)
        super().save(*args, **kwargs)


class Topic(TimeStamped):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- Where claims appear --------------------------------------------------------------------


class Source(TimeStamped):
    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        STATEMENT = "statement", "Official statement"
        SOCIAL_POST = "social_post", "Social media post"
        TRANSCRIPT = "transcript", "Transcript"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        FETCHING = "fetching", "Fetching"
        EXTRACTING = "extracting", "Extracting"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    url = models.URLField(max_length=2048, blank=True, help_text="Stored normalised")
    title = models.CharField(max_length=500, blank=True)
    publisher = models.ForeignKey(
        Publisher, null=True, blank=True, on_delete=models.SET_NULL, related_name="sources"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ARTICLE)
    language = models.CharField(max_length=10, default="en")
    author = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(blank=True)
    # NULL (not "") until the text is known, so URL-only submissions never collide.
    content_hash = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    status_changed_at = models.DateTimeField(default=timezone.now)
    extractor_version = models.CharField(max_length=40, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_sources",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["url"], condition=~Q(url=""), name="source_url_unique_when_set"
            ),
            models.UniqueConstraint(fields=["content_hash"], name="source_content_hash_unique"),
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(text=""), name="source_has_url_or_text"
            ),
        ]
        indexes = [
            # The stuck-work sweep: sources still pending/fetching/extracting past a timeout.
            models.Index(
                fields=["status", "status_changed_at"],
                name="source_unfinished_idx",
                condition=Q(status__in=["pending", "fetching", "extracting"]),
            ),
            # A client's own submissions, newest first (API list for clients).
            models.Index(fields=["submitted_by", "-created_at"], name="source_submitter_idx"),
            # GET /api/v1/sources/: newest first, keyset-paginated on (created_at, id).
            models.Index(fields=["-created_at", "-id"], name="source_list_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.url or f"Source {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.url = normalize_url(self.url)
        self.content_hash = content_hash(self.text) if self.text else None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {"url", "content_hash"}
        super().save(*args, **kwargs)

    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


# --- Claims and how they appear --------------------------------------------------------------


class Claim(TimeStamped):
    class Kind(models.TextChoices):
        FIGURE = "figure", "Figure"
        QUOTE = "quote", "Quote"
        EVENT = "event", "Event"
        CAUSAL = "causal", "Causal"
        PREDICTION = "prediction", "Prediction"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        TRIAGED = "triaged", "Triaged"
        QUEUED = "queued", "Queued"
        IN_REVIEW = "in_review", "In review"
        IN_APPROVAL = "in_approval", "In approval"
        PUBLISHED = "published", "Published"
        DISMISSED = "dismissed", "Dismissed"
        DUPLICATE = "duplicate", "Duplicate"

    class Origin(models.TextChoices):
        EXTRACTED = "extracted", "Extracted"
        MANUAL = "manual", "Entered by hand"

    text = models.TextField()
    # sha256 of the normalised text: exact-duplicate lookup without a B-tree over long text.
    text_hash = models.CharField(max_length=64, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    status_reason = models.TextField(blank=True, help_text="Why it was dismissed, reopened...")
    checkworthiness = models.FloatField(default=0.0)
    checkworthiness_reasons = models.JSONField(default=list, blank=True)
    priority = models.FloatField(default=0.0, help_text="Higher is more urgent")
    first_seen_at = models.DateTimeField(default=timezone.now)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="claims")
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.EXTRACTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Where triage got to: a claim whose triage keeps failing stays "new" with the error
    # here, so a reviewer sees why instead of wondering where it went.
    pipeline_error = models.TextField(blank=True)
    pipeline_attempts = models.PositiveIntegerField(default=0)
    # Reasons to check raised by comparing with other reports, e.g. a figure that cannot
    # be reconciled with another source's figure for the same topic and time:
    # [{"kind": "figure_conflict", "message": ..., "claims": [ids], ...}].
    flags = models.JSONField(default=list, blank=True)
    # Bumped on every change; the ETag of the API and the stale-form check of the admin.
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(
        excluded_fields=["text_hash", "updated_at", "pipeline_error", "pipeline_attempts"]
    )

    class Meta:
        ordering = ["-priority", "-first_seen_at"]
        permissions = [
            ("dismiss_claim", "Can dismiss claims"),
            ("merge_claim", "Can merge duplicate claims"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(checkworthiness__gte=0) & Q(checkworthiness__lte=1),
                name="claim_checkworthiness_0_1",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("pk")), name="claim_not_duplicate_of_itself"
            ),
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="claim_duplicate_names_original",
            ),
        ]
        indexes = [
            # Claims list filtered by status, most urgent first (API and admin default view).
            models.Index(fields=["status", "-priority", "-first_seen_at"], name="claim_status_idx"),
            # Exact-duplicate lookup during triage, before fuzzy matching.
            models.Index(fields=["text_hash"], name="claim_text_hash_idx"),
            models.Index(fields=["-first_seen_at"], name="claim_first_seen_idx"),
            # GET /api/v1/claims/?status=...: the API's default order (newest first, then id)
            # within one status, so a page is an index range, not a sort of every match.
            models.Index(fields=["status", "-first_seen_at", "-id"], name="claim_status_seen_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.text_hash = content_hash(self.text)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "text" in update_fields:
            kwargs["update_fields"] = set(update_fields) | {"text_hash"}
        super().save(*args, **kwargs)

    def is_open(self) -> bool:
        """Still somewhere in the review workflow (not published, dismissed or a duplicate)."""
        return self.status not in {
            self.Status.PUBLISHED,
            self.Status.DISMISSED,
            self.Status.DUPLICATE,
        }

    def published_review(self) -> Review | None:
        return self.reviews.filter(status=Review.Status.PUBLISHED).first()


class Appearance(TimeStamped):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="appearances")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="appearances")
    sentence = models.TextField()
    start = models.PositiveIntegerField(help_text="Character offset of the sentence in the text")
    end = models.PositiveIntegerField()
    extractor_version = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["source_id", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appearance_span_ordered"),
            models.UniqueConstraint(
                fields=["claim", "source", "start"], name="appearance_unique_per_place"
            ),
        ]
        indexes = [models.Index(fields=["source", "start"], name="appearance_source_idx")]

    def __str__(self) -> str:
        return f"{self.claim_id} in {self.source_id} [{self.start}:{self.end}]"


def _span_ordered(prefix: str) -> Q:
    start, end = f"{prefix}_start", f"{prefix}_end"
    return (Q(**{f"{start}__isnull": True}) & Q(**{f"{end}__isnull": True})) | Q(
        **{f"{end}__gt": F(start)}
    )


class Attribution(TimeStamped):
    class Kind(models.TextChoices):
        ACCORDING_TO = "according_to", "According to"
        SAID = "said", "Said"
        DIRECT_QUOTE = "direct_quote", "Direct quote"
        PARTIAL_QUOTE = "partial_quote", "Partial quote"
        CLAIMS = "claims", "Claims"
        ANNOUNCED = "announced", "Announced"
        ANONYMOUS = "anonymous", "Anonymous"
        UNATTRIBUTED = "unattributed", "Unattributed"

    appearance = models.ForeignKey(
        Appearance, on_delete=models.CASCADE, related_name="attributions"
    )
    actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="attributions"
    )
    source_text = models.CharField(max_length=500, blank=True)
    cue = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # Character spans into the source's text (end exclusive); null when absent.
    source_start = models.PositiveIntegerField(null=True, blank=True)
    source_end = models.PositiveIntegerField(null=True, blank=True)
    cue_start = models.PositiveIntegerField(null=True, blank=True)
    cue_end = models.PositiveIntegerField(null=True, blank=True)
    content_start = models.PositiveIntegerField(null=True, blank=True)
    content_end = models.PositiveIntegerField(null=True, blank=True)
    extractor_version = models.CharField(max_length=40, blank=True)
    edited_by_reviewer = models.BooleanField(
        default=False, help_text="Re-extraction never overwrites a reviewer's edit"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["appearance_id", "content_start"]
        constraints = [
            models.CheckConstraint(condition=_span_ordered("source"), name="attr_source_ordered"),
            models.CheckConstraint(condition=_span_ordered("cue"), name="attr_cue_ordered"),
            models.CheckConstraint(condition=_span_ordered("content"), name="attr_content_ordered"),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="attr_not_own_parent"),
        ]

    def __str__(self) -> str:
        who = self.source_text or self.get_kind_display()
        return f"{self.cue} {who}".strip()

    def chain(self) -> list[Attribution]:
        """This attribution and its parents, outermost first (outlet → statement → ...)."""
        links: list[Attribution] = []
        seen: set[int] = set()
        node: Attribution | None = self
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            links.append(node)
            node = node.parent
        return list(reversed(links))


class Figure(TimeStamped):
    class Qualifier(models.TextChoices):
        EXACT = "exact", "Exact"
        OVER = "over", "Over"
        AT_LEAST = "at_least", "At least"
        ABOUT = "about", "About"
        UP_TO = "up_to", "Up to"
        UNDER = "under", "Under"
        RANGE = "range", "Range"

    appearance = models.ForeignKey(Appearance, on_delete=models.CASCADE, related_name="figures")
    metric = models.CharField(max_length=100, blank=True)
    value = models.FloatField()
    lower = models.FloatField(null=True, blank=True)
    upper = models.FloatField(null=True, blank=True)
    qualifier = models.CharField(max_length=20, choices=Qualifier.choices, default="exact")
    unit = models.CharField(max_length=50, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    additional = models.BooleanField(default=False, help_text="'200 more': on top of another")
    as_of = models.DateTimeField(null=True, blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.CharField(max_length=300, blank=True)
    extractor_version = models.CharField(max_length=40, blank=True)
    edited_by_reviewer = models.BooleanField(default=False)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["appearance_id", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="figure_span_ordered"),
            models.CheckConstraint(
                condition=Q(lower__isnull=True) | Q(lower__lte=F("value")),
                name="figure_lower_le_value",
            ),
            models.CheckConstraint(
                condition=Q(upper__isnull=True) | Q(upper__gte=F("value")),
                name="figure_value_le_upper",
            ),
        ]
        indexes = [models.Index(fields=["metric"], name="figure_metric_idx")]

    def __str__(self) -> str:
        return f"{self.metric or 'figure'}: {self.text or self.value}"


class ClaimLink(models.Model):
    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", "Duplicate"
        VARIANT = "variant", "Variant (changed figure or wording)"
        CONTRADICTS = "contradicts", "Contradicts"
        UPDATES = "updates", "Updates"
        SIMILAR = "similar", "Similar"

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    from_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links_out")
    to_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUGGESTED)
    score = models.FloatField(null=True, blank=True)
    reason = models.JSONField(default=dict, blank=True)
    created_by_job = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_claim=F("to_claim")), name="claimlink_no_self_link"
            ),
            models.UniqueConstraint(
                fields=["from_claim", "to_claim", "kind"], name="claimlink_unique_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_claim_id} {self.kind} {self.to_claim_id}"


class Evidence(TimeStamped):
    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        REFUTES = "refutes", "Refutes"
        CONTEXT = "context", "Context"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    url = models.URLField(max_length=2048, blank=True)
    title = models.CharField(max_length=500, blank=True)
    stance = models.CharField(max_length=20, choices=Stance.choices, default=Stance.CONTEXT)
    excerpt = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["claim_id", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(excerpt=""), name="evidence_has_url_or_excerpt"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.url or self.excerpt[:60]


# --- Verdicts -------------------------------------------------------------------------------


class Rating(models.Model):
    """One step of the rating scale, mapped onto ClaimReview's reviewRating."""

    slug = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    value = models.IntegerField(null=True, blank=True, help_text="ratingValue; empty if unrated")
    best = models.IntegerField(default=5, help_text="bestRating")
    worst = models.IntegerField(default=1, help_text="worstRating")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "slug"]
        constraints = [
            models.CheckConstraint(condition=Q(worst__lte=F("best")), name="rating_worst_le_best"),
            models.CheckConstraint(
                condition=Q(value__isnull=True)
                | (Q(value__gte=F("worst")) & Q(value__lte=F("best"))),
                name="rating_value_in_scale",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Review(TimeStamped):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    rating = models.ForeignKey(
        Rating, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    explanation = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approved_reviews",
    )
    rejection_comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    claimreview = models.JSONField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["claim_id", "-created_at"]
        permissions = [("approve_review", "Can approve, reject and publish reviews")]
        constraints = [
            # The second pair of eyes, enforced where no code path can skip it.
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("reviewer")),
                name="review_not_self_approved",
            ),
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status="published"),
                name="review_one_published_per_claim",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "approved", "published"])
                | Q(rating__isnull=False),
                name="review_rated_once_submitted",
            ),
        ]
        indexes = [
            # Published-verdict lookups (claim detail, ClaimReview feed ordered by date).
            models.Index(
                fields=["-published_at"],
                name="review_published_idx",
                condition=Q(status="published"),
            ),
            # GET /api/v1/reviews/: newest first, keyset-paginated on (created_at, id).
            models.Index(fields=["-created_at", "-id"], name="review_list_idx"),
        ]

    def __str__(self) -> str:
        return f"Review of claim {self.claim_id} ({self.status})"


class ReviewTask(TimeStamped):
    class Kind(models.TextChoices):
        REVIEW = "review", "Review"
        APPROVAL = "approval", "Approval"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        ASSIGNED = "assigned", "Assigned"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="tasks")
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REVIEW)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    priority = models.FloatField(default=0.0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_tasks",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due_at", "-priority"]
        permissions = [
            ("take_reviewtask", "Can take tasks from the queue"),
            ("reassign_reviewtask", "Can reassign tasks to other reviewers"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "kind"],
                condition=Q(state__in=["queued", "assigned"]),
                name="reviewtask_one_open_per_claim_kind",
            ),
            models.CheckConstraint(
                condition=~Q(state="assigned") | Q(assignee__isnull=False),
                name="reviewtask_assigned_has_assignee",
            ),
        ]
        indexes = [
            # "Take next": the most urgent queued task of a kind.
            models.Index(
                fields=["kind", "-priority", "due_at"],
                name="reviewtask_queue_idx",
                condition=Q(state="queued"),
            ),
            # "My queue" and reviewer load: open tasks per assignee.
            models.Index(
                fields=["assignee", "due_at"],
                name="reviewtask_assignee_idx",
                condition=Q(state="assigned"),
            ),
            # Beat: leases that have run out.
            models.Index(
                fields=["lease_expires_at"],
                name="reviewtask_lease_idx",
                condition=Q(state="assigned"),
            ),
            # GET /api/v1/queue/ (?state=...): newest first, keyset-paginated.
            models.Index(fields=["-created_at", "-id"], name="reviewtask_list_idx"),
            models.Index(fields=["state", "-created_at", "-id"], name="reviewtask_state_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of claim {self.claim_id} ({self.state})"

    def is_overdue(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return bool(self.due_at and self.state in {"queued", "assigned"} and self.due_at < now)


class ReviewerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    languages = models.JSONField(default=list, blank=True, help_text='e.g. ["en", "fr"]')
    topics = models.ManyToManyField(Topic, blank=True, related_name="reviewers")
    capacity = models.PositiveIntegerField(default=5, help_text="Open tasks at once")

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    def speaks(self, language: str) -> bool:
        return not self.languages or language in self.languages
