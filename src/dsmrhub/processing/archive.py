"""The archive: use per hour of a local day, per day of a month, per month of a year — from the aggregates.

Hours come from ``HourStatistics``, days from ``DayStatistics`` and months from ``DayStatistics`` summed per
month in SQL; nothing reads raw readings. Days are local days (settings.TIME_ZONE), so a day has 23, 24 or
25 hour slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import HOUR, day_end, day_start, from_epoch, local_zone

USE_FIELDS = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")
COST_FIELDS = ("electricity1_cost", "electricity2_cost", "gas_cost", "fixed_cost", "total_cost")
KINDS = ("day", "month", "year")
FIRST_YEAR = 1971
LAST_YEAR = 2199
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class PeriodError(ValueError):
    """A period parameter that cannot be used; the message says why (translated)."""


@dataclass(frozen=True, slots=True)
class ArchivePeriod:
    kind: str  # "day", "month" or "year"
    first: date
    last: date  # inclusive

    @property
    def previous(self) -> ArchivePeriod | None:
        return _shift(self, -1)

    @property
    def next(self) -> ArchivePeriod | None:
        return _shift(self, 1)

    def of_kind(self, kind: str) -> ArchivePeriod:
        """The period of another kind that contains this period's first day."""
        return archive_period_of(kind=kind, day=self.first)


def archive_period_of(*, kind: str, day: date) -> ArchivePeriod:
    if kind == "day":
        return ArchivePeriod("day", day, day)
    if kind == "month":
        first = day.replace(day=1)
        return ArchivePeriod("month", first, _month_after(first) - timedelta(days=1))
    if kind == "year":
        return ArchivePeriod("year", date(day.year, 1, 1), date(day.year, 12, 31))
    raise PeriodError(_("Unknown period “%(kind)s”: choose day, month or year.") % {"kind": kind})


def _month_after(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _shift(period: ArchivePeriod, step: int) -> ArchivePeriod | None:
    if period.kind == "day":
        target = period.first + timedelta(days=step)
    elif period.kind == "month":
        target = _month_after(period.first) if step > 0 else (period.first - timedelta(days=1))
    else:
        target = date(period.first.year + step, 1, 1)
    if not FIRST_YEAR <= target.year <= LAST_YEAR:
        return None
    return archive_period_of(kind=period.kind, day=target)


def date_parse(*, value: str, complete: bool = False) -> tuple[date, int]:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` → (first day, number of parts given); ``PeriodError`` if bad.

    With ``complete`` only a full date is accepted.
    """
    match = _DATE.match(value.strip())
    if not match or (complete and match.group(3) is None):
        expected = "YYYY-MM-DD" if complete else "YYYY, YYYY-MM or YYYY-MM-DD"
        raise PeriodError(
            _("“%(value)s” is not a date: use %(expected)s.") % {"value": value[:40], "expected": expected}
        )
    parts = [int(part) for part in match.groups() if part is not None]
    try:
        day = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise PeriodError(_("“%(value)s” is not an existing date.") % {"value": value[:40]}) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError(
            _("%(value)s is out of range: dates from %(first)s to %(last)s.")
            % {"value": value[:40], "first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return day, len(parts)


def archive_period_parse(*, kind: str | None, value: str | None, today: date) -> ArchivePeriod:
    """The period asked for by ``?period=day|month|year&date=…``; defaults: today's day.

    A day needs YYYY-MM-DD; a month takes YYYY-MM or any day in it; a year takes YYYY or any day in it.
    """
    kind = (kind or "day").strip()
    if kind not in KINDS:
        raise PeriodError(_("Unknown period “%(kind)s”: choose day, month or year.") % {"kind": kind[:20]})
    if not value or not value.strip():
        return archive_period_of(kind=kind, day=today)
    day, parts = date_parse(value=value)
    if kind == "day" and parts < 3:
        raise PeriodError(_("A day needs a full date (YYYY-MM-DD), not “%(value)s”.") % {"value": value[:40]})
    if kind == "month" and parts < 2:
        raise PeriodError(_("A month needs YYYY-MM or a full date, not “%(value)s”.") % {"value": value[:40]})
    return archive_period_of(kind=kind, day=day)


@dataclass
class ArchiveRow:
    start: date | datetime  # local date (days, months) or local datetime (hours)
    label: str  # language-neutral label (hours: "14:00"); the view may localise dates
    use: dict[str, Decimal] | None  # USE_FIELDS plus "returned"; None when there is no data
    total_cost: Decimal | None = None
    imported: bool = False  # an hour or day of imported history (processing.history)


@dataclass
class ArchiveData:
    period: ArchivePeriod
    rows: list[ArchiveRow]
    totals: dict[str, Decimal] | None  # USE_FIELDS + "returned" + "electricity"; None without data
    costs: dict[str, Decimal] | None  # COST_FIELDS + "electricity_cost"; None without day statistics
    costs_per_row: bool  # month and year rows have costs; hours do not
    extra: dict[str, Any] = field(default_factory=dict)


def _use(values: dict[str, Any]) -> dict[str, Decimal]:
    use = {name: values[name] or Decimal("0.000") for name in USE_FIELDS}
    use["returned"] = use["electricity1_returned"] + use["electricity2_returned"]
    use["electricity"] = use["electricity1"] + use["electricity2"]
    return use


def _sums(rows: list[ArchiveRow]) -> dict[str, Decimal] | None:
    present = [row.use for row in rows if row.use is not None]
    if not present:
        return None
    return {name: sum((use[name] for use in present), Decimal("0.000")) for name in present[0]}


def archive_data(*, period: ArchivePeriod) -> ArchiveData:
    """The rows of a period (every slot, also those without data) with totals and costs."""
    if period.kind == "day":
        return _day(period)
    if period.kind == "month":
        return _month(period)
    return _year(period)


def _day(period: ArchivePeriod) -> ArchiveData:
    zone = local_zone()
    start, end = day_start(period.first), day_end(period.first)
    stats = {
        row["hour_start"]: row
        for row in HourStatistics.objects.filter(
            hour_start__gte=from_epoch(start), hour_start__lt=from_epoch(end)
        ).values("hour_start", "imported", *USE_FIELDS)
    }
    slots = range(start, end, HOUR)
    unusual = len(slots) != 24  # 23- or 25-hour day: name the zone so 02:00 CEST and 02:00 CET differ
    rows = []
    for moment in slots:
        local = from_epoch(moment).astimezone(zone)
        row = stats.get(from_epoch(moment))
        label = local.strftime("%H:%M %Z" if unusual else "%H:%M")
        rows.append(
            ArchiveRow(
                start=local,
                label=label,
                use=_use(row) if row else None,
                imported=bool(row and row["imported"]),
            )
        )
    day = DayStatistics.objects.filter(day=period.first).values("imported", *COST_FIELDS).first()
    extra = {"imported": bool(day and day["imported"])}
    return ArchiveData(period, rows, _sums(rows), _costs(day), costs_per_row=False, extra=extra)


def _costs(values: dict[str, Any] | None) -> dict[str, Decimal] | None:
    if values is None or all(values[name] is None for name in COST_FIELDS):
        return None
    costs = {name: values[name] or Decimal("0.00") for name in COST_FIELDS}
    costs["electricity_cost"] = costs["electricity1_cost"] + costs["electricity2_cost"]
    return costs


def _month(period: ArchivePeriod) -> ArchiveData:
    stats = {
        row["day"]: row
        for row in DayStatistics.objects.filter(day__gte=period.first, day__lte=period.last).values(
            "day", "imported", *USE_FIELDS, "total_cost"
        )
    }
    rows = []
    day = period.first
    while day <= period.last:
        row = stats.get(day)
        rows.append(
            ArchiveRow(
                start=day,
                label=day.isoformat(),
                use=_use(row) if row else None,
                total_cost=row["total_cost"] if row else None,
                imported=bool(row and row["imported"]),
            )
        )
        day += timedelta(days=1)
    costs = DayStatistics.objects.filter(day__gte=period.first, day__lte=period.last).aggregate(
        **{name: Sum(name) for name in COST_FIELDS}
    )
    return ArchiveData(period, rows, _sums(rows), _costs(costs), costs_per_row=True)


def _year(period: ArchivePeriod) -> ArchiveData:
    days = DayStatistics.objects.filter(day__gte=period.first, day__lte=period.last)
    per_month = (
        days.annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(**{name: Sum(name) for name in USE_FIELDS}, total_cost=Sum("total_cost"))
        .order_by("month")
    )
    stats = {_as_date(row["month"]): row for row in per_month}
    rows = []
    for month in range(1, 13):
        first = date(period.first.year, month, 1)
        row = stats.get(first)
        rows.append(
            ArchiveRow(
                start=first,
                label=first.strftime("%Y-%m"),
                use=_use(row) if row else None,
                total_cost=row["total_cost"] if row else None,
            )
        )
    costs = days.aggregate(**{name: Sum(name) for name in COST_FIELDS})
    return ArchiveData(period, rows, _sums(rows), _costs(costs), costs_per_row=True)


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
