"""Changes to the devices' settings: a channel's kind by hand, and the prices per m³ / GJ."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from dsmrhub.devices.kinds import KIND_BY_KEY
from dsmrhub.devices.models import PRICED_KINDS, DeviceOverride, DevicePrice, DevicesState

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # as energy contracts (prices.contract_validate)
MAX_CHANNEL = 255


class DeviceSettingError(ValueError):
    """A device setting that cannot be stored; the message says why."""


def device_override_set(*, channel: int, kind: str | None) -> DeviceOverride | None:
    """Set (or with ``kind`` None, remove) the kind of ``channel``; the device rows are rebuilt by the
    processor's next pass."""
    if not 0 <= channel <= MAX_CHANNEL:
        raise DeviceSettingError(f"channel must be 0 to {MAX_CHANNEL}, not {channel}")
    if kind is not None and kind not in KIND_BY_KEY:
        raise DeviceSettingError(f"kind must be one of {', '.join(KIND_BY_KEY)}, not {kind!r}")
    with transaction.atomic():
        DevicesState.store(built=False)
        if kind is None:
            DeviceOverride.objects.filter(channel=channel).delete()
            return None
        return DeviceOverride.objects.update_or_create(channel=channel, defaults={"kind": kind})[0]


def device_price_validate(
    *, kind: str, start: date, end: date | None, price: Decimal, pk: int | None = None
) -> None:
    """A price for water, heat or cooling: ≥ 0 with at most 6 decimals, days 2000-01-01 … 2099-12-31, end
    not before start, no overlap with another price of the kind. ``DeviceSettingError`` otherwise."""
    if kind not in PRICED_KINDS:
        raise DeviceSettingError(f"a price is for one of {', '.join(PRICED_KINDS)}, not {kind!r}")
    if not price.is_finite() or price < 0 or price.as_tuple().exponent < -6 or price >= 10**6:
        raise DeviceSettingError("the price must be 0 or more, below 1000000, with at most 6 decimals")
    if not FIRST_DAY <= start <= LAST_DAY or (end is not None and not FIRST_DAY <= end <= LAST_DAY):
        raise DeviceSettingError("days must lie from 2000-01-01 through 2099-12-31")
    if end is not None and end < start:
        raise DeviceSettingError("the end lies before the start")
    overlapping = DevicePrice.objects.filter(kind=kind).filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        overlapping = overlapping.filter(start__lte=end)
    if overlapping.exclude(pk=pk).exists():
        raise DeviceSettingError("another price of this kind is valid on some of these days")


def device_price_save(
    *, kind: str, start: date, end: date | None, price: Decimal, pk: int | None = None
) -> DevicePrice:
    """Store a price (a new one, or ``pk`` changed) after ``device_price_validate``."""
    with transaction.atomic():
        device_price_validate(kind=kind, start=start, end=end, price=price, pk=pk)
        values = {"kind": kind, "start": start, "end": end, "price": price}
        if pk is None:
            return DevicePrice.objects.create(**values)
        DevicePrice.objects.filter(pk=pk).update(**values)
        return DevicePrice.objects.get(pk=pk)
