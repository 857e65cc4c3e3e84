from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from dsmrhub.readings.models import DsmrReading


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
            return fields
        return self.get_default_ordering(view)


class DsmrReadingFilter(filters.FilterSet):
    timestamp__gte = filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    timestamp__lte = filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")

    class Meta:
        model = DsmrReading
        fields: list[str] = []
