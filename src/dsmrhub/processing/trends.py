"""Trends and compare: averages by hour of day and weekday, the tariff split, and two periods side by side.

Hours of day come from ``HourStatistics`` (grouped by local hour in Python: at most 24 rows a day are read),
weekdays and the tariff split from ``DayStatistics`` with SQL sums. The compared periods (a day, an ISO week,
a month, a year or a range of days) are read by the archive (``processing.archive.archive_data``): the same
totals, costs and buckets as the archive page, today live from ``consumption_today`` as on the dashboard;
the water, heat and cooling meters' use (``ArchiveData.devices``) is compared when either period has some.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext as _

from dsmrhub.processing.archive import (
    FIRST_YEAR,
    USE_FIELDS,
    ArchivePeriod,
    ArchiveRow,
    DeviceTotal,
    PeriodError,
    archive_data,
    archive_period_of,
    archive_period_parse,
    date_parse,
)
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


COMPARE_KINDS = ("day", "week", "month", "year", "range")


@dataclass(frozen=True, slots=True)
class ComparePeriod:
    text: str  # as given (normalised), for the form
    kind: str  # one of COMPARE_KINDS
    first: date
    last: date  # inclusive

    @property
    def archive(self) -> ArchivePeriod:
        """The archive's view of this period (a range reads as a run of days)."""
        return ArchivePeriod(self.kind, self.first, self.last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _period_text(kind: str, first: date, last: date) -> str:
    if kind == "day":
        return first.isoformat()
    if kind == "week":
        year, week, _weekday = first.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if kind == "month":
        return f"{first.year:04d}-{first.month:02d}"
    if kind == "year":
        return f"{first.year:04d}"
    return f"{first.isoformat()}..{last.isoformat()}"


def _named(kind: str, day: date) -> ComparePeriod:
    period = archive_period_of(kind=kind, day=day)
    return ComparePeriod(_period_text(kind, period.first, period.last), kind, period.first, period.last)


def compare_period_parse(*, value: str) -> ComparePeriod:
    """``YYYY`` (a year), ``YYYY-MM`` (a month), ``YYYY-Www`` (an ISO week), ``YYYY-MM-DD`` (a day) or
    ``YYYY-MM-DD..YYYY-MM-DD`` (a range of days); ``PeriodError`` with the reason otherwise. The archive's
    rules read the dates and weeks, so a period means the same on both pages."""
    text = value.strip()
    if ".." in text:
        start, _sep, end = text.partition("..")
        first = date_parse(value=start, complete=True)[0]
        last = date_parse(value=end, complete=True)[0]
        if last < first:
            raise PeriodError(_backwards(first, last))
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(_("Choose a range of at most %(days)s days.") % {"days": MAX_DAYS})
        return ComparePeriod(_period_text("range", first, last), "range", first, last)
    if "w" in text.lower():  # an ISO week, YYYY-Www (no date holds a "w")
        week = archive_period_parse(kind="week", value=text, today=timezone.localdate())
        return _named("week", week.first)
    day, parts = date_parse(value=text)
    return _named({1: "year", 2: "month", 3: "day"}[parts], day)


def _year_earlier(day: date) -> date:
    return (
        day.replace(year=day.year - 1)
        if not (day.month == 2 and day.day == 29)
        else date(day.year - 1, 2, 28)
    )


def compare_previous(*, period: ComparePeriod) -> ComparePeriod | None:
    """The period just before (the day, week, month or year before; a range: as many days before)."""
    if period.kind == "range":
        last = period.first - timedelta(days=1)
        first = last - timedelta(days=period.days - 1)
        return (
            ComparePeriod(_period_text("range", first, last), "range", first, last)
            if first.year >= 1971
            else None
        )
    before = period.archive.previous
    return _named(period.kind, before.first) if before is not None else None


def compare_year_earlier(*, period: ComparePeriod) -> ComparePeriod | None:
    """The same period a year earlier (a week: the same ISO week number)."""
    if period.first.year <= FIRST_YEAR:
        return None
    if period.kind == "week":
        year, week, _weekday = period.first.isocalendar()
        week = min(week, date(year - 1, 12, 28).isocalendar()[1])  # week 53 falls back to week 52
        return _named("week", date.fromisocalendar(year - 1, week, 1))
    if period.kind == "range":
        first, last = _year_earlier(period.first), _year_earlier(period.last)
        return ComparePeriod(_period_text("range", first, last), "range", first, last)
    return _named(period.kind, _year_earlier(period.first))


def compare_default(*, today: date) -> tuple[str, str]:
    """This month so far against the month before."""
    this_month = _named("month", today)
    previous = compare_previous(period=this_month)
    return this_month.text, previous.text if previous else this_month.text


@dataclass(frozen=True, slots=True)
class CompareSide:
    """One period's figures: from the archive (``archive_data``), so today is live and agrees with the
    dashboard and the archive. ``totals`` None: no data at all in the period."""

    period: ComparePeriod
    totals: dict[str, Decimal] | None  # USE_FIELDS + "returned" + "electricity"
    costs: dict[str, Decimal] | None  # None: no data, or no contract on any day with data
    days: int  # days with data (today, when it has readings, counts as one)
    so_far: bool  # holds today: its figures still grow
    no_contract_days: int
    rows: list[ArchiveRow]  # the chart's buckets (hours, days or months)
    devices: dict[str, DeviceTotal] = field(default_factory=dict)  # water, heat, cooling with data


@dataclass(frozen=True, slots=True)
class Comparison:
    a: CompareSide
    b: CompareSide
    per_day: bool  # the periods hold different numbers of days with data: compare averages per day
    granularity: str  # the chart's buckets: "hour", "day" or "month"
    rows: list[dict[str, Any]]
    same_time: dict[str, Any] | None = None  # today against a past day: both up to the same hour


def _change(value: Decimal, base: Decimal) -> Decimal | None:
    """``value`` against ``base`` in percent, one decimal; None against nothing (no "+∞ %")."""
    return (Decimal(value - base) * 100 / base).quantize(PERCENT, ROUND_HALF_UP) if base else None


def _same_time(a: CompareSide, b: CompareSide) -> dict[str, Any] | None:
    """Today so far against a finished day, both up to the same hour: the hours before today's running one
    (an afternoon against a whole day would read as a drop). None unless exactly one side is today."""
    if a.so_far == b.so_far or a.totals is None or b.totals is None:
        return None
    today, other = (a, b) if a.so_far else (b, a)
    complete = [row for row in today.rows if not row.so_far]
    if not complete or len(complete) >= len(other.rows):
        return None
    running = today.rows[len(complete)] if len(today.rows) > len(complete) else None

    def electricity(rows: list[ArchiveRow]) -> Decimal:
        return sum((row.use["electricity"] for row in rows if row.use), ZERO)

    used = {"today": electricity(complete), "other": electricity(other.rows[: len(complete)])}
    value_a, value_b = (used["today"], used["other"]) if a.so_far else (used["other"], used["today"])
    percent = _change(value_a, value_b)
    return {
        "until": running.label if running else None,
        "hours": len(complete),
        "a": value_a,
        "b": value_b,
        "percent": percent,
    }


COMPARED = ("electricity1", "electricity2", "electricity", "returned", "gas", "total_cost", "days")
DEVICE_KINDS = ("water", "heat", "cooling")  # compared after gas, when either period has the kind
UNITS = {"total_cost": "money", "days": "days", "gas": "m3", "water": "m3", "heat": "gj", "cooling": "gj"}
MONEY = Decimal("0.01")


def _granularity(a: ComparePeriod, b: ComparePeriod) -> str:
    if a.kind == b.kind == "day":
        return "hour"
    if a.kind == b.kind == "year":
        return "month"
    return "day"


def _side(period: ComparePeriod, *, granularity: str, today: date, now: datetime) -> CompareSide:
    data = archive_data(period=period.archive, now=now, bands=False)
    rows = data.rows
    if granularity == "day" and period.kind in ("day", "year"):
        as_days = ArchivePeriod("range", period.first, period.last)
        rows = archive_data(period=as_days, now=now, bands=False).rows
    live_today = data.so_far and any(row.so_far and row.use is not None for row in data.rows)
    stored = (
        DayStatistics.objects.filter(day__gte=period.first, day__lte=min(period.last, today))
        .exclude(day=today)
        .count()
    )
    return CompareSide(
        period=period,
        totals=data.totals,
        costs=data.costs,
        days=stored + int(live_today),
        so_far=data.so_far,
        no_contract_days=data.no_contract_days,
        rows=rows,
        devices={total.kind: total for total in data.devices},
    )


def _value(side: CompareSide, name: str) -> Decimal | int | None:
    if name == "days":
        return side.days
    if name in DEVICE_KINDS:
        total = side.devices.get(name)
        return None if total is None else total.use
    if side.totals is None:
        return None
    if name == "total_cost":
        return side.costs["total_cost"] if side.costs is not None else None
    return side.totals[name]


def _per_day(value: Decimal | int | None, days: int, name: str) -> Decimal | None:
    if value is None or not days or name == "days":
        return None
    step = MONEY if name == "total_cost" else KWH
    return (Decimal(value) / days).quantize(step, rounding=ROUND_HALF_UP)


def periods_compare(*, a: ComparePeriod, b: ComparePeriod, now: datetime | None = None) -> Comparison:
    """A and B side by side, one row per figure: the totals, and when the periods hold different numbers of
    days with data also the average per day; the difference and the percentage compare those averages then
    (a 30-day month against a 14-day one says nothing in totals). A period without data has None, not 0;
    "days" gets no difference or percentage."""
    now = now or timezone.now()
    today = now.astimezone(local_zone()).date()
    granularity = _granularity(a, b)
    side_a = _side(a, granularity=granularity, today=today, now=now)
    side_b = _side(b, granularity=granularity, today=today, now=now)
    per_day = side_a.days != side_b.days and side_a.days > 0 and side_b.days > 0
    devices = [kind for kind in DEVICE_KINDS if kind in side_a.devices or kind in side_b.devices]
    names = (*COMPARED[: COMPARED.index("gas") + 1], *devices, *COMPARED[COMPARED.index("gas") + 1 :])
    rows = []
    for name in names:
        value_a, value_b = _value(side_a, name), _value(side_b, name)
        row: dict[str, Any] = {"name": name, "unit": UNITS.get(name, "kwh"), "a": value_a, "b": value_b}
        row["a_per_day"] = _per_day(value_a, side_a.days, name) if per_day else None
        row["b_per_day"] = _per_day(value_b, side_b.days, name) if per_day else None
        first, second = (row["a_per_day"], row["b_per_day"]) if per_day else (value_a, value_b)
        if name == "days" or first is None or second is None:
            row["difference"] = row["percent"] = None
        else:
            row["difference"] = first - second
            row["percent"] = _change(first, second)
        rows.append(row)
    same_time = _same_time(side_a, side_b) if granularity == "hour" else None
    return Comparison(side_a, side_b, per_day, granularity, rows, same_time)
