"""What the dashboard shows: the latest reading, today, this month and year so far, and chart series.

Everything but the header comes from aggregates: chart series from the minute table (downsampled in SQL
to at most ``MAX_POINTS`` points) and the gas hours; month and year from the day statistics plus today.
Only the header reads raw readings, and only the latest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dsmrhub.prices.models import ContractKind
from dsmrhub.processing.costs import costs_for_range, price_now
from dsmrhub.processing.live import PHASES, electricity_live_figures
from dsmrhub.processing.models import ElectricityConsumption, GasConsumption
from dsmrhub.processing.periods import HOUR, MINUTE, from_epoch, local_zone, to_epoch
from dsmrhub.processing.selectors import consumption_today, day_statistics_totals
from dsmrhub.processing.sql import MINUTES, fetch, mean_half_up
from dsmrhub.readings.models import DsmrReading

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
    """The header, formatted from the live figures: W (total and per phase), tariff, cost per hour."""
    now = now or timezone.now()
    live = electricity_live_figures(now=now)
    if live is None:
        return None
    return {
        "epoch": to_epoch(live.timestamp),
        "time": _local(live.timestamp, "%H:%M:%S"),
        "date": live.timestamp.astimezone(local_zone()).date().isoformat(),
        "age_seconds": max(0, int((now - live.timestamp).total_seconds())),
        "delivered": live.delivered,
        "returned": live.returned,
        "phases": {
            f"l{p.phase}": {"delivered": p.delivered, "returned": p.returned, "voltage": p.voltage}
            for p in live.phases
        },
        "tariff": live.tariff,
        "cost_per_hour": live.cost_per_hour,
    }


def _exact(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places))


def dashboard_today(*, now: datetime | None = None) -> dict[str, Decimal] | None:
    """Today so far in kWh, m3 and money (Decimals), or None when there is no reading today."""
    today = consumption_today(now=now)
    if today is None:
        return None
    values = {name: _exact(today[name], "0.001") for name in ENERGY_FIELDS}
    values.update({name: _exact(today[name], "0.01") for name in COST_FIELDS})
    values = _with_totals(values)
    # The split of today's costs. consumption_today (the API's today) rounds each part once and the total
    # as R(parts + fixed daily cost) (prices.costs.costs_round), so what the total holds besides the
    # rounded parts is exactly R(fixed daily cost), the API's fixed_cost.
    values["electricity_cost"] = values["electricity1_cost"] + values["electricity2_cost"]
    values["fixed_cost"] = values["total_cost"] - values["electricity_cost"] - values["gas_cost"]
    return values


def _with_totals(values: dict[str, Decimal]) -> dict[str, Decimal]:
    values["electricity"] = values["electricity1"] + values["electricity2"]
    values["electricity_returned"] = values["electricity1_returned"] + values["electricity2_returned"]
    return values


def dashboard_period(*, first: date, today: date, today_values: dict[str, Decimal] | None) -> dict[str, Any]:
    """Sum of the day statistics of [first, today) plus today so far."""
    sums = day_statistics_totals(first=first, last=today - timedelta(days=1))
    values = {}
    for name in ENERGY_FIELDS + COST_FIELDS:
        places = "0.001" if name in ENERGY_FIELDS else "0.01"
        total = sums[name] + (today_values[name] if today_values else Decimal(0))
        values[name] = total.quantize(Decimal(places))
    return {"first": first.isoformat(), **_with_totals(values)}


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


def dashboard_today_missing(*, now: datetime) -> int:
    """How many quarters (and gas hours) of today so far have use but no market price: today's costs
    (``consumption_today``, priced like the day statistics) leave them out, so the page says they are
    incomplete. The engine's day period counts them (``processing.costs.costs_for_range``)."""
    today = now.astimezone(local_zone()).date()
    return sum(row.missing for row in costs_for_range(first=today, last=today, period="day", now=now))


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


def dashboard_gas_series(*, since: int | None = None) -> dict[str, Any]:
    """Gas use (m3) per local hour over the last ``GAS_HOURS`` hours that have gas values."""
    series: dict[str, Any] = {"t": [], "labels": [], "gas": []}
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
    return series


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
    price = dashboard_price(now=now)
    if today_values is not None:
        today_values["missing"] = (
            dashboard_today_missing(now=now) if price and price["kind"] == "dynamic" else 0
        )
    return {
        "latest": dashboard_latest(now=now),
        "price": price,
        "today": today_values,
        "month": dashboard_period(first=today.replace(day=1), today=today, today_values=today_values),
        "year": dashboard_period(first=today.replace(month=1, day=1), today=today, today_values=today_values),
        "power": dashboard_power_series(window=window, since=since),
        "gas": dashboard_gas_series(since=gas_since),
    }
