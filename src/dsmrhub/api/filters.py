"""Query parameters of API v2: filters, ordering and the check that refuses a parameter nobody reads.

Every parameter an endpoint takes must change its answer: an unknown one (``timestamp=`` on an endpoint
without it, a typo such as ``day_gte``) is a 400 naming the parameters the endpoint knows, never a 200 with
unfiltered data a client would take for an answer to its question.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import permutations, product

from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.settings import api_settings

from dsmrhub.readings.models import DsmrReading

READ_METHODS = ("GET", "HEAD")


class StrictOrderingFilter(OrderingFilter):
    """``ordering`` accepts only the documented fields; anything else is a 400, not silently ignored."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            allowed = {name for name, _ in self.get_valid_fields(queryset, view, {"request": request})}
            fields = [part.strip() for part in params.split(",") if part.strip()]
            bad = [field for field in fields if field.lstrip("-") not in allowed]
            if bad or not fields:
                raise ValidationError(
                    {
                        "ordering": [
                            f"unknown field {', '.join(bad) or params!r}; use {', '.join(sorted(allowed))}"
                        ]
                    }
                )
            return self._with_tie_breaker(fields, view)
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """``ordering`` with every value ``get_ordering`` accepts: one field or several distinct ones,
        comma-separated, each ascending or descending (``-``)."""
        fields = [name for name, _ in self.get_valid_fields(view.get_queryset(), view, {"request": None})]
        if not fields:
            return []
        default = ",".join(self.get_default_ordering(view) or fields[:1])
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"sort by {', '.join(fields)}; '-' first for descending, "
                f"several comma-separated (default {default})",
                "schema": {"type": "string", "enum": ordering_values(fields)},
            }
        ]

    @staticmethod
    def _with_tie_breaker(fields: list[str], view) -> list[str]:
        """Rows equal on the requested fields keep one order (paging must neither repeat nor skip one):
        a view's ``tie_breaker`` follows, in the direction of the first field."""
        tie = getattr(view, "tie_breaker", None)
        if tie is None or any(field.lstrip("-") == tie for field in fields):
            return fields
        return [*fields, f"-{tie}" if fields[0].startswith("-") else tie]


def ordering_values(fields: list[str]) -> list[str]:
    """Every ``ordering`` value over ``fields``: ordered selections of distinct fields, each signed."""
    values: list[str] = []
    for size in range(1, len(fields) + 1):
        for chosen in permutations(fields, size):
            for signs in product(("", "-"), repeat=size):
                values.append(",".join(sign + field for sign, field in zip(signs, chosen, strict=True)))
    return values


def query_params_check(*, given: Iterable[str], known: Iterable[str]) -> None:
    """A 400 naming the unknown parameters and the known ones, when ``given`` holds one not in ``known``."""
    known = sorted(set(known))
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValidationError(
            {
                "detail": f"unknown query parameter {', '.join(unknown)}; "
                f"this endpoint knows {', '.join(known)}",
                "unknown": unknown,
                "allowed": known,
            }
        )


class KnownQueryParamsMixin:
    """Refuse query parameters the endpoint does not read (after authentication: a 401 comes first).

    A list (GET) knows its filterset's filters, ``ordering`` when it orders and ``limit``/``offset`` when it
    pages; every method knows ``format`` (``?format=json``, DRF's format override). ``method_query_params``
    adds the parameters other methods read (the readings' range DELETE)."""

    method_query_params: dict[str, tuple[str, ...]] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not hasattr(self, request.method.lower()):
            return  # a method the endpoint lacks: its 405 (with Allow), not a 400 about the query
        query_params_check(given=request.query_params.keys(), known=self.known_query_params(request))

    def known_query_params(self, request) -> set[str]:
        known = {api_settings.URL_FORMAT_OVERRIDE, *self.method_query_params.get(request.method, ())}
        if request.method in READ_METHODS and hasattr(self, "list"):
            filterset_class = getattr(self, "filterset_class", None)
            if filterset_class is not None:
                known.update(filterset_class.base_filters)
            for backend in self.filter_backends:
                if issubclass(backend, OrderingFilter) and getattr(self, "ordering_fields", None):
                    known.add(backend.ordering_param)
            paginator = self.paginator
            if paginator is not None:
                known.update(
                    name
                    for name in (
                        getattr(paginator, "limit_query_param", None),
                        getattr(paginator, "offset_query_param", None),
                    )
                    if name
                )
        return known


class EpochDateTimeFilter(filters.IsoDateTimeFilter):
    """A moment compared with a column of whole Unix seconds: ``gte`` a moment with sub-seconds starts at
    the next whole second and ``exact`` with sub-seconds matches nothing, so the rows returned and the
    readings' count (``reading_count``: ceil of the lower bound, floor of the upper) always agree."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES or not value.microsecond:
            return super().filter(qs, value)
        if self.lookup_expr == "exact":
            return qs.none()
        if self.lookup_expr == "gte":
            value = value.replace(microsecond=0) + timedelta(seconds=1)
        return super().filter(qs, value)


def moment_filter(field: str, lookup: str, *, what: str) -> EpochDateTimeFilter:
    """``field`` (exact, the form DSMR-reader v5 still accepts), ``field__gte`` or ``field__lte``."""
    label = {"exact": "exactly at", "gte": "at or after", "lte": "at or before"}[lookup]
    return EpochDateTimeFilter(field_name=field, lookup_expr=lookup, label=f"{what} {label} this moment")


class DsmrReadingFilter(filters.FilterSet):
    timestamp = moment_filter("timestamp", "exact", what="reading timestamp")
    timestamp__gte = moment_filter("timestamp", "gte", what="reading timestamp")
    timestamp__lte = moment_filter("timestamp", "lte", what="reading timestamp")

    class Meta:
        model = DsmrReading
        fields: list[str] = []

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """(since, until) in whole seconds, as the list filters them: ``timestamp`` is both bounds, a lower
        bound with sub-seconds rounds up, an upper one down; None where not given. Call after validation."""
        data = self.form.cleaned_data
        since, until, exact = data.get("timestamp__gte"), data.get("timestamp__lte"), data.get("timestamp")
        if exact is not None:
            since = exact if since is None else max(since, exact)
            until = exact if until is None else min(until, exact)
        if since is not None and since.microsecond:
            since = since.replace(microsecond=0) + timedelta(seconds=1)
        if until is not None:
            until = until.replace(microsecond=0)
        return since, until
