"""What pages, the API and MQTT read about the M-Bus devices: the present ones, their hours and days."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Max, Sum

from dsmrhub.devices.kinds import UNKNOWN, classify, device_label
from dsmrhub.devices.models import DeviceDay, DeviceHour, DeviceOverride, DevicePrice
from dsmrhub.prices.costs import round_cents
from dsmrhub.readings.models import MBusReading

PRESENT_WITHIN = timedelta(days=2)  # a channel silent longer than this (before the newest value) is gone
_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class DevicePresent:
    channel: int
    device_type: int | None  # 0-n:24.1.0 as sent
    kind: str  # devices.kinds: gas, water, heat, cooling, unknown
    label: str  # "Water meter", "Unknown device (type 15)"
    unit: str  # of ``position``: m³, GJ (unknown: as sent)
    identifier: str
    position: Decimal
    position_at: datetime  # the meter's own stamp of the value (UTC)
    raw_value: Decimal
    raw_unit: str
    overridden: bool  # the kind was set by hand (``DeviceOverride``), not by the type line


def devices_present() -> list[DevicePresent]:
    """The newest stored value of every channel that sent one within ``PRESENT_WITHIN`` of the newest
    M-Bus value (a device that moved is shown on its new channel only), in channel order, classified by
    its type line (or the channel's override)."""
    newest = MBusReading.objects.aggregate(at=Max("timestamp"))["at"]
    if newest is None:
        return []
    latest = (
        MBusReading.objects.filter(timestamp__gt=newest - PRESENT_WITHIN)
        .values("channel")
        .annotate(at=Max("timestamp"))
    )
    overrides = dict(DeviceOverride.objects.values_list("channel", "kind"))
    rows = [MBusReading.objects.get(channel=item["channel"], timestamp=item["at"]) for item in latest]
    # A device that moved to another channel is present there only.
    newest_of = {}
    for row in sorted(rows, key=lambda row: row.timestamp):
        if row.equipment_identifier:
            newest_of[row.equipment_identifier] = row.channel
    found = []
    for row in sorted(rows, key=lambda row: row.channel):
        if row.equipment_identifier and newest_of[row.equipment_identifier] != row.channel:
            continue
        override = overrides.get(row.channel)
        classified = classify(row.device_type, row.unit, override)
        found.append(
            DevicePresent(
                channel=row.channel,
                device_type=row.device_type,
                kind=classified.kind,
                label=device_label(classified.kind, row.device_type),
                unit=classified.unit,
                identifier=row.equipment_identifier,
                position=(row.value * classified.factor).quantize(_PLACES),
                position_at=row.timestamp,
                raw_value=row.value,
                raw_unit=row.unit,
                overridden=override is not None,
            )
        )
    return found


def device_kinds_present() -> list[str]:
    """The measured kinds present now (gas, water, heat, cooling), in table order; unknown ones left out."""
    present = {device.kind for device in devices_present()}
    return [kind for kind in ("gas", "water", "heat", "cooling") if kind in present]


@dataclass(frozen=True, slots=True)
class DeviceFigure:
    """The use of one kind in one period (summed over its channels) and its position at the period's end."""

    start: datetime | date
    kind: str
    unit: str
    use: Decimal
    position: Decimal | None  # the sum of the channels' positions (one device: its position)
    cost: Decimal | None = None  # days only: use × the day's price, rounded to cents; None without a price


def device_hours(*, kind: str, start: datetime, end: datetime) -> list[DeviceFigure]:
    """The hours [start, end) with values of ``kind``, summed over its channels."""
    rows = DeviceHour.objects.filter(kind=kind, start__gte=start, start__lt=end)
    return _figures(rows, key="start", kind=kind)


def device_days(*, kind: str, first: date, last: date) -> list[DeviceFigure]:
    """The days [first, last] with values of ``kind``, summed over its channels, with their costs."""
    rows = DeviceDay.objects.filter(kind=kind, day__gte=first, day__lte=last)
    figures = _figures(rows, key="day", kind=kind)
    prices = device_prices(kind=kind, first=first, last=last)
    return [
        DeviceFigure(
            f.start,
            f.kind,
            f.unit,
            f.use,
            f.position,
            round_cents(f.use * prices[f.start]) if f.start in prices else None,
        )
        for f in figures
    ]


def _figures(rows, *, key: str, kind: str) -> list[DeviceFigure]:
    grouped: dict[object, list] = {}
    for start, unit, use, position in rows.order_by(key, "channel").values_list(
        key, "unit", "use", "position"
    ):
        entry = grouped.setdefault(start, [unit, Decimal(0), Decimal(0)])
        entry[1] += use
        entry[2] += position
    return [
        DeviceFigure(start, kind, unit, use, position if kind != UNKNOWN else None)
        for start, (unit, use, position) in grouped.items()
    ]


def device_prices(*, kind: str, first: date, last: date) -> dict[date, Decimal]:
    """The price per unit of ``kind`` on each day in [first, last] that has one (``DevicePrice``)."""
    prices: dict[date, Decimal] = {}
    for price in DevicePrice.objects.filter(kind=kind, start__lte=last).order_by("start"):
        day = max(price.start, first)
        stop = min(price.end or last, last)
        while day <= stop:
            prices[day] = price.price
            day += timedelta(days=1)
    return prices


def device_day_totals(*, days: list[date]) -> dict[date, dict[str, Decimal]]:
    """day → {kind: use} for the given days (the day statistics' water/heat/cooling fields)."""
    totals: dict[date, dict[str, Decimal]] = defaultdict(dict)
    rows = DeviceDay.objects.filter(day__in=days).values("day", "kind").annotate(total=Sum("use"))
    for row in rows:
        totals[row["day"]][row["kind"]] = row["total"]
    return totals


def device_hour_totals(*, starts: list[datetime]) -> dict[datetime, dict[str, Decimal]]:
    """hour start → {kind: use} for the given hours (the hour statistics' water/heat/cooling fields)."""
    totals: dict[datetime, dict[str, Decimal]] = defaultdict(dict)
    rows = DeviceHour.objects.filter(start__in=starts).values("start", "kind").annotate(total=Sum("use"))
    for row in rows:
        totals[row["start"]][row["kind"]] = row["total"]
    return totals
