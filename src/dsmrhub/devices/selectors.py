"""What pages, the API and MQTT read about the M-Bus devices: the present ones, their hours and days."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Min, Sum
from django.db.models.functions import Coalesce

from dsmrhub.devices.kinds import UNKNOWN, classify, device_label
from dsmrhub.devices.models import (
    PRICED_KINDS,
    Device,
    DeviceDay,
    DeviceFiveMinutes,
    DeviceHour,
    DeviceOverride,
    DevicePrice,
)
from dsmrhub.prices.costs import round_cents
from dsmrhub.readings.models import MBusReading

PRESENT_WITHIN = timedelta(days=2)  # a channel silent longer than this (before the newest value) is gone
_PLACES = Decimal("0.000001")
_NEVER = datetime(2000, 1, 1, tzinfo=UTC)  # the unused moment bounds of a query by days


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
    # Each channel's newest value by the unique index (channel, timestamp); the channels from the devices
    # seen (a handful of rows), or before the processor built them from the M-Bus values themselves.
    channels = set(Device.objects.values_list("channel", flat=True)) or set(
        MBusReading.objects.values_list("channel", flat=True).distinct()
    )
    newest = [
        MBusReading.objects.filter(channel=channel).order_by("-timestamp").first() for channel in channels
    ]
    newest = [row for row in newest if row is not None]
    if not newest:
        return []
    since = max(row.timestamp for row in newest) - PRESENT_WITHIN
    rows = [row for row in newest if row.timestamp > since]
    overrides = dict(DeviceOverride.objects.values_list("channel", "kind"))
    # A device that moved to another channel (its identifier first sent there by a telegram after the last one
    # that brought a value here) is present on the new channel only; channels sending one identifier in the
    # same telegrams (as anonymised test telegrams do) all stay.
    firsts = {
        (item["channel"], item["equipment_identifier"]): item["first"]
        for item in MBusReading.objects.filter(
            equipment_identifier__in=[r.equipment_identifier for r in rows if r.equipment_identifier]
        )
        .values("channel", "equipment_identifier")
        .annotate(first=Min(Coalesce("reading", "timestamp")))
    }
    found = []
    for row in sorted(rows, key=lambda row: row.channel):
        ident, brought = row.equipment_identifier, row.reading_id or row.timestamp
        if ident and any(
            other.channel != row.channel
            and other.equipment_identifier == ident
            and firsts[(other.channel, ident)] > brought
            for other in rows
        ):
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


RESOLUTIONS = ("five-minutes", "hour", "day")
_TABLES = {"five-minutes": DeviceFiveMinutes, "hour": DeviceHour, "day": DeviceDay}


def device_figures(
    *,
    resolution: str,
    start: datetime,
    end: datetime,
    first: date,
    last: date,
    kind: str | None = None,
    channel: int | None = None,
) -> list[DeviceFigure]:
    """The periods of ``kind`` (summed over its channels) or of one ``channel`` at a resolution of
    ``RESOLUTIONS``: five-minute rows and hours starting in [start, end), days in [first, last] (the
    caller cuts local days: ``processing.periods``). Days carry their cost when the kind has a price."""
    table = _TABLES[resolution]
    rows = table.objects.all()
    if kind is not None:
        rows = rows.filter(kind=kind)
    if channel is not None:
        rows = rows.filter(channel=channel)
    if resolution == "day":
        rows = rows.filter(day__gte=first, day__lte=last)
    else:
        rows = rows.filter(start__gte=start, start__lt=end)
    figures = _figures(rows, key="day" if resolution == "day" else "start")
    if resolution != "day":
        return figures
    kinds = {f.kind for f in figures}
    prices = {k: device_prices(kind=k, first=first, last=last) for k in kinds if k in PRICED_KINDS}
    return [
        replace(
            f,
            cost=round_cents(f.use * prices[f.kind][f.start]) if f.start in prices.get(f.kind, {}) else None,
        )
        for f in figures
    ]


def device_hours(*, kind: str, start: datetime, end: datetime) -> list[DeviceFigure]:
    """The hours [start, end) with values of ``kind``, summed over its channels."""
    return _figures(DeviceHour.objects.filter(kind=kind, start__gte=start, start__lt=end), key="start")


def device_days(*, kind: str, first: date, last: date) -> list[DeviceFigure]:
    """The days [first, last] with values of ``kind``, summed over its channels, with their costs."""
    return device_figures(resolution="day", start=_NEVER, end=_NEVER, first=first, last=last, kind=kind)


def _figures(rows, *, key: str) -> list[DeviceFigure]:
    """Rows summed per period; a period holding several kinds (a channel whose kind changed) is split."""
    grouped: dict[tuple, list] = {}
    values = rows.order_by(key, "channel").values_list(key, "kind", "unit", "use", "position")
    for start, kind, unit, use, position in values:
        entry = grouped.setdefault((start, kind, unit), [Decimal(0), Decimal(0)])
        entry[0] += use
        entry[1] += position
    return [
        DeviceFigure(start, kind, unit, use, position if kind != UNKNOWN else None)
        for (start, kind, unit), (use, position) in grouped.items()
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


def device_day_totals(*, days: list[date]) -> dict[date, dict[str, tuple[Decimal, Decimal | None]]]:
    """day → {kind: (use, cost)} for the given days, summed over each kind's channels (the day statistics'
    water/heat/cooling fields); the cost is None without a price for the kind that day."""
    totals: dict[date, dict[str, tuple[Decimal, Decimal | None]]] = defaultdict(dict)
    if not days:
        return totals
    rows = DeviceDay.objects.filter(day__in=days).values("day", "kind").annotate(total=Sum("use"))
    prices = {kind: device_prices(kind=kind, first=min(days), last=max(days)) for kind in PRICED_KINDS}
    for row in rows:
        price = prices.get(row["kind"], {}).get(row["day"])
        cost = None if price is None else round_cents(row["total"] * price)
        totals[row["day"]][row["kind"]] = (row["total"], cost)
    return totals


def device_hour_totals(*, starts: list[datetime]) -> dict[datetime, dict[str, tuple[Decimal, None]]]:
    """hour start → {kind: (use, None)} for the given hours (the hour statistics' device fields)."""
    totals: dict[datetime, dict[str, tuple[Decimal, None]]] = defaultdict(dict)
    rows = DeviceHour.objects.filter(start__in=starts).values("start", "kind").annotate(total=Sum("use"))
    for row in rows:
        totals[row["start"]][row["kind"]] = (row["total"], None)
    return totals
