"""Trends and compare: averages by hour of day and weekday, the tariff split, and two periods side by side.

Hours of day come from ``HourStatistics`` (grouped by local hour in Python: at most 24 rows a day are read),
weekdays, the tariff split and the compared periods from ``DayStatistics`` with SQL sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import ExtractIsoWeekDay
from django.utils.translation import gettext as _

from dsmrhub.processing.archive import USE_FIELDS, PeriodError, archive_period_of, date_parse
from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import day_end, day_start, from_epoch, local_zone
from dsmrhub.processing.selectors import day_statistics_totals

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 5
KWH = Decimal("0.001")
PERCENT = Decimal("0.1")
ZERO = Decimal("0.000")


@dataclass(frozen=True, slots=True)
class DateRange:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def trends_range_parse(*, start: str | None, end: str | None, today: date) -> DateRange:
    """``?start=YYYY-MM-DD&end=YYYY-MM-DD`` (both inclusive); default the last 30 complete days."""
    last = date_parse(value=end, complete=True)[0] if end and end.strip() else today - timedelta(days=1)
    if start and start.strip():
        first = date_parse(value=start, complete=True)[0]
    else:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise PeriodError(_backwards(first, last))
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(_("Choose a range of at most %(days)s days.") % {"days": MAX_DAYS})
    return DateRange(first, last)


def _backwards(first: date, last: date) -> str:
    return _("The end date %(last)s lies before the start date %(first)s.") % {
        "first": first.isoformat(),
        "last": last.isoformat(),
    }


def _mean(total: Decimal, count: int) -> Decimal | None:
    return (total / count).quantize(KWH, rounding=ROUND_HALF_UP) if count else None


def trends_by_hour(*, span: DateRange) -> list[dict[str, Any]]:
    """Mean use in each local hour of the day (0–23) over the hours with statistics in ``span``."""
    zone = local_zone()
    totals = [{"electricity": ZERO, "returned": ZERO, "gas": ZERO, "hours": 0} for _ in range(24)]
    hours = HourStatistics.objects.filter(
        hour_start__gte=from_epoch(day_start(span.first)), hour_start__lt=from_epoch(day_end(span.last))
    ).values_list("hour_start", *USE_FIELDS)
    for hour_start, e1, e2, r1, r2, gas in hours.iterator(chunk_size=2000):
        bucket = totals[hour_start.astimezone(zone).hour]
        bucket["electricity"] += e1 + e2
        bucket["returned"] += r1 + r2
        bucket["gas"] += gas
        bucket["hours"] += 1
    return [
        {
            "hour": hour,
            "label": f"{hour:02d}:00",
            "electricity": _mean(bucket["electricity"], bucket["hours"]),
            "returned": _mean(bucket["returned"], bucket["hours"]),
            "gas": _mean(bucket["gas"], bucket["hours"]),
            "count": bucket["hours"],
        }
        for hour, bucket in enumerate(totals)
    ]


def trends_by_weekday(*, span: DateRange) -> list[dict[str, Any]]:
    """Mean use and costs per ISO weekday (1 = Monday … 7 = Sunday) over the days with statistics."""
    rows = (
        DayStatistics.objects.filter(day__gte=span.first, day__lte=span.last)
        .annotate(weekday=ExtractIsoWeekDay("day"))
        .values("weekday")
        .annotate(**{name: Sum(name) for name in USE_FIELDS}, total_cost=Sum("total_cost"), days=Count("day"))
    )
    by_weekday = {row["weekday"]: row for row in rows}
    result = []
    for weekday in range(1, 8):
        row = by_weekday.get(weekday)
        count = row["days"] if row else 0
        result.append(
            {
                "weekday": weekday,
                "electricity": _mean(row["electricity1"] + row["electricity2"], count) if row else None,
                "returned": _mean(row["electricity1_returned"] + row["electricity2_returned"], count)
                if row
                else None,
                "gas": _mean(row["gas"], count) if row else None,
                "total_cost": (row["total_cost"] / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                if row
                else None,
                "count": count,
            }
        )
    return result


def period_totals(*, first: date, last: date) -> dict[str, Any]:
    """Sums of the day statistics in [first, last]: use per tariff, returned, gas, costs, days with data."""
    sums = day_statistics_totals(first=first, last=last)
    values = {name: sums[name] for name in USE_FIELDS}
    values["returned"] = values["electricity1_returned"] + values["electricity2_returned"]
    values["electricity"] = values["electricity1"] + values["electricity2"]
    values["total_cost"] = sums["total_cost"]
    values["days"] = sums["days"]
    return values


def trends_tariff_split(*, span: DateRange) -> dict[str, Any]:
    """Electricity per tariff with each tariff's share of the delivered total, and returned as a share."""
    totals = period_totals(first=span.first, last=span.last)
    delivered = totals["electricity"]

    def share(amount: Decimal) -> Decimal | None:
        return (amount * 100 / delivered).quantize(PERCENT, rounding=ROUND_HALF_UP) if delivered else None

    return {
        **totals,
        "electricity1_share": share(totals["electricity1"]),
        "electricity2_share": share(totals["electricity2"]),
        "returned_share": share(totals["returned"]),
    }


@dataclass(frozen=True, slots=True)
class ComparePeriod:
    text: str  # as given (normalised), for the form
    first: date
    last: date


def compare_period_parse(*, value: str) -> ComparePeriod:
    """``YYYY`` (a year), ``YYYY-MM`` (a month), ``YYYY-MM-DD`` (a day) or ``YYYY-MM-DD..YYYY-MM-DD``."""
    text = value.strip()
    if ".." in text:
        start, _sep, end = text.partition("..")
        first = date_parse(value=start, complete=True)[0]
        last = date_parse(value=end, complete=True)[0]
        if last < first:
            raise PeriodError(_backwards(first, last))
        return ComparePeriod(f"{first.isoformat()}..{last.isoformat()}", first, last)
    day, parts = date_parse(value=text)
    kind = {1: "year", 2: "month", 3: "day"}[parts]
    period = archive_period_of(kind=kind, day=day)
    return ComparePeriod(text, period.first, period.last)


def compare_default(*, today: date) -> tuple[str, str]:
    """This month against the same month a year earlier."""
    this_month = today.replace(day=1)
    return this_month.strftime("%Y-%m"), this_month.replace(year=this_month.year - 1).strftime("%Y-%m")


COMPARED = ("electricity1", "electricity2", "electricity", "returned", "gas", "total_cost", "days")


def periods_compare(*, a: ComparePeriod, b: ComparePeriod) -> list[dict[str, Any]]:
    """One row per figure: the value in a, in b, a − b, and that difference as a percentage of b."""
    totals_a = period_totals(first=a.first, last=a.last)
    totals_b = period_totals(first=b.first, last=b.last)
    rows = []
    for name in COMPARED:
        value_a, value_b = totals_a[name], totals_b[name]
        difference = value_a - value_b
        percent = (Decimal(difference) * 100 / value_b).quantize(PERCENT, ROUND_HALF_UP) if value_b else None
        rows.append({"name": name, "a": value_a, "b": value_b, "difference": difference, "percent": percent})
    return rows
