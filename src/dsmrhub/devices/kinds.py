"""What an M-Bus channel is: decided by its device type line (0-n:24.1.0), as data.

The type codes are those of EN 13757-3 (the M-Bus standard DSMR refers to): 3 gas; 6 warm water, 7 water,
21 hot water, 22 cold water; 4 and 12 heat (volume measured at the outlet or the inlet), 13 heat/cooling;
10 and 11 cooling. A channel's number means nothing: gas on channel 2, 3 or 4, or a device that moves
channel after a meter visit, is found by its type. A type not in the table is kept as sent and shown as an
unknown device; a channel may be given a kind by hand (``DeviceOverride``) for meters that send no type
line or a wrong one.

Positions are converted to one unit per kind (m³ for gas and water, GJ for heat and cooling); a unit that
does not fit the kind, and every unknown device, keeps its value and unit as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from dsmrhub.telegram.model import GAS_KIND, MBUS_GAS, mbus_is_gas

GAS, WATER, HEAT, COOLING, UNKNOWN = GAS_KIND, "water", "heat", "cooling", "unknown"
CUBIC_METRE, GIGAJOULE = "m³", "GJ"


@dataclass(frozen=True, slots=True)
class DeviceKind:
    key: str
    label: object  # lazy translated text
    types: tuple[int, ...]  # M-Bus device type codes (EN 13757-3)
    unit: str  # the one unit of its positions ("" for unknown: as sent)


KINDS: tuple[DeviceKind, ...] = (
    DeviceKind(GAS, _("Gas meter"), (MBUS_GAS,), CUBIC_METRE),
    DeviceKind(WATER, _("Water meter"), (6, 7, 21, 22), CUBIC_METRE),
    DeviceKind(HEAT, _("Heat meter"), (4, 12, 13), GIGAJOULE),
    DeviceKind(COOLING, _("Cooling meter"), (10, 11), GIGAJOULE),
    DeviceKind(UNKNOWN, _("Unknown device"), (), ""),
)
KIND_BY_KEY = {kind.key: kind for kind in KINDS}
KIND_BY_TYPE = {code: kind for kind in KINDS for code in kind.types}
MEASURED_KINDS = tuple(kind.key for kind in KINDS if kind.key != UNKNOWN)  # gas, water, heat, cooling

# unit as meters send it (compared case-insensitively) → (the unit it converts to, factor)
UNITS: dict[str, tuple[str, Decimal]] = {
    "m3": (CUBIC_METRE, Decimal(1)),
    "m³": (CUBIC_METRE, Decimal(1)),
    "dm3": (CUBIC_METRE, Decimal("0.001")),
    "l": (CUBIC_METRE, Decimal("0.001")),
    "gj": (GIGAJOULE, Decimal(1)),
    "mj": (GIGAJOULE, Decimal("0.001")),
    "kwh": (GIGAJOULE, Decimal("0.0036")),
    "mwh": (GIGAJOULE, Decimal("3.6")),
}


@dataclass(frozen=True, slots=True)
class Classified:
    kind: str
    unit: str  # the unit positions are in after conversion
    factor: Decimal  # position = value × factor


def kind_of(device_type: int | None, override: str | None = None) -> DeviceKind:
    """The kind of a channel: the hand-set override when there is one, else its type line's. Whether it
    is gas is ``telegram.model.mbus_is_gas``'s answer, the rule ingest and the gas statistics follow."""
    if mbus_is_gas(device_type, override):
        return KIND_BY_KEY[GAS]
    if override:
        return KIND_BY_KEY.get(override, KIND_BY_KEY[UNKNOWN])
    return (
        KIND_BY_TYPE.get(device_type, KIND_BY_KEY[UNKNOWN])
        if device_type is not None
        else KIND_BY_KEY[UNKNOWN]
    )


def classify(device_type: int | None, unit: str, override: str | None = None) -> Classified:
    """Kind, unit and conversion factor of a value sent with ``unit`` by a device of ``device_type``.

    A measured kind whose value comes without a unit is taken to be in the kind's unit (DSMR sends m³ and
    GJ); a unit that does not convert to the kind's unit leaves the value as sent."""
    kind = kind_of(device_type, override)
    if kind.key == UNKNOWN:
        return Classified(UNKNOWN, unit, Decimal(1))
    if not unit:
        return Classified(kind.key, kind.unit, Decimal(1))
    target, factor = UNITS.get(unit.lower(), (None, Decimal(1)))
    if target != kind.unit:
        return Classified(kind.key, unit, Decimal(1))
    return Classified(kind.key, target, factor)


def device_label(kind: str, device_type: int | None) -> str:
    """What a device is called on pages and in Home Assistant: "Water meter", "Unknown device (type 15)"."""
    label = str(KIND_BY_KEY.get(kind, KIND_BY_KEY[UNKNOWN]).label)
    if kind == UNKNOWN and device_type is not None:
        return _("%(label)s (type %(type)s)") % {"label": label, "type": device_type}
    return label
