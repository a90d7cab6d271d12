from __future__ import annotations

from typing import Any

from django.conf import settings
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

    def decode_cursor(self, request: Any) -> Any:
        # DRF answers a cursor it cannot read with 404; it is a bad parameter, so 400.
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError(
                {self.cursor_query_param: ["This cursor is not valid; start again without it."]}
            ) from exc
