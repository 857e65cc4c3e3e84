"""Compact column types: a reading is stored in well under 100 bytes, yet Python sees datetimes and Decimals.

SQLite stores integers in 1–8 bytes by size, but a DecimalField as an 8-byte REAL and a DateTimeField as a
26-character text. Meter positions are therefore stored as whole thousandths and timestamps as whole Unix
seconds; the ORM converts both ways, so lookups (``timestamp__gte=datetime``) and Sum/Min/Max aggregates
work unchanged. Raw SQL sees the integers (``timestamp / 60`` is the UTC minute).

The conversions to those integers are written here once (``round_stored``,
``ScaledDecimalField.column_value``, ``epoch_column``); the ingest check (``readings.check``) and the plain
SQL of ``readings.sql`` call them instead of going through the ORM.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.db import models
from django.db.models import lookups
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property

# One rounding rule for every stored decimal (meter positions, powers, voltages, currents): to the column's
# places, halves rounded up (away from zero; stored values are never negative). A meter sends its values at
# its own precision, so this only matters for values with more places: API v2 POST values and the
# per-minute means of processing. Those means, costs and the live watts are rounded half up as documented
# in the README, so a reading is stored as a mean of it would be, and one rule holds from the API down to
# the columns (a reading's values are subtracted and averaged, never summed, so half-even's lack of bias
# buys nothing here). Used by the model fields, both ingest paths (``readings.check``) and the API v2
# serializer; processing's SQL means apply it in SQL (``processing.sql.mean_half_up``).
STORED_ROUNDING = ROUND_HALF_UP
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(10)}


def round_stored(value: Decimal, places: int) -> Decimal:
    """``value`` at ``places`` decimals by the stored-value rule (``STORED_ROUNDING``: half up).
    Raises ``decimal.InvalidOperation`` when the result would need more than 28 digits."""
    return value.quantize(_QUANTA[places], rounding=STORED_ROUNDING)


def epoch_column(moment: datetime) -> int:
    """An aware datetime as its ``EpochSecondsField`` column: whole Unix seconds, sub-seconds dropped."""
    return math.floor(moment.timestamp())


class _CompactIntegerField(models.BigIntegerField):
    def db_type(self, connection) -> str:
        # SQLite only makes an "integer" primary key the rowid (no separate index): say exactly that.
        return "integer" if connection.vendor == "sqlite" else "bigint"

    def rel_db_type(self, connection) -> str:
        return self.db_type(connection)

    @cached_property
    def validators(self) -> list:
        return list(self._validators)  # integer range validators would compare against Python objects


class EpochSecondsField(_CompactIntegerField):
    """An aware datetime, stored as whole seconds since 1970-01-01 UTC (sub-seconds are dropped)."""

    description = "UTC timestamp stored as Unix seconds"

    def from_db_value(self, value, expression, connection):
        return None if value is None else datetime.fromtimestamp(value, UTC)

    def to_python(self, value):
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, int):
            return datetime.fromtimestamp(value, UTC)
        parsed = parse_datetime(str(value))
        if parsed is None:
            raise forms.ValidationError(f"{value!r} is not a datetime")
        return parsed

    def get_prep_value(self, value):
        if value is None or isinstance(value, int):
            return value
        value = self.to_python(value)
        if timezone.is_naive(value):
            raise ValueError(f"naive datetime {value} given for {self.name}; timestamps must be aware")
        return epoch_column(value)

    def value_to_string(self, obj) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else value.isoformat()

    def formfield(self, **kwargs):
        return forms.DateTimeField(**kwargs)


class ScaledDecimalField(_CompactIntegerField):
    """A Decimal with fixed ``decimal_places``, stored as an integer count of the smallest unit."""

    description = "Decimal stored as a scaled integer"

    def __init__(self, *args, max_digits: int, decimal_places: int, **kwargs) -> None:
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.limit = Decimal(10) ** (max_digits - decimal_places)  # rounded values must stay below it
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(max_digits=self.max_digits, decimal_places=self.decimal_places)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return None if value is None else Decimal(int(value)).scaleb(-self.decimal_places)

    def to_python(self, value):
        if value is None:
            return None
        try:
            return round_stored(Decimal(str(value)), self.decimal_places)
        except ArithmeticError:
            raise forms.ValidationError(f"{value!r} is not a decimal number") from None

    def column_value(self, value: Decimal) -> int:
        """A Decimal's column value: rounded by ``round_stored``, in whole units of the last place.
        Raises ``ArithmeticError`` for NaN, infinity and numbers too long to round."""
        return int(round_stored(value, self.decimal_places).scaleb(self.decimal_places))

    def get_prep_value(self, value):
        if value is None:
            return None
        return int(self.to_python(value).scaleb(self.decimal_places))

    def value_to_string(self, obj) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs):
        return forms.DecimalField(max_digits=self.max_digits, decimal_places=self.decimal_places, **kwargs)


class _EpochBoundMixin:
    """A range bound with sub-seconds must round the way that keeps the comparison exact:
    ``timestamp >= 10.25`` is ``timestamp >= 11`` on whole seconds, ``timestamp <= 10.25`` is ``<= 10``."""

    round_up: bool

    def get_prep_lookup(self):
        if isinstance(self.rhs, datetime) and self.rhs.microsecond:
            whole = self.lhs.output_field.get_prep_value(self.rhs)  # floor, and refuses naive datetimes
            return whole + 1 if self.round_up else whole
        return super().get_prep_lookup()


@EpochSecondsField.register_lookup
class EpochGreaterThanOrEqual(_EpochBoundMixin, lookups.GreaterThanOrEqual):
    round_up = True


@EpochSecondsField.register_lookup
class EpochLessThan(_EpochBoundMixin, lookups.LessThan):
    round_up = True


@EpochSecondsField.register_lookup
class EpochGreaterThan(_EpochBoundMixin, lookups.GreaterThan):
    round_up = False


@EpochSecondsField.register_lookup
class EpochLessThanOrEqual(_EpochBoundMixin, lookups.LessThanOrEqual):
    round_up = False
