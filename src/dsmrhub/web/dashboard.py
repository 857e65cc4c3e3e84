"""What the dashboard shows: the latest reading (and whether it is too old to be current), today, today
against a typical day, this month and year so far with a month-end projection, and chart series.

Today is ``processing.selectors.today_summary``, the one computation of today that the archive shows too.
Chart series come from aggregates: power from the minute table (downsampled in SQL to at most
``MAX_POINTS`` points), today's hours from the quarter-hour energy (``processing.costs.usage_load``, which
also prices the returned energy), and the gas hours; month and year from the day statistics plus today.
Only the header and today's totals read raw readings: the latest one and the one at midnight.

Water, heat and cooling meters (``dashboard_devices``): each present kind besides gas (which has its own
place) with its position now (``devices.selectors.devices_present``) and today's use and cost
(``devices.selectors.device_day_totals``, the day statistics' figures), summed over the kind's meters.

Month-end projection (``dashboard_projection``): the month so far plus the average per day of this month's
complete days (the day statistics before today) times the time left in the month, in days of 24 hours
counted from the latest reading. Without a complete day yet (the 1st) there is no projection. Days without
data count as nothing used; monthly fixed costs and the capacity tariff are not in the day statistics and so
not in the projected costs.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dsmrhub.devices.kinds import KIND_BY_KEY
from dsmrhub.devices.models import PRICED_KINDS, Device
from dsmrhub.devices.selectors import device_day_totals, devices_present
from dsmrhub.prices.costs import MarketSeries, contracts_for_days, tariffs_for_days
from dsmrhub.prices.models import ContractKind
from dsmrhub.processing.costs import Usage, costs_by_period, price_now, usage_load
from dsmrhub.processing.gas import METER_ROWS, gas_rows_resolution
from dsmrhub.processing.live import PHASES, electricity_live_figures
from dsmrhub.processing.models import ElectricityConsumption, GasConsumption
from dsmrhub.processing.periods import HOUR, MINUTE, day_end, day_start, from_epoch, local_zone, to_epoch
from dsmrhub.processing.selectors import (
    TODAY_COST_FIELDS,
    day_statistics_totals,
    readings_stale,
    today_summary,
)
from dsmrhub.processing.sql import MINUTES, fetch, mean_half_up
from dsmrhub.processing.typical import typical_day_until
from dsmrhub.readings.models import DsmrReading
from dsmrhub.web.status import age_text
from dsmrhub.web.templatetags.units import moment_text, quantity

WINDOW_HOURS = (1, 6, 24)  # chart spans a visitor can pick
DEFAULT_HOURS = 6
MAX_POINTS = 360  # per chart line: 6 h of minutes; longer spans are averaged into wider buckets
GAS_HOURS = 24
KWH = Decimal("0.001")
ENERGY_FIELDS = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")
COST_FIELDS = ("electricity1_cost", "electricity2_cost", "gas_cost", "total_cost")
# Minute-table columns of the power and voltage series, stored as integers: W (thousandths of kW), 0.1 V.
SERIES_COLUMNS = (
    "currently_delivered",
    "currently_returned",
    *(f"phase_currently_delivered_l{p}" for p in PHASES),
    *(f"phase_currently_returned_l{p}" for p in PHASES),
    *(f"phase_voltage_l{p}" for p in PHASES),
)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Which parts of the dashboard this meter has data for (parts without data are hidden)."""

    readings: bool
    phases: tuple[int, ...]  # phases with power values
    voltages: tuple[int, ...]  # phases with voltage values
    returned: bool  # the meter has ever returned electricity
    gas: bool


def dashboard_capabilities() -> Capabilities:
    live = electricity_live_figures()
    if live is None:
        return Capabilities(readings=False, phases=(), voltages=(), returned=False, gas=False)
    return Capabilities(
        readings=True,
        phases=live.powered_phases,
        voltages=live.voltage_phases,
        returned=live.has_returned,
        gas=GasConsumption.objects.exists() or _latest_reading_has_gas(),
    )


def _latest_reading_has_gas() -> bool:
    latest = DsmrReading.objects.order_by("-timestamp").values_list("extra_device_timestamp", flat=True)
    return latest.first() is not None


def _local(moment: datetime, pattern: str) -> str:
    return moment.astimezone(local_zone()).strftime(pattern)


def dashboard_latest(*, now: datetime | None = None) -> dict[str, Any] | None:
    """The header, formatted from the live figures: W (total and per phase), tariff, cost per hour, and the
    reading's age in words ("2 hours ago") with ``stale`` when it is too old to be shown as current."""
    now = now or timezone.now()
    live = electricity_live_figures(now=now)
    if live is None:
        return None
    age = max(0, int((now - live.timestamp).total_seconds()))
    return {
        "epoch": to_epoch(live.timestamp),
        "time": _local(live.timestamp, "%H:%M:%S"),
        "date": live.timestamp.astimezone(local_zone()).date().isoformat(),
        "moment": moment_text(live.timestamp),
        "age_seconds": age,
        "age": _("%(age)s ago") % {"age": age_text(age)},
        "stale": readings_stale(seconds=age),  # the status page's rule
        "delivered": live.delivered,
        "returned": live.returned,
        "phases": {
            f"l{p.phase}": {"delivered": p.delivered, "returned": p.returned, "voltage": p.voltage}
            for p in live.phases
        },
        "tariff": live.tariff,
        "cost_per_hour": live.cost_per_hour,
    }


def _exact(value: Decimal | None, places: str) -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places))


TODAY_ENERGY = (
    *ENERGY_FIELDS,
    "electricity",
    "electricity_returned",
    "net",
)


def dashboard_today(*, now: datetime | None = None) -> dict[str, Any] | None:
    """Today so far (``processing.selectors.today_summary``, the archive's today too): kWh, m³ and money
    as Decimals, costs None without a contract (``contract`` False); None when there is no reading today."""
    today = today_summary(now=now)
    if today is None:
        return None
    values: dict[str, Any] = {name: _exact(today[name], "0.001") for name in TODAY_ENERGY}
    values.update({name: _exact(today[name], "0.01") for name in TODAY_COST_FIELDS})
    values["contract"] = today["contract"]
    values["until"] = today["until"]
    return values


def _hour_label(moment: int, unusual: bool) -> str:
    return _local(from_epoch(moment), "%H:%M %Z" if unusual else "%H:%M")


def dashboard_today_energy(*, usage: Usage, now: datetime, contract: bool) -> dict[str, Any]:
    """From today's quarter-hour energy (``usage``, the running quarter included): kWh per local hour for
    the chart (the running hour marked), the return compensation (€, the returned energy priced alone by
    the cost engine; None without a contract or when a price is missing) and ``missing``, the quarters and
    gas hours with use but no market price (today's costs leave them out; the page says so)."""
    start, end = day_start(usage.first), day_end(usage.first)
    slots = range(start, end, HOUR)
    unusual = len(slots) != 24
    current = to_epoch(now)
    hours: dict[int, list[Decimal]] = {}
    for quarter in usage.quarters:
        hour = start + (quarter.start - start) // HOUR * HOUR
        sums = hours.setdefault(hour, [Decimal(0)] * 3)
        sums[0] += quarter.delivered_1
        sums[1] += quarter.delivered_2
        sums[2] += quarter.returned_1 + quarter.returned_2
    shown = [hour for hour in slots if hour <= current]
    series: dict[str, Any] = {"t": [], "labels": [], "electricity1": [], "electricity2": [], "returned": []}
    for hour in shown:
        sums = hours.get(hour)
        series["t"].append(hour)
        series["labels"].append(_hour_label(hour, unusual))
        for index, key in enumerate(("electricity1", "electricity2", "returned")):
            series[key].append(None if sums is None else sums[index])
    series["running"] = shown[-1] if shown and shown[-1] + HOUR > current else None
    compensation = None
    missing = 0
    if contract:
        # one look-up of the contract and the market prices for both pricings
        in_force = tariffs_for_days(first=usage.first, last=usage.last)
        market = MarketSeries(start=start, end=end)
        priced = costs_by_period(usage=usage, period="day", in_force=in_force, market=market)
        missing = sum(row.missing for row in priced)
        returned_only = dataclasses.replace(
            usage,
            quarters=[
                dataclasses.replace(quarter, delivered_1=Decimal(0), delivered_2=Decimal(0))
                for quarter in usage.quarters
            ],
            gas_hours=[],
        )
        rows = costs_by_period(usage=returned_only, period="day", in_force=in_force, market=market)
        cost = rows[0].electricity_cost if rows else None
        compensation = None if cost is None else -cost
    return {"hours": series, "compensation": compensation, "missing": missing}


def dashboard_typical(*, today: dict[str, Any]) -> dict[str, Any] | None:
    """Today against a typical day (``processing.typical``): the same weekday's average up to the time of
    today's latest reading, and how much more (+) or less (−) today used, in whole percent."""
    typical = typical_day_until(moment=today["until"])
    if typical is None:
        return None
    percent = None
    if typical.electricity > 0:
        change = (today["electricity"] - typical.electricity) / typical.electricity * 100
        percent = int(change.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    weekday = formats.date_format(today["until"].astimezone(local_zone()), "l")
    context = {"weekday": weekday, "days": typical.days, "kwh": quantity(typical.electricity)}
    if percent is None:
        comparison = _("A typical %(weekday)s used no electricity by this time") % context
    elif percent == 0:
        comparison = _("About the same as a typical %(weekday)s by this time") % context
    elif percent > 0:
        comparison = _("%(percent)s %% more than a typical %(weekday)s by this time") % {
            **context,
            "percent": percent,
        }
    else:
        comparison = _("%(percent)s %% less than a typical %(weekday)s by this time") % {
            **context,
            "percent": -percent,
        }
    basis = ngettext(
        "typical: %(kwh)s kWh by this time, the same weekday's average over %(days)s week with data",
        "typical: %(kwh)s kWh by this time, the same weekday's average over %(days)s weeks with data",
        typical.days,
    )
    return {
        "text": comparison,
        "basis": basis % context,
        "days": typical.days,
        "weeks": typical.weeks,
        "weekday": weekday,
        "electricity": typical.electricity,
        "electricity_returned": typical.electricity_returned,
        "gas": typical.gas,
        "percent": percent,
    }


def _with_totals(values: dict[str, Decimal]) -> dict[str, Decimal]:
    values["electricity"] = values["electricity1"] + values["electricity2"]
    values["electricity_returned"] = values["electricity1_returned"] + values["electricity2_returned"]
    return values


def dashboard_period(
    *, first: date, today: date, today_values: dict[str, Any] | None, contract_days: Collection[date]
) -> dict[str, Any]:
    """Sum of the day statistics of [first, today) plus today so far; ``days``: the days before today with
    statistics. Costs are None, with ``costs_note`` saying why, when no contract was in force on any day of
    the period (``contract_days``: the days up to today with a contract; unknown, not free) or when some
    days' costs are missing (``costs_missing``: days with use but no market price; a partial sum would read
    as the period's cost)."""
    sums = day_statistics_totals(first=first, last=today - timedelta(days=1))
    values: dict[str, Any] = {}
    for name in ENERGY_FIELDS + COST_FIELDS:
        places = "0.001" if name in ENERGY_FIELDS else "0.01"
        added = today_values.get(name) if today_values else None
        total = (sums[name] or Decimal(0)) + (added if added is not None else Decimal(0))
        values[name] = total.quantize(Decimal(places))
    values["costs_missing"] = int(sums.get("costs_missing") or 0)
    values["costs_note"] = None
    if not any(first <= day <= today for day in contract_days):
        values["costs_note"] = _("no contract")
    elif values["costs_missing"]:
        values["costs_note"] = _("incomplete")
    if values["costs_note"]:
        values.update(dict.fromkeys(COST_FIELDS))
    return {"first": first.isoformat(), "days": sums["days"], "sums": sums, **_with_totals(values)}


PROJECTED = ("electricity", "electricity_returned", "gas", "total_cost")


def dashboard_projection(*, month: dict[str, Any], today: date, until: datetime) -> dict[str, Any] | None:
    """The month-end projection (the rule is in the module's doc): so far + average of the complete days ×
    the days left after ``until``. None before the month has a complete day."""
    days = month["days"]
    if not days:
        return None
    last_day = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    left = Decimal(max(0, day_end(last_day) - to_epoch(until))) / (24 * HOUR)
    sums = _with_totals(dict(month["sums"]))
    projection: dict[str, Any] = {
        "days": days,
        "days_left": left.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
    }
    for name in PROJECTED:
        if month[name] is None or sums[name] is None:
            projection[name] = None
            continue
        places = "0.01" if name.endswith("cost") else "0.001"
        projection[name] = (month[name] + sums[name] / days * left).quantize(
            Decimal(places), rounding=ROUND_HALF_UP
        )
    return projection


def dashboard_price(*, now: datetime | None = None) -> dict[str, Any] | None:
    """The price per kWh now and next for a time-of-use or dynamic contract (``processing.costs.price_now``),
    or None (no contract today, or a fixed contract: its price is in the tariff). A price the engine does
    not know (a dynamic contract without a market price) is None, shown as missing, never as zero."""
    now = now or timezone.now()
    price = price_now(now=now)
    if price is None or price.kind == ContractKind.FIXED:
        return None
    until = None
    if price.until is not None:
        same_day = price.until.astimezone(local_zone()).date() == now.astimezone(local_zone()).date()
        until = _local(price.until, "%H:%M" if same_day else "%Y-%m-%d %H:%M")
    return {
        "kind": str(price.kind),
        "band": price.band,
        "delivered": price.delivered,
        "returned": price.returned,
        "until": until,
        "next_delivered": price.next_delivered,
    }


@dataclass(frozen=True, slots=True)
class Window:
    hours: int
    bucket: int  # seconds per chart point

    @classmethod
    def of(cls, hours: int) -> Window:
        if hours not in WINDOW_HOURS:
            raise ValueError(f"hours must be one of {', '.join(map(str, WINDOW_HOURS))}")
        seconds = hours * HOUR
        minutes_per_point = -(-seconds // (MAX_POINTS * MINUTE))  # ceiling
        return cls(hours=hours, bucket=minutes_per_point * MINUTE)


def dashboard_power_series(*, window: Window, since: int | None = None) -> dict[str, Any]:
    """Mean power (W) and voltage (V) per bucket over the window ending at the latest minute row.

    A point is labelled by the end of its bucket, so a bucket still filling keeps its label: a client
    that passes the last label it has as ``since`` gets that bucket again (updated) and any newer ones.
    """
    bucket = window.bucket
    latest = ElectricityConsumption.objects.order_by("-read_at").values_list("read_at", flat=True).first()
    empty: dict[str, Any] = {"bucket": bucket, "t": [], "labels": [], **{c: [] for c in SERIES_COLUMNS}}
    if latest is None:
        return empty
    end = -(-to_epoch(latest) // bucket) * bucket
    first = end - window.hours * HOUR  # exclusive
    if since is not None:
        first = max(first, since - bucket)
    means = ", ".join(mean_half_up(column) for column in SERIES_COLUMNS)
    rows = fetch(
        f"SELECT MAX(read_at), {means} FROM {MINUTES} WHERE read_at > %s AND read_at <= %s "
        f"GROUP BY (read_at - 1) / {int(bucket)} ORDER BY 1",
        [first, end],
    )
    series = empty
    for last, *values in rows:
        label_at = ((last - 1) // bucket + 1) * bucket
        series["t"].append(label_at)
        series["labels"].append(_local(from_epoch(label_at), "%H:%M"))
        for column, value in zip(SERIES_COLUMNS, values, strict=True):
            if value is not None and column.startswith("phase_voltage"):
                value = float(Decimal(int(value)).scaleb(-1))
            elif value is not None:
                value = int(value)
            series[column].append(value)
    return series


def dashboard_gas_series(*, since: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Gas use (m3) per local hour over the last ``GAS_HOURS`` hours that have gas values; ``running``:
    the hour that has not ended yet (its use still grows; drawn as unfinished), else None."""
    now = now or timezone.now()
    series: dict[str, Any] = {"t": [], "labels": [], "gas": [], "running": None}
    latest = GasConsumption.objects.order_by("-read_at").values_list("read_at", flat=True).first()
    if latest is None:
        return series
    first = to_epoch(latest) - (GAS_HOURS - 1) * HOUR
    if since is not None:
        first = max(first, since)
    for hour in GasConsumption.objects.filter(read_at__gte=from_epoch(first)).order_by("read_at"):
        series["t"].append(to_epoch(hour.read_at))
        series["labels"].append(_local(hour.read_at, "%H:%M"))
        series["gas"].append(hour.currently_delivered)
    if series["t"] and gas_rows_resolution() != METER_ROWS and series["t"][-1] + HOUR > to_epoch(now):
        series["running"] = series["t"][-1]
    return series


POSITION = Decimal("0.001")


def dashboard_devices(*, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """kind → card of each present water, heat and cooling kind (table order): ``label``, ``unit``,
    ``position`` now (summed over the kind's meters), ``meters`` (how many), ``today`` (use so far),
    ``cost`` (None without a price for today, or without use today yet), and the use this ``month`` and
    ``year`` so far; {} without such meters."""
    now = now or timezone.now()
    # one query for the usual meter (none or only gas); the devices seen are built by the processor's pass
    if not Device.objects.filter(kind__in=PRICED_KINDS).exists():
        return {}
    present = [device for device in devices_present() if device.kind in PRICED_KINDS]
    if not present:
        return {}
    today = now.astimezone(local_zone()).date()
    first = today.replace(month=1, day=1)
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    by_day = device_day_totals(days=days)  # this year's days, today's included: one read
    totals = by_day.get(today, {})
    cards: dict[str, dict[str, Any]] = {}
    for kind in PRICED_KINDS:
        meters = [device for device in present if device.kind == kind]
        if not meters:
            continue
        unit = KIND_BY_KEY[kind].unit
        use, cost = totals.get(kind, (Decimal(0), None))
        cards[kind] = {
            "label": str(KIND_BY_KEY[kind].label),
            "unit": unit,
            # a meter whose unit does not convert keeps its own: not added to the kind's position
            "position": sum((m.position for m in meters if m.unit == unit), Decimal(0)).quantize(POSITION),
            "meters": len(meters),
            "moment": moment_text(max(m.position_at for m in meters)),
            "today": use.quantize(POSITION, rounding=ROUND_HALF_UP),
            "cost": cost,
            # this month and year so far (the period table's rows)
            "month": _device_sum(by_day, kind, since=today.replace(day=1)),
            "year": _device_sum(by_day, kind, since=first),
        }
    return cards


def _device_sum(by_day: dict[date, dict[str, tuple[Decimal, Any]]], kind: str, *, since: date) -> Decimal:
    uses = (figures[kind][0] for day, figures in by_day.items() if day >= since and kind in figures)
    return sum(uses, Decimal(0)).quantize(POSITION, rounding=ROUND_HALF_UP)


def dashboard_data(
    *,
    window: Window,
    since: int | None = None,
    gas_since: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything the dashboard shows; ``since``/``gas_since`` limit the series to what a client lacks."""
    now = now or timezone.now()
    today = now.astimezone(local_zone()).date()
    today_values = dashboard_today(now=now)
    typical = None
    hours: dict[str, Any] = {"t": [], "labels": [], "electricity1": [], "electricity2": [], "returned": []}
    if today_values is not None:
        usage = usage_load(first=today, last=today, now=now)
        energy = dashboard_today_energy(usage=usage, now=now, contract=today_values["contract"])
        hours = energy["hours"]
        today_values["compensation"] = energy["compensation"]
        today_values["missing"] = energy["missing"]
        typical = dashboard_typical(today=today_values)
    year_first = today.replace(month=1, day=1)
    contract_days = contracts_for_days(first=year_first, last=today).keys()
    month = dashboard_period(
        first=today.replace(day=1), today=today, today_values=today_values, contract_days=contract_days
    )
    until = today_values["until"] if today_values else from_epoch(day_start(today))
    projection = dashboard_projection(month=month, today=today, until=until)
    month.pop("sums")
    year = dashboard_period(
        first=year_first, today=today, today_values=today_values, contract_days=contract_days
    )
    year.pop("sums")
    devices = dashboard_devices(now=now)
    for kind, card in devices.items():
        month[kind], year[kind] = card["month"], card["year"]
    return {
        "latest": dashboard_latest(now=now),
        "price": dashboard_price(now=now),
        "today": today_values,
        "typical": typical,
        "month": month,
        "projection": projection,
        "year": year,
        "hours": hours,
        "power": dashboard_power_series(window=window, since=since),
        "gas": dashboard_gas_series(since=gas_since, now=now),
        "devices": devices,
    }
