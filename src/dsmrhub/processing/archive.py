"""The archive: use per hour of a local day, per day of a week or month, per month of a year — from the
aggregates, with today live.

Hours come from ``HourStatistics``, days from ``DayStatistics`` and months from ``DayStatistics`` summed per
month in SQL; nothing reads raw readings for the past. Days are local days (settings.TIME_ZONE), so a day
has 23, 24 or 25 hour slots; weeks are ISO weeks (Monday first) of local days.

Today has no day statistics yet (processing stores complete periods only): its figures are the live ones the
dashboard shows, ``processing.selectors.today_summary`` (use and costs so far, by the cost engine), so
today, and the week, month and year containing it, agree with the dashboard. A day without a contract has
no costs (None, shown as "no contract"), not 0.00; costs the day statistics do not know (prices missing) stay
unknown. Costs per time-of-use band come from the cost engine (``processing.costs.costs_by_band``).

Water, heat and cooling meters (``archive_devices``): the use of each kind with data in the period, per row
and in total, from the devices' hours and days (``devices.selectors.device_hour_totals`` and
``device_day_totals``, the figures of the API's hour and day statistics); costs of the days with a device
price, apart from the energy contract's costs (gas keeps its place among those).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Min, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from dsmrhub.devices.kinds import KIND_BY_KEY
from dsmrhub.devices.models import PRICED_KINDS, DeviceDay
from dsmrhub.devices.selectors import device_day_totals, device_hour_totals
from dsmrhub.prices.costs import tariffs_for_days
from dsmrhub.prices.models import ContractKind
from dsmrhub.prices.tariffs import Tariff
from dsmrhub.processing.costs import BandCost, costs_by_band
from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import HOUR, day_end, day_start, from_epoch, local_date, local_zone
from dsmrhub.processing.quarantine import placeable_readings
from dsmrhub.processing.selectors import today_summary

USE_FIELDS = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")
COST_FIELDS = ("electricity1_cost", "electricity2_cost", "gas_cost", "fixed_cost", "total_cost")
KINDS = ("day", "week", "month", "year")
FIRST_YEAR = 1971
LAST_YEAR = 2199
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
ZERO_KWH = Decimal("0.000")
ZERO_MONEY = Decimal("0.00")


class PeriodError(ValueError):
    """A period parameter that cannot be used; the message says why (translated)."""


def _unknown_kind(kind: str) -> PeriodError:
    return PeriodError(_("Unknown period “%(kind)s”: choose day, week, month or year.") % {"kind": kind[:20]})


@dataclass(frozen=True, slots=True)
class ArchivePeriod:
    kind: str  # "day", "week", "month" or "year"
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

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def archive_period_of(*, kind: str, day: date) -> ArchivePeriod:
    """The period of ``kind`` (day, week, month or year) that contains ``day``; a week is the ISO week,
    Monday to Sunday."""
    if kind == "day":
        return ArchivePeriod("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return ArchivePeriod("week", monday, monday + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        return ArchivePeriod("month", first, _month_after(first) - timedelta(days=1))
    if kind == "year":
        return ArchivePeriod("year", date(day.year, 1, 1), date(day.year, 12, 31))
    raise _unknown_kind(kind)


def _month_after(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _shift(period: ArchivePeriod, step: int) -> ArchivePeriod | None:
    if period.kind == "day":
        target = period.first + timedelta(days=step)
    elif period.kind == "week":
        target = period.first + timedelta(days=7 * step)
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
    _in_range(day, value)
    return day, len(parts)


def _in_range(day: date, value: str) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError(
            _("%(value)s is out of range: dates from %(first)s to %(last)s.")
            % {"value": value[:40], "first": FIRST_YEAR, "last": LAST_YEAR}
        )


def _iso_week(value: str) -> date | None:
    """The Monday of an ISO week written ``YYYY-Www`` (or ``YYYYWww``); None when ``value`` is not one."""
    match = _WEEK.match(value.strip())
    if not match:
        return None
    year, week = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(_("“%(value)s” is not an existing week.") % {"value": value[:40]}) from None
    _in_range(monday, value)
    return monday


def archive_period_parse(*, kind: str | None, value: str | None, today: date) -> ArchivePeriod:
    """The period asked for by ``?period=day|week|month|year&date=…``; defaults: today's day.

    A day needs YYYY-MM-DD; a week takes any day in it or its ISO name (YYYY-Www); a month takes YYYY-MM
    or any day in it; a year takes YYYY or any day in it.
    """
    kind = (kind or "day").strip()
    if kind not in KINDS:
        raise _unknown_kind(kind)
    if not value or not value.strip():
        return archive_period_of(kind=kind, day=today)
    if kind == "week":
        monday = _iso_week(value)
        if monday is not None:
            return archive_period_of(kind="week", day=monday)
    day, parts = date_parse(value=value)
    if kind == "day" and parts < 3:
        raise PeriodError(_("A day needs a full date (YYYY-MM-DD), not “%(value)s”.") % {"value": value[:40]})
    if kind == "week" and parts < 3:
        raise PeriodError(
            _("A week needs a full date (YYYY-MM-DD) or an ISO week (YYYY-Www), not “%(value)s”.")
            % {"value": value[:40]}
        )
    if kind == "month" and parts < 2:
        raise PeriodError(_("A month needs YYYY-MM or a full date, not “%(value)s”.") % {"value": value[:40]})
    return archive_period_of(kind=kind, day=day)


def archive_first_day() -> date | None:
    """The first local day with data: the first day or hour statistics (imported history included) or the
    first reading (a first day still running has no statistics yet); None without any."""
    days = DayStatistics.objects.aggregate(first=Min("day"))["first"]
    hours = HourStatistics.objects.aggregate(first=Min("hour_start"))["first"]
    reading = placeable_readings().order_by("timestamp").values_list("timestamp", flat=True).first()
    found = [days] if days else []
    found += [local_date(int(moment.timestamp())) for moment in (hours, reading) if moment is not None]
    return min(found) if found else None


@dataclass(frozen=True, slots=True)
class ArchiveBounds:
    """Where the archive's data lies: from the first day with data through today."""

    first: date | None  # None: no data at all
    today: date

    def previous(self, period: ArchivePeriod) -> ArchivePeriod | None:
        """The period before, if it holds data."""
        before = period.previous
        if before is None or self.first is None or before.last < self.first:
            return None
        return before

    def next(self, period: ArchivePeriod) -> ArchivePeriod | None:
        """The period after, unless it lies wholly after today; from before the data, the first period
        with data."""
        after = period.next
        if after is None or after.first > self.today:
            return None
        if self.first is not None and after.last < self.first:
            return archive_period_of(kind=period.kind, day=self.first)
        return after

    def before_data(self, period: ArchivePeriod) -> bool:
        return self.first is None or period.last < self.first

    def in_future(self, period: ArchivePeriod) -> bool:
        return period.first > self.today


def archive_bounds(*, today: date) -> ArchiveBounds:
    return ArchiveBounds(first=archive_first_day(), today=today)


@dataclass
class ArchiveRow:
    start: date | datetime  # local date (days, months) or local datetime (hours)
    label: str  # language-neutral label (hours: "14:00"); the view may localise dates
    use: dict[str, Decimal] | None  # USE_FIELDS plus "returned"; None when there is no data
    total_cost: Decimal | None = None  # None: no data, or no contract (``no_contract``)
    imported: bool = False  # an hour or day of imported history (processing.history)
    so_far: bool = False  # today (or the running part of today): live figures, still growing
    no_contract: bool = False  # use without a contract in force: no costs, not "free"
    missing: bool = False  # a contract but no price for some of the use (a gap in market prices): unknown
    devices: dict[str, Decimal] = field(default_factory=dict)  # water/heat/cooling use: kind → use
    device_costs: dict[str, Decimal | None] = field(default_factory=dict)  # days and months: kind → €


@dataclass(frozen=True, slots=True)
class DeviceTotal:
    """A water, heat or cooling kind over the archive's period: use, and the cost of its priced days."""

    kind: str
    label: str
    unit: str
    use: Decimal
    cost: Decimal | None  # the days with a price; None when no day of the period has one
    unpriced_days: int  # days with use but without a device price (not in ``cost``)


@dataclass
class ArchiveData:
    period: ArchivePeriod
    rows: list[ArchiveRow]
    totals: dict[str, Decimal] | None  # USE_FIELDS + "returned" + "electricity"; None without data
    costs: dict[str, Decimal] | None  # COST_FIELDS + "electricity_cost"; None without data or contract
    costs_per_row: bool  # week, month and year rows have costs; hours do not
    so_far: bool = False  # the period contains today: its figures are live and still growing
    no_contract_days: int = 0  # days with data but without a contract (not in ``costs``)
    missing_days: int = 0  # days whose costs are unknown (prices missing): ``costs`` leave them out
    bands: list[BandCost] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    devices: list[DeviceTotal] = field(default_factory=list)  # kinds with data in the period, table order


def _use(values: dict[str, Any]) -> dict[str, Decimal]:
    use = {name: values[name] or ZERO_KWH for name in USE_FIELDS}
    use["returned"] = use["electricity1_returned"] + use["electricity2_returned"]
    use["electricity"] = use["electricity1"] + use["electricity2"]
    return use


def _sums(rows: list[ArchiveRow]) -> dict[str, Decimal] | None:
    present = [row.use for row in rows if row.use is not None]
    if not present:
        return None
    return {name: sum((use[name] for use in present), ZERO_KWH) for name in present[0]}


@dataclass(frozen=True, slots=True)
class _Today:
    """Today's live figures (``today_summary``): use and costs (None without a contract today)."""

    day: date
    use: dict[str, Decimal]
    costs: dict[str, Decimal] | None


def _today_live(*, now: datetime) -> _Today | None:
    live = today_summary(now=now)
    if live is None:
        return None
    costs = None
    if live["contract"]:
        costs = {name: live[name] for name in (*COST_FIELDS, "electricity_cost")}
    return _Today(day=live["day"], use=_use(live), costs=costs)


def archive_data(*, period: ArchivePeriod, now: datetime | None = None, bands: bool = True) -> ArchiveData:
    """The rows of a period (every slot up to now, also those without data) with totals and costs; today
    live. ``bands``: also the electricity per band when a time-of-use or dynamic contract is in force
    (``archive_band_costs``: the engine prices the period's quarter hours, about 0.15 s a month of
    one-second data, so the page asks for a year's apart); ``extra["bands_available"]``: there is one."""
    now = now or timezone.now()
    today = now.astimezone(local_zone()).date()
    tariffs = tariffs_for_days(first=period.first, last=min(period.last, today))
    live = _today_live(now=now) if period.contains(today) else None
    if period.kind == "day":
        data = _day(period, live, tariffs, now)
    elif period.kind == "year":
        data = _year(period, live, tariffs, today)
    else:
        data = _days(period, live, tariffs, today)
    data.so_far = period.contains(today)
    archive_devices(data=data, last=min(period.last, today))
    timed = any(tariff.kind != ContractKind.FIXED for tariff in tariffs.values())
    data.extra["bands_available"] = timed and data.totals is not None
    if bands and timed and data.totals is not None:
        data.bands = archive_band_costs(period=period, now=now)
    return data


def _costs(values: dict[str, Any] | None) -> dict[str, Decimal | None] | None:
    """Stored costs (one day, or sums over days) with the electricity of both tariffs; a part the day
    statistics do not know (prices missing) stays None, never 0.00."""
    if values is None or all(values[name] is None for name in COST_FIELDS):
        return None
    costs = {name: values[name] for name in COST_FIELDS}
    costs["electricity_cost"] = _plus(costs["electricity1_cost"], costs["electricity2_cost"])
    return costs


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    """A sum of the known parts; None when neither is known."""
    if a is None or b is None:
        return a if b is None else b
    return a + b


def _add_costs(a: dict[str, Decimal] | None, b: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
    if a is None or b is None:
        return a if b is None else b
    return {name: _plus(a[name], b[name]) for name in a}


def _day(
    period: ArchivePeriod, live: _Today | None, tariffs: dict[date, Tariff], now: datetime
) -> ArchiveData:
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
    running = None
    if live is not None or local_date(int(now.timestamp())) == period.first:
        # Today: the stored (complete) hours, then the rest of the day so far as one live row.
        running = max((int(moment.timestamp()) + HOUR for moment in stats), default=start)
        slots = range(start, running, HOUR)
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
    no_contract = period.first not in tariffs
    if live is not None:
        stored = _sums(rows)
        rest = {name: live.use[name] - (stored[name] if stored else ZERO_KWH) for name in live.use}
        local = from_epoch(running).astimezone(zone)
        label = local.strftime("%H:%M %Z" if unusual else "%H:%M")
        rows.append(ArchiveRow(start=local, label=label, use=rest, so_far=True, no_contract=no_contract))
        extra = {"imported": False, "running_from": local}
        return ArchiveData(
            period,
            rows,
            dict(live.use),
            live.costs,
            costs_per_row=False,
            no_contract_days=int(no_contract),
            extra=extra,
        )
    day = DayStatistics.objects.filter(day=period.first).values("imported", *COST_FIELDS).first()
    extra = {"imported": bool(day and day["imported"])}
    costs = None if no_contract else _costs(day)
    return ArchiveData(
        period,
        rows,
        _sums(rows),
        costs,
        costs_per_row=False,
        no_contract_days=int(day is not None and no_contract),
        missing_days=int(costs is not None and costs["total_cost"] is None),
        extra=extra,
    )


def _days(
    period: ArchivePeriod, live: _Today | None, tariffs: dict[date, Tariff], today: date
) -> ArchiveData:
    """A week or a month: one row per day up to today, today live."""
    last = min(period.last, today)
    stored = DayStatistics.objects.filter(day__gte=period.first, day__lte=last).exclude(day=today)
    stats = {row["day"]: row for row in stored.values("day", "imported", *USE_FIELDS, "total_cost")}
    rows = []
    day = period.first
    while day <= last:
        row = stats.get(day)
        if live is not None and day == live.day:
            cost = live.costs["total_cost"] if live.costs else None
            rows.append(
                ArchiveRow(
                    day, day.isoformat(), dict(live.use), cost, so_far=True, no_contract=live.costs is None
                )
            )
        else:
            contract = day in tariffs
            rows.append(
                ArchiveRow(
                    start=day,
                    label=day.isoformat(),
                    use=_use(row) if row else None,
                    total_cost=row["total_cost"] if row and contract else None,
                    imported=bool(row and row["imported"]),
                    no_contract=bool(row and not contract),
                    missing=bool(row and contract and row["total_cost"] is None),
                )
            )
        day += timedelta(days=1)
    priced = [day for day in stats if day in tariffs]
    costs = None
    if priced:
        costs = _costs(stored.filter(day__in=priced).aggregate(**{name: Sum(name) for name in COST_FIELDS}))
    if live is not None:
        costs = _add_costs(costs, live.costs)
    no_contract = sum(1 for row in rows if row.no_contract)
    missing = sum(1 for row in rows if row.missing)
    return ArchiveData(
        period,
        rows,
        _sums(rows),
        costs,
        costs_per_row=True,
        no_contract_days=no_contract,
        missing_days=missing,
    )


def _year(
    period: ArchivePeriod, live: _Today | None, tariffs: dict[date, Tariff], today: date
) -> ArchiveData:
    days = DayStatistics.objects.filter(day__gte=period.first, day__lte=period.last).exclude(day=today)
    per_month = (
        days.annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(**{name: Sum(name) for name in USE_FIELDS}, total_cost=Sum("total_cost"))
        .order_by("month")
    )
    stats = {_as_date(row["month"]): row for row in per_month}
    stored = dict(days.values_list("day", "total_cost"))
    stored_days = list(stored)
    unpriced = {day for day in stored_days if day not in tariffs}
    missing = {day for day, cost in stored.items() if cost is None and day in tariffs}
    if live is not None and live.costs is None:
        unpriced.add(live.day)
    rows = []
    for month in range(1, 13):
        first = date(period.first.year, month, 1)
        if first > today:
            break
        row = stats.get(first)
        use = _use(row) if row else None
        month_days = [day for day in stored_days if day.month == month]
        priced = any(day in tariffs for day in month_days)
        cost = row["total_cost"] if row and priced else None
        so_far = live is not None and live.day.month == month
        if so_far:
            use = _add_use(use, live.use)
            if live.costs is not None:
                cost = (cost or ZERO_MONEY) + live.costs["total_cost"]
                priced = True
        rows.append(
            ArchiveRow(
                start=first,
                label=first.strftime("%Y-%m"),
                use=use,
                total_cost=cost if priced else None,
                so_far=so_far,
                no_contract=use is not None and not priced,
                missing=any(day.month == month for day in missing),
            )
        )
    priced_days = [day for day in stored_days if day in tariffs]
    costs = None
    if priced_days:
        costs = _costs(
            days.filter(day__in=priced_days).aggregate(**{name: Sum(name) for name in COST_FIELDS})
        )
    if live is not None:
        costs = _add_costs(costs, live.costs)
    return ArchiveData(
        period,
        rows,
        _sums(rows),
        costs,
        costs_per_row=True,
        no_contract_days=len(unpriced),
        missing_days=len(missing),
    )


def _add_use(a: dict[str, Decimal] | None, b: dict[str, Decimal]) -> dict[str, Decimal]:
    return dict(b) if a is None else {name: a[name] + b[name] for name in a}


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- water, heat and cooling ------------------------------------------------------------------------------


def archive_devices(*, data: ArchiveData, last: date) -> None:
    """Fill in the water, heat and cooling figures of ``data``'s rows and ``data.devices`` (the rule is in
    the module's doc): the days [period.first, last] read once; a day's hours once more."""
    period = data.period
    # one query without such meters (the usual case); their figures and prices take four
    if not DeviceDay.objects.filter(day__gte=period.first, day__lte=last, kind__in=PRICED_KINDS).exists():
        return
    days: list[date] = []
    day = period.first
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    totals = device_day_totals(days=days)
    kinds = [kind for kind in PRICED_KINDS if any(kind in figures for figures in totals.values())]
    if not kinds:
        return
    if period.kind == "day":
        _device_hours(data, kinds)
    else:
        monthly = period.kind == "year"
        for row in data.rows:
            first = row.start if isinstance(row.start, date) else row.start.date()
            in_row = [d for d in totals if (d.month == first.month if monthly else d == first)]
            for kind in kinds:
                figures = [totals[d][kind] for d in in_row if kind in totals[d]]
                if figures:
                    row.devices[kind] = sum((use for use, _cost in figures), ZERO_KWH)
                    row.device_costs[kind] = _known_sum(cost for _use, cost in figures)
    for kind in kinds:
        figures = [day_figures[kind] for day_figures in totals.values() if kind in day_figures]
        data.devices.append(
            DeviceTotal(
                kind=kind,
                label=str(KIND_BY_KEY[kind].label),
                unit=KIND_BY_KEY[kind].unit,
                use=sum((use for use, _cost in figures), ZERO_KWH),
                cost=_known_sum(cost for _use, cost in figures),
                unpriced_days=sum(1 for _use, cost in figures if cost is None),
            )
        )


def _known_sum(values) -> Decimal | None:
    known = [value for value in values if value is not None]
    return sum(known, ZERO_MONEY) if known else None


def _device_hours(data: ArchiveData, kinds: list[str]) -> None:
    """A day's rows: each hour's use; today's running row holds every hour from its start on."""
    start, end = day_start(data.period.first), day_end(data.period.first)
    hours = device_hour_totals(starts=[from_epoch(moment) for moment in range(start, end, HOUR)])
    for row in data.rows:
        for kind in kinds:
            if row.so_far:
                figures = [
                    uses[kind][0] for moment, uses in hours.items() if moment >= row.start and kind in uses
                ]
            else:
                figures = [hours[row.start][kind][0]] if kind in hours.get(row.start, {}) else []
            if figures:
                row.devices[kind] = sum(figures, ZERO_KWH)


# --- costs per band ----------------------------------------------------------------------------------------


def archive_band_costs(*, period: ArchivePeriod, now: datetime | None = None) -> list[BandCost]:
    """The period's electricity per band of the contracts in force, up to now (today so far), by the cost
    engine (``processing.costs.costs_by_band``: time-of-use bands by name, a fixed contract per tariff
    register, a dynamic contract as one row; a band's cost rounded once)."""
    now = now or timezone.now()
    last = min(period.last, now.astimezone(local_zone()).date())
    if last < period.first:
        return []
    return costs_by_band(first=period.first, last=last, now=now)
