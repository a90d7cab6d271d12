from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class CursorPagination(pagination.CursorPagination):
    """Stable pages under concurrent inserts; `page_size` is bounded by API_MAX_PAGE_SIZE."""

    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = "-created_at"

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        # A view without an ordering filter still names its own stable ordering.
        has_filter = any(hasattr(f, "get_ordering") for f in getattr(view, "filter_backends", []))
        ordering = getattr(view, "ordering", None)
        if not has_filter and ordering:
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return tuple(super().get_ordering(request, queryset, view))

    INVALID = "This cursor is not valid; start again without it."

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        # A cursor is opaque but not signed: a hand-made one can carry a position that is
        # not a value of the ordering field (a date that is not a date, a NUL character).
        # It is checked against the field before the query (_check_position); what only the
        # query can reveal is still a 400 naming the parameter, never a 500.
        self._queryset = queryset
        if self.cursor_query_param not in request.query_params:
            return super().paginate_queryset(queryset, request, view)
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
            raise ValidationError({self.cursor_query_param: [self.INVALID]}) from exc

    def decode_cursor(self, request: Any) -> Any:
        # DRF answers a cursor it cannot read with 404; it is a bad parameter, so 400.
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [self.INVALID]}) from exc
        if cursor is not None and cursor.position is not None:
            self._check_position(request, cursor.position)
        return cursor

    def _check_position(self, request: Any, position: Any) -> None:
        position = str(position)
        if "\x00" in position or len(position) > 1000:
            raise ValidationError({self.cursor_query_param: [self.INVALID]})
        model = getattr(getattr(self, "_queryset", None), "model", None)
        if model is None or not self.ordering:
            return
        try:
            field = model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:
            return  # an annotation: the database compares it, errors are caught above
        try:
            field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError) as exc:
            raise ValidationError({self.cursor_query_param: [self.INVALID]}) from exc
