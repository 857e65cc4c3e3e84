from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DSMR-reader's ``limit``/``offset`` paging, but a bad value is a 400 with a reason, not ignored."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def paginate_queryset(self, queryset, request, view=None):
        self._count_rows = getattr(view, "count_rows", None)
        return super().paginate_queryset(queryset, request, view)

    def get_count(self, queryset) -> int:
        """A view may count faster than COUNT(*) (readings: a year of 1 s data would take a second)."""
        if self._count_rows is not None:
            return self._count_rows(queryset)
        return super().get_count(queryset)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """``limit`` and ``offset`` with the bounds ``_parse`` enforces (a value outside is a 400)."""
        limit = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})",
                "schema": limit,
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": "rows to skip",
                "schema": {"type": "integer", "minimum": 0, "default": 0},
            },
        ]

    def get_limit(self, request) -> int:
        return self._parse(request, self.limit_query_param, self.default_limit, minimum=1, maximum=MAX_LIMIT)

    def get_offset(self, request) -> int:
        return self._parse(request, self.offset_query_param, 0, minimum=0, maximum=None)

    @staticmethod
    def _parse(request, name: str, default: int, *, minimum: int, maximum: int | None) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: [f"must be a whole number, got {raw[:40]!r}"]}) from None
        if value < minimum or (maximum is not None and value > maximum):
            limits = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise ValidationError({name: [f"must be {limits}, got {value}"]})
        return value
