"""Reads of the claim domain, with who-may-see-what applied (DESIGN.md, "Roles").

Every read that an API caller or the admin makes about claims goes through a
`*_visible_to(user)` queryset here, so a list and its detail view can never disagree
about what a client may see:

- reviewers and editors see everything;
- a client sees published claims, claims it entered by hand, and the claims extracted
  from the sources it submitted itself (whatever their status); never another client's
  unpublished claims.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Exists, Expression, Func, OuterRef, Prefetch, Q, QuerySet, Value

from claims.models import (
    Actor,
    Appearance,
    Attribution,
    Claim,
    ClaimLink,
    Evidence,
    Figure,
    Publisher,
    Review,
    ReviewTask,
    Source,
)
from claims.roles import CLIENTS, EDITORS, REVIEWERS

CLIENT = "client"
REVIEWER = "reviewer"
EDITOR = "editor"

_ROLE_ATTR = "_factcheck_role"


def user_role(user: Any) -> str | None:
    """The user's highest role: editor, reviewer, client, or None. Cached on the user
    object, so it costs one query per request."""
    if user is None or not user.is_authenticated:
        return None
    if hasattr(user, _ROLE_ATTR):
        cached: str | None = getattr(user, _ROLE_ATTR)
        return cached
    role: str | None
    if user.is_superuser:
        role = EDITOR
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = (
            EDITOR
            if EDITORS in names
            else REVIEWER
            if REVIEWERS in names
            else CLIENT
            if CLIENTS in names
            else None
        )
    setattr(user, _ROLE_ATTR, role)
    return role


def is_desk(user: Any) -> bool:
    return user_role(user) in {REVIEWER, EDITOR}


# --- Claims ---------------------------------------------------------------------------------


def _client_claim_condition(user: Any) -> Q:
    from_own_source = Exists(
        Appearance.objects.filter(claim=OuterRef("pk"), source__submitted_by=user)
    )
    return Q(status=Claim.Status.PUBLISHED) | Q(created_by=user) | Q(from_own_source)


def claims_visible_to(user: Any) -> QuerySet[Claim]:
    role = user_role(user)
    if role in {REVIEWER, EDITOR}:
        return Claim.objects.all()
    if role == CLIENT:
        return Claim.objects.filter(_client_claim_condition(user))
    return Claim.objects.none()


class _ClaimSearchVector(Expression):
    """`claims_claim.search_vector`, the stored generated tsvector of migration 0004 (not a
    model field), under whatever alias the query gives the claims table."""

    def __init__(self) -> None:
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.search_vector", []


def claim_search(queryset: QuerySet[Claim], query: str) -> QuerySet[Claim]:
    """Full-text search over claim text.

    PostgreSQL: `websearch_to_tsquery` (quotes, OR, -exclusions) against the indexed,
    unaccented English `search_vector` (GIN index claim_search_vector_idx, the same one
    matching uses), so "killed" finds "kill". SQLite: every word as a case-insensitive
    substring.
    """
    query = query.strip()
    if not query:
        return queryset
    if settings.IS_POSTGRES:
        from django.contrib.postgres.search import SearchQuery

        unaccented = Func(Value(query), function="factcheck_unaccent")
        return queryset.annotate(_search=_ClaimSearchVector()).filter(
            _search=SearchQuery(unaccented, config="english", search_type="websearch")
        )
    terms = [term for term in query.split() if term]
    for term in terms:
        queryset = queryset.filter(text__icontains=term)
    return queryset


def published_reviews_prefetch(path: str = "reviews") -> Prefetch:
    return Prefetch(
        path,
        queryset=Review.objects.filter(status=Review.Status.PUBLISHED).select_related("rating"),
        to_attr="published_reviews",
    )


def claims_for_list(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    # A duplicate shows (inherits) the verdict of the claim it repeats.
    return queryset.prefetch_related(
        "topics",
        published_reviews_prefetch(),
        published_reviews_prefetch("duplicate_of__reviews"),
    )


def claims_for_detail(queryset: QuerySet[Claim], user: Any) -> QuerySet[Claim]:
    """Everything the claim detail shows, in a fixed number of queries."""
    visible = claims_visible_to(user).values("pk")
    attributions = Attribution.objects.select_related("actor")
    appearances = Appearance.objects.select_related("source", "source__publisher").prefetch_related(
        Prefetch("attributions", queryset=attributions), "figures"
    )
    prefetches: list[Any] = [
        "topics",
        Prefetch("appearances", queryset=appearances),
        Prefetch(
            "links_out",
            queryset=ClaimLink.objects.filter(to_claim__in=visible)
            .exclude(status=ClaimLink.Status.REJECTED)
            .select_related("to_claim"),
        ),
        Prefetch(
            "links_in",
            queryset=ClaimLink.objects.filter(from_claim__in=visible)
            .exclude(status=ClaimLink.Status.REJECTED)
            .select_related("from_claim"),
        ),
        published_reviews_prefetch(),
        published_reviews_prefetch("duplicate_of__reviews"),
    ]
    if is_desk(user):
        prefetches += [
            Prefetch("evidence", queryset=Evidence.objects.select_related("added_by")),
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("rating", "reviewer", "approver"),
                to_attr="all_reviews",
            ),
            Prefetch(
                "tasks",
                queryset=ReviewTask.objects.filter(
                    state__in=[ReviewTask.State.QUEUED, ReviewTask.State.ASSIGNED]
                ).select_related("assignee"),
                to_attr="open_tasks",
            ),
        ]
        queryset = queryset.select_related("created_by")
    else:
        # A client sees the evidence behind a published verdict, not work in progress.
        prefetches.append(
            Prefetch(
                "evidence",
                queryset=Evidence.objects.filter(claim__status=Claim.Status.PUBLISHED),
            )
        )
    return queryset.prefetch_related(*prefetches)


# --- What hangs off claims ------------------------------------------------------------------


def sources_visible_to(user: Any) -> QuerySet[Source]:
    """A client sees the sources it submitted and those where a published claim appears."""
    role = user_role(user)
    if role in {REVIEWER, EDITOR}:
        return Source.objects.all()
    if role == CLIENT:
        published_here = Exists(
            Appearance.objects.filter(source=OuterRef("pk"), claim__status=Claim.Status.PUBLISHED)
        )
        return Source.objects.filter(Q(submitted_by=user) | Q(published_here))
    return Source.objects.none()


def publishers_visible_to(user: Any) -> QuerySet[Publisher]:
    """A client sees the publishers of the sources it may see: a publisher created from
    another client's unpublished submission (its URL's host) is that client's business."""
    if is_desk(user):
        return Publisher.objects.all()
    if user_role(user) == CLIENT:
        sources = sources_visible_to(user).filter(publisher=OuterRef("pk"))
        return Publisher.objects.filter(Exists(sources))
    return Publisher.objects.none()


def actors_visible_to(user: Any) -> QuerySet[Actor]:
    """A client sees the actors its visible claims are attributed to."""
    if is_desk(user):
        return Actor.objects.all()
    if user_role(user) == CLIENT:
        attributions = Attribution.objects.filter(
            actor=OuterRef("pk"), appearance__claim__in=claims_visible_to(user).values("pk")
        )
        return Actor.objects.filter(Exists(attributions))
    return Actor.objects.none()


def appearances_visible_to(user: Any) -> QuerySet[Appearance]:
    if is_desk(user):
        return Appearance.objects.all()
    return Appearance.objects.filter(claim__in=claims_visible_to(user).values("pk"))


def attributions_visible_to(user: Any) -> QuerySet[Attribution]:
    if is_desk(user):
        return Attribution.objects.all()
    return Attribution.objects.filter(appearance__claim__in=claims_visible_to(user).values("pk"))


def figures_visible_to(user: Any) -> QuerySet[Figure]:
    if is_desk(user):
        return Figure.objects.all()
    return Figure.objects.filter(appearance__claim__in=claims_visible_to(user).values("pk"))


def evidence_visible_to(user: Any) -> QuerySet[Evidence]:
    if is_desk(user):
        return Evidence.objects.all()
    if user_role(user) == CLIENT:
        return Evidence.objects.filter(claim__status=Claim.Status.PUBLISHED)
    return Evidence.objects.none()


def reviews_visible_to(user: Any) -> QuerySet[Review]:
    """Clients see published verdicts only: never drafts, rejections or who wrote them."""
    if is_desk(user):
        return Review.objects.all()
    if user_role(user) == CLIENT:
        return Review.objects.filter(status=Review.Status.PUBLISHED)
    return Review.objects.none()


def published_reviews() -> QuerySet[Review]:
    return Review.objects.filter(status=Review.Status.PUBLISHED, claimreview__isnull=False)


def attribution_chain(
    attribution: Attribution, siblings: dict[int, Attribution]
) -> list[Attribution]:
    """The chain outermost first, resolved from the appearance's own (prefetched)
    attributions, so it costs no query; a parent outside the appearance ends the chain."""
    links: list[Attribution] = []
    seen: set[int] = set()
    node: Attribution | None = attribution
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        links.append(node)
        node = siblings.get(node.parent_id) if node.parent_id is not None else None
    return list(reversed(links))


def figure_comparison(*, user: Any, topic: str, metric: str) -> QuerySet[Figure]:
    """Every reported value of one metric about one topic, with who said it, where and
    when; the caller orders it in time (as_of, else the source's date, else first seen)."""
    return (
        figures_visible_to(user)
        .filter(metric__iexact=metric, appearance__claim__topics__slug=topic)
        .select_related(
            "appearance",
            "appearance__claim",
            "appearance__source",
            "appearance__source__publisher",
        )
        .prefetch_related(
            Prefetch(
                "appearance__attributions", queryset=Attribution.objects.select_related("actor")
            )
        )
        .distinct()
    )
