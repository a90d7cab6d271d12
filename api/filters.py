"""Query filters (django-filter). Relations are filtered with EXISTS subqueries, so a
claim that matches through several appearances is listed once, with no DISTINCT.

Choice filters on a column of the listed table itself say `distinct=False`: django-filter
adds DISTINCT to every multiple-choice filter by default, which turns a page of 50 read
from an index into a sort of every matching row (see BENCHMARKS.md)."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import Exists, OuterRef, QuerySet
from django_filters.rest_framework import DjangoFilterBackend

from claims.models import (
    Actor,
    Appearance,
    Attribution,
    Claim,
    Evidence,
    Figure,
    Review,
    ReviewTask,
    Source,
)
from claims.selectors import claim_search


class QueryFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the view's filters: building
    a FilterSet (a deep copy of every filter, a form) costs a millisecond a request, on
    every detail read and unfiltered page, to change nothing.

    A request whose only filters are choice filters (`?status=queued`, the desk's claims
    list) with valid values is filtered by those filters themselves, without the FilterSet
    and its form: the same query for a millisecond and a half less. Anything else, an
    invalid value above all, goes through the FilterSet, which answers with its 400."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return super().filter_queryset(request, queryset, view)
        params = request.query_params
        named = [name for name in filterset_class.base_filters if name in params]
        if not named:
            return queryset
        chosen = [(filterset_class.base_filters[name], params.getlist(name)) for name in named]
        if all(_is_plain_choice(filter_, values) for filter_, values in chosen):
            for filter_, values in chosen:
                queryset = filter_.filter(queryset, values)
            return queryset
        return super().filter_queryset(request, queryset, view)


def _is_plain_choice(filter_: df.Filter, values: list[str]) -> bool:
    """A MultipleChoiceFilter on a field (no method of its own) and values all among its
    choices: what the FilterSet's form would accept and pass on unchanged."""
    return (
        type(filter_) is df.MultipleChoiceFilter
        and filter_.method is None
        and bool(values)
        and all(filter_.field.valid_value(value) for value in values)
    )


class ClaimFilter(df.FilterSet):
    q = df.CharFilter(method="filter_q", max_length=500, label="Full-text search")
    status = df.MultipleChoiceFilter(choices=Claim.Status.choices, distinct=False)
    kind = df.MultipleChoiceFilter(choices=Claim.Kind.choices, distinct=False)
    language = df.CharFilter(max_length=10)
    actor = df.NumberFilter(method="filter_actor", min_value=1, label="Attributed to actor id")
    publisher = df.NumberFilter(method="filter_publisher", min_value=1)
    source = df.NumberFilter(method="filter_source", min_value=1)
    topic = df.CharFilter(field_name="topics__slug", max_length=200, label="Topic slug")
    rating = df.CharFilter(method="filter_rating", max_length=50, label="Published rating slug")
    first_seen_after = df.IsoDateTimeFilter(field_name="first_seen_at", lookup_expr="gte")
    first_seen_before = df.IsoDateTimeFilter(field_name="first_seen_at", lookup_expr="lt")
    published_after = df.IsoDateTimeFilter(method="filter_published_after")
    published_before = df.IsoDateTimeFilter(method="filter_published_before")
    min_checkworthiness = df.NumberFilter(
        field_name="checkworthiness", lookup_expr="gte", min_value=0, max_value=1
    )
    has_figures = df.BooleanFilter(method="filter_has_figures")

    class Meta:
        model = Claim
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        # The list's default order; another (?ordering=checkworthiness) sorts every match.
        ordering = self.request.GET.get("ordering", "") if self.request else ""
        newest_first = ordering.split(",")[0].strip() in {"", "-first_seen_at"}
        return claim_search(queryset, value, newest_first=newest_first)

    def _exists(self, queryset: QuerySet[Claim], subquery: QuerySet[Any]) -> QuerySet[Claim]:
        return queryset.filter(Exists(subquery))

    def filter_actor(self, queryset: QuerySet[Claim], name: str, value: Any) -> QuerySet[Claim]:
        return self._exists(
            queryset,
            Attribution.objects.filter(appearance__claim=OuterRef("pk"), actor_id=int(value)),
        )

    def filter_publisher(self, queryset: QuerySet[Claim], name: str, value: Any) -> QuerySet[Claim]:
        return self._exists(
            queryset,
            Appearance.objects.filter(claim=OuterRef("pk"), source__publisher_id=int(value)),
        )

    def filter_source(self, queryset: QuerySet[Claim], name: str, value: Any) -> QuerySet[Claim]:
        return self._exists(
            queryset, Appearance.objects.filter(claim=OuterRef("pk"), source_id=int(value))
        )

    def _published(self) -> QuerySet[Review]:
        return Review.objects.filter(claim=OuterRef("pk"), status=Review.Status.PUBLISHED)

    def filter_rating(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return self._exists(queryset, self._published().filter(rating__slug=value))

    def filter_published_after(
        self, queryset: QuerySet[Claim], name: str, value: Any
    ) -> QuerySet[Claim]:
        return self._exists(queryset, self._published().filter(published_at__gte=value))

    def filter_published_before(
        self, queryset: QuerySet[Claim], name: str, value: Any
    ) -> QuerySet[Claim]:
        return self._exists(queryset, self._published().filter(published_at__lt=value))

    def filter_has_figures(
        self, queryset: QuerySet[Claim], name: str, value: Any
    ) -> QuerySet[Claim]:
        if value is None:
            return queryset
        figures = Exists(Figure.objects.filter(appearance__claim=OuterRef("pk")))
        return queryset.filter(figures) if value else queryset.exclude(figures)


class SourceFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(choices=Source.Status.choices, distinct=False)
    kind = df.MultipleChoiceFilter(choices=Source.Kind.choices, distinct=False)
    publisher = df.NumberFilter(field_name="publisher_id", min_value=1)

    class Meta:
        model = Source
        fields: list[str] = []


class AppearanceFilter(df.FilterSet):
    claim = df.NumberFilter(field_name="claim_id", min_value=1)
    source = df.NumberFilter(field_name="source_id", min_value=1)

    class Meta:
        model = Appearance
        fields: list[str] = []


class AttributionFilter(df.FilterSet):
    claim = df.NumberFilter(field_name="appearance__claim_id", min_value=1)
    source = df.NumberFilter(field_name="appearance__source_id", min_value=1)
    actor = df.NumberFilter(field_name="actor_id", min_value=1)
    kind = df.MultipleChoiceFilter(choices=Attribution.Kind.choices, distinct=False)

    class Meta:
        model = Attribution
        fields: list[str] = []


class FigureFilter(df.FilterSet):
    claim = df.NumberFilter(field_name="appearance__claim_id", min_value=1)
    source = df.NumberFilter(field_name="appearance__source_id", min_value=1)
    publisher = df.NumberFilter(field_name="appearance__source__publisher_id", min_value=1)
    metric = df.CharFilter(field_name="metric", lookup_expr="iexact", max_length=100)
    topic = df.CharFilter(method="filter_topic", max_length=200, label="Topic slug")
    qualifier = df.MultipleChoiceFilter(choices=Figure.Qualifier.choices, distinct=False)

    class Meta:
        model = Figure
        fields: list[str] = []

    def filter_topic(self, queryset: QuerySet[Figure], name: str, value: str) -> QuerySet[Figure]:
        topics = Claim.topics.through.objects.filter(
            claim_id=OuterRef("appearance__claim_id"), topic__slug=value
        )
        return queryset.filter(Exists(topics))


class ActorFilter(df.FilterSet):
    name = df.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)
    kind = df.MultipleChoiceFilter(choices=Actor.Kind.choices, distinct=False)

    class Meta:
        model = Actor
        fields: list[str] = []


class EvidenceFilter(df.FilterSet):
    claim = df.NumberFilter(field_name="claim_id", min_value=1)
    stance = df.MultipleChoiceFilter(choices=Evidence.Stance.choices, distinct=False)

    class Meta:
        model = Evidence
        fields: list[str] = []


class ReviewFilter(df.FilterSet):
    claim = df.NumberFilter(field_name="claim_id", min_value=1)
    status = df.MultipleChoiceFilter(choices=Review.Status.choices, distinct=False)

    class Meta:
        model = Review
        fields: list[str] = []


class TaskFilter(df.FilterSet):
    state = df.MultipleChoiceFilter(choices=ReviewTask.State.choices, distinct=False)
    kind = df.MultipleChoiceFilter(choices=ReviewTask.Kind.choices, distinct=False)
    mine = df.BooleanFilter(method="filter_mine", label="Only tasks assigned to me")

    class Meta:
        model = ReviewTask
        fields: list[str] = []

    def filter_mine(
        self, queryset: QuerySet[ReviewTask], name: str, value: Any
    ) -> QuerySet[ReviewTask]:
        if value:
            return queryset.filter(assignee=self.request.user if self.request else None)
        return queryset
