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

import functools
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Exists, Expression, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

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
    Topic,
)
from claims.roles import CLIENTS, EDITORS, REVIEWERS

CLIENT = "client"
REVIEWER = "reviewer"
EDITOR = "editor"

_ROLE_ATTR = "_factcheck_role"


def remember_role(user: Any, role: str | None) -> None:
    """Cache `role` on the user for user_role(), for a caller that read it along with the
    user (the API key lookup)."""
    setattr(user, _ROLE_ATTR, role)


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


def _client_claim_condition(user: Any, claim: str = "") -> Q:
    """What a client may see, tested on the claim row itself, or with `claim` ("to_claim")
    on the claim a relation leads to: a condition on the joined row, where `__in` the set
    of visible claims would have PostgreSQL build that set, a million rows, first."""
    prefix = f"{claim}__" if claim else ""
    from_own_source = Exists(
        Appearance.objects.filter(
            claim=OuterRef(f"{claim}_id" if claim else "pk"), source__submitted_by=user
        )
    )
    return (
        Q(**{f"{prefix}status": Claim.Status.PUBLISHED})
        | Q(**{f"{prefix}created_by": user})
        | Q(from_own_source)
    )


def _own_claims(user: Any) -> QuerySet[Any]:
    """Ids of the claims a client entered or that were extracted from its sources."""
    entered = Claim.objects.filter(created_by=user).order_by().values("pk")
    extracted = Appearance.objects.filter(source__submitted_by=user).order_by().values("claim_id")
    return entered.union(extracted, all=True)


def claims_visible_to(user: Any, *, statuses: Iterable[str] | None = None) -> QuerySet[Claim]:
    """The claims `user` may see.

    `statuses`: the caller keeps only claims in these statuses (the list's status filter).
    The answer is then the same, but a client's query can be cheaper: asked for statuses
    other than published, it sees only its own claims, which PostgreSQL reads as a
    semi-join on the client's few claim ids instead of testing the whole condition on every
    claim of the status (a walk over 95,000 queued claims at a million). Never wider than
    without it: at worst narrower, if the caller forgot to filter.
    """
    role = user_role(user)
    if role in {REVIEWER, EDITOR}:
        return Claim.objects.all()
    if role == CLIENT:
        wanted = set(statuses or ())
        if wanted and Claim.Status.PUBLISHED not in wanted:
            return Claim.objects.filter(pk__in=_own_claims(user))
        if wanted == {Claim.Status.PUBLISHED}:
            return Claim.objects.filter(status=Claim.Status.PUBLISHED)
        return Claim.objects.filter(_client_claim_condition(user))
    return Claim.objects.none()


_TSQUERY = "websearch_to_tsquery('english', factcheck_unaccent(%s))"


class _ClaimSearchMatch(Expression):
    """`search_vector @@ websearch_to_tsquery(...)` over `claims_claim.search_vector`, the
    stored generated tsvector of migration 0004 (not a model field), under whatever alias
    the query gives the claims table, written so PostgreSQL takes the plan chosen by
    claim_search:

    - "walk": the match wrapped in a CASE, which the GIN index cannot answer and the planner
      estimates at its default 0.5% of rows: a newest-first page walks the first_seen_at
      (or status, first_seen_at) index and stops at a page of matches;
    - "sort": the indexed match AND the same match hidden from the index, which the planner
      estimates as next to nothing: the GIN index's matches are fetched and sorted;
    - "plain": the indexed match alone; PostgreSQL decides.
    """

    conditional = True

    def __init__(self, query: str, plan: str) -> None:
        from django.db.models import BooleanField

        super().__init__(output_field=BooleanField())
        self.query, self.plan = query, plan

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        alias = compiler.query.get_initial_alias()
        column = f"{compiler.quote_name_unless_alias(alias)}.search_vector"
        match = f"{column} @@ {_TSQUERY}"
        if self.plan == "walk":
            return f"(CASE WHEN {match} THEN 1 ELSE 0 END) = 1", [self.query]
        if self.plan == "sort":
            hidden = f"COALESCE({column}, ''::tsvector) @@ {_TSQUERY}"
            return f"({match} AND {hidden})", [self.query, self.query]
        return match, [self.query]


# Full-text search plans, measured at 1,000,000 claims (tests/benchmarks/explain_api.py).
# A newest-first page of matches has two fast plans and each is a disaster where the other
# shines: walking the first_seen_at index until a page of matches turns up (instant for
# common words, a walk over the whole table when matches are rare), or the GIN index's
# matches sorted by date (instant for rare words; every row of a common word read and
# sorted). PostgreSQL picks by its estimate of how many rows match, which is right for one
# word and wrong for several that rarely occur together ("denied minister monday": it
# multiplies the words' frequencies, expects thousands, walks a million rows, finds none).
# So the plan follows the matches themselves: when at least SEARCH_RECENT_MATCHES of the
# SEARCH_RECENT_WINDOW newest claims match (a bounded walk), matches are dense and the page
# is walked; otherwise they are few and sorted.
SEARCH_RECENT_WINDOW = 5000
SEARCH_RECENT_MATCHES = 25


def _dense_recently(query: str) -> bool:
    """At least SEARCH_RECENT_MATCHES matches among the newest SEARCH_RECENT_WINDOW claims
    (claim_first_seen_idx, walked for at most that many rows)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM (SELECT search_vector FROM claims_claim "
            "ORDER BY first_seen_at DESC LIMIT %s) recent WHERE recent.search_vector @@ "
            "websearch_to_tsquery('english', factcheck_unaccent(%s)) LIMIT %s) hits",
            [SEARCH_RECENT_WINDOW, query, SEARCH_RECENT_MATCHES],
        )
        return bool(cursor.fetchone()[0] >= SEARCH_RECENT_MATCHES)


def claim_search(
    queryset: QuerySet[Claim], query: str, *, newest_first: bool = False
) -> QuerySet[Claim]:
    """Full-text search over claim text; the order stays the caller's.

    PostgreSQL: `websearch_to_tsquery` (quotes, OR, -exclusions) against the indexed,
    unaccented English `search_vector` (GIN index claim_search_vector_idx, the same one
    matching uses), so "killed" finds "kill". With `newest_first` (the caller pages the
    matches by -first_seen_at, as the claims list does by default), one bounded query first
    chooses the plan (see SEARCH_RECENT_WINDOW). SQLite: every word as a case-insensitive
    substring.
    """
    query = query.strip()
    if not query:
        return queryset
    if settings.IS_POSTGRES:
        plan = "plain"
        if newest_first:
            plan = "walk" if _dense_recently(query) else "sort"
        return queryset.filter(_ClaimSearchMatch(query, plan))
    terms = [term for term in query.split() if term]
    for term in terms:
        queryset = queryset.filter(text__icontains=term)
    return queryset


# The claims list and detail are read as plain rows (values()) and turned into JSON by
# api.serializers.claim_list_data / claim_detail_data: at 50 claims a page, building model
# instances and running DRF's field machinery cost ten times the queries (BENCHMARKS.md).

CLAIM_LIST_COLUMNS = (
    "id",
    "text",
    "kind",
    "language",
    "status",
    "checkworthiness",
    "first_seen_at",
    "version",
    "priority",
    "origin",
    "flags",
    "pipeline_error",
    "pipeline_attempts",
    "duplicate_of_id",
    "created_at",  # an ordering of the list, so the cursor can be read from the row
)
CLAIM_DETAIL_COLUMNS = (
    *CLAIM_LIST_COLUMNS,
    "status_reason",
    "checkworthiness_reasons",
    "created_by__username",
)
_RATING: tuple[str, ...] = ("rating_id", "rating__slug", "rating__label", "rating__description")
_RATING += ("rating__value", "rating__best", "rating__worst")


def claims_for_list(queryset: QuerySet[Claim]) -> QuerySet[Any]:
    """The claims list's rows: the claim's columns, the id of its published verdict (its
    own, else that of the claim it duplicates) and, on PostgreSQL, its topic slugs, all in
    the one query that reads the page (claim_list_extras fetches the rest)."""
    return queryset.values(*CLAIM_LIST_COLUMNS, **_list_annotations())


@functools.cache
def _list_annotations() -> dict[str, Any]:
    # Built once per process: making these subqueries took longer than running them, on
    # every page of the claims list. Reusing them is safe, as every query that uses an
    # expression resolves its own copy.
    published = Review.objects.filter(status=Review.Status.PUBLISHED).order_by()
    own = published.filter(claim_id=OuterRef("pk"))
    inherited = published.filter(claim_id=OuterRef("duplicate_of_id"))
    extra: dict[str, Any] = {
        "verdict_id": Coalesce(Subquery(own.values("id")[:1]), Subquery(inherited.values("id")[:1]))
    }
    if settings.IS_POSTGRES:
        from django.contrib.postgres.expressions import ArraySubquery

        extra["topic_slugs"] = ArraySubquery(
            Claim.topics.through.objects.filter(claim_id=OuterRef("pk"))
            .order_by("topic__name", "topic_id")
            .values("topic__slug")
        )
    return extra


def claim_list_extras(
    rows: list[dict[str, Any]],
) -> tuple[dict[int, list[str]] | None, dict[int, dict[str, Any]]]:
    """For a page of claims_for_list rows: topic slugs by claim id when the rows do not carry
    them (SQLite), and the verdicts (reviews with their rating) by review id; a query each,
    and none when there is nothing to fetch."""
    slugs = None
    if rows and "topic_slugs" not in rows[0]:
        slugs = claim_topic_slugs([row["id"] for row in rows])
    verdict_ids = {row["verdict_id"] for row in rows if row["verdict_id"] is not None}
    verdicts: dict[int, dict[str, Any]] = {}
    if verdict_ids:
        reviews = (
            Review.objects.filter(pk__in=verdict_ids)
            .order_by()
            .values("id", "claim_id", "explanation", "published_at", *_RATING)
        )
        verdicts = {review["id"]: review for review in reviews}
    return slugs, verdicts


def claim_topic_slugs(claim_ids: list[int]) -> dict[int, list[str]]:
    """Topic slugs per claim, in the topics' order (by name)."""
    slugs: dict[int, list[str]] = {}
    rows = (
        Claim.topics.through.objects.filter(claim_id__in=claim_ids)
        .order_by("topic__name", "topic_id")
        .values_list("claim_id", "topic__slug")
    )
    for claim_id, slug in rows:
        slugs.setdefault(claim_id, []).append(slug)
    return slugs


_REF = ("id", "text", "kind", "status")


# A figure as the API shows it: FigureSerializer's fields and the detail's figure columns.
FIGURE_FIELDS = (
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
)


def _detail_parts(
    ref: Any, user: Any, desk: bool
) -> dict[str, tuple[QuerySet[Any], tuple[str, ...]]]:
    """The querysets (and their columns) of everything the claim detail shows beyond the
    claim's own row; `ref(column)` is the claim's value of that column, `user` the caller
    (or its id), `desk` whether it is a reviewer or an editor."""
    pk = ref("id")
    parts: dict[str, tuple[QuerySet[Any], tuple[str, ...]]] = {
        "topics": (
            Topic.objects.filter(claims=pk).order_by("name", "id"),
            ("id", "name", "slug", "description"),
        ),
        "appearances": (
            Appearance.objects.filter(claim_id=pk).order_by("source_id", "start", "id"),
            (
                "id",
                "sentence",
                "start",
                "end",
                "source_id",
                "source__url",
                "source__title",
                "source__kind",
                "source__language",
                "source__published_at",
                "source__publisher_id",
                "source__publisher__name",
                "source__publisher__domain",
            ),
        ),
        "attributions": (
            Attribution.objects.filter(appearance__claim_id=pk).order_by(
                "appearance_id", "content_start", "id"
            ),
            (
                "id",
                "appearance_id",
                "actor_id",
                "actor__name",
                "actor__kind",
                "actor__country",
                "source_text",
                "cue",
                "kind",
                "channel",
                "parent_id",
                "source_start",
                "source_end",
                "cue_start",
                "cue_end",
                "content_start",
                "content_end",
            ),
        ),
        "figures": (
            Figure.objects.filter(appearance__claim_id=pk).order_by("appearance_id", "start", "id"),
            ("appearance_id", *FIGURE_FIELDS),
        ),
    }
    # Links in both directions at once; the claim at the other end must be visible.
    links = (
        ClaimLink.objects.filter(Q(from_claim_id=pk) | Q(to_claim_id=pk))
        .exclude(status=ClaimLink.Status.REJECTED)
        .order_by("-created_at", "-id")
    )
    if not desk:
        links = links.filter(
            (Q(from_claim_id=pk) & _client_claim_condition(user, "to_claim"))
            | (Q(to_claim_id=pk) & _client_claim_condition(user, "from_claim"))
        )
    ends = tuple(f"{end}__{field}" for end in ("from_claim", "to_claim") for field in _REF)
    parts["links"] = (links, ("from_claim_id", "to_claim_id", "kind", "status", "score", *ends))
    # The published review of the claim and of the claim it duplicates (the verdict); the
    # desk sees every review of the claim besides.
    published = Q(status=Review.Status.PUBLISHED)
    reviews = published & (Q(claim_id=pk) | Q(claim_id=ref("duplicate_of_id")))
    if desk:
        reviews |= Q(claim_id=pk)
    parts["reviews"] = (
        Review.objects.filter(reviews).order_by("claim_id", "-created_at", "-id"),
        (
            "id",
            "claim_id",
            "status",
            "explanation",
            "reviewer__username",
            "approver__username",
            "rejection_comment",
            "submitted_at",
            "approved_at",
            "published_at",
            "version",
            "created_at",
            "updated_at",
            *_RATING,
        ),
    )
    evidence = Evidence.objects.filter(claim_id=pk).order_by("created_at", "id")
    if not desk:
        # A client sees the evidence behind a published verdict, not work in progress.
        evidence = evidence.filter(claim__status=Claim.Status.PUBLISHED)
    parts["evidence"] = (
        evidence,
        ("id", "claim_id", "url", "title", "stance", "excerpt", "created_at", "added_by__username"),
    )
    if desk:
        tasks = ReviewTask.objects.filter(
            claim_id=pk, state__in=[ReviewTask.State.QUEUED, ReviewTask.State.ASSIGNED]
        ).order_by(F("due_at").asc(nulls_last=True), "-priority", "id")
        parts["open_tasks"] = (
            tasks,
            ("id", "kind", "state", "priority", "assignee__username", "lease_expires_at", "due_at"),
        )
    return parts


def claims_for_detail(queryset: QuerySet[Claim]) -> QuerySet[Any]:
    return queryset.values(*CLAIM_DETAIL_COLUMNS)


# claim_detail_parts' statement, compiled once per process for the desk and once for
# clients: Django takes longer to build the eight part queries than PostgreSQL to run them.
# It is compiled with stand-in values for the claim, the claim it duplicates and the caller,
# and the real ones are put in their place in the parameters of each request.
_STAND_INS = {"id": -1_000_001, "duplicate_of_id": -1_000_002, "user": -1_000_003}
_PARTS_STATEMENTS: dict[bool, tuple[str, list[Any]]] = {}


def _parts_statement(desk: bool) -> tuple[str, list[Any]]:
    statement = _PARTS_STATEMENTS.get(desk)
    if statement is None:
        selects: list[str] = []
        params: list[Any] = []
        parts = _detail_parts(_STAND_INS.__getitem__, _STAND_INS["user"], desk)
        for name, (part, columns) in parts.items():
            sql, part_params = part.values(*columns).query.sql_with_params()
            # Django's own SQL, its parameters kept apart; a part name from _detail_parts.
            selects.append(f'ARRAY(SELECT row_to_json(t) FROM ({sql}) t) AS "{name}"')  # noqa: S608
            params.extend(part_params)
        # A stand-in that reached the SQL in any other form (cast, folded into the text)
        # would not be replaced: each part names the claim as a parameter of its own.
        if params.count(_STAND_INS["id"]) < len(parts):
            raise RuntimeError(f"the claim is not a parameter of every part: {params}")
        statement = _PARTS_STATEMENTS[desk] = ("SELECT " + ", ".join(selects), params)
    return statement


def claim_detail_parts(row: dict[str, Any], user: Any) -> dict[str, Any]:
    """Everything the claim detail shows beyond the claim's own row (topics, appearances,
    attributions, figures, links both ways, reviews, evidence and, for the desk, open
    tasks): the same queries whatever the claim carries.

    On PostgreSQL the part queries go in one statement, each part an array of JSON rows
    (`row_to_json` keeps the values() names and writes floats exactly): one round trip
    instead of eight, which is most of the detail's time on a busy machine."""
    if not settings.IS_POSTGRES:
        return claim_detail_parts_by_query(row, user)
    from django.db import connection

    sql, template = _parts_statement(is_desk(user))
    actual = {
        _STAND_INS["id"]: row["id"],
        _STAND_INS["duplicate_of_id"]: row["duplicate_of_id"],
        _STAND_INS["user"]: user.pk,
    }
    params = [actual.get(p, p) if isinstance(p, int) else p for p in template]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
        names = [column.name for column in cursor.description]
    return {
        name: [json.loads(item) if isinstance(item, str) else item for item in items]
        for name, items in zip(names, values, strict=True)
    }


def claim_detail_parts_by_query(row: dict[str, Any], user: Any) -> dict[str, Any]:
    """claim_detail_parts, a query per part (SQLite)."""
    parts = _detail_parts(row.__getitem__, user, is_desk(user))
    return {name: list(part.values(*columns)) for name, (part, columns) in parts.items()}


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
