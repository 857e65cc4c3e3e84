"""What a parsed telegram is: plain frozen data, no Django.

Field names follow DSMR-reader's reading and meter-statistics names so the ingest
service can copy them one to one. Energy is in kWh, power in kW (converted where a
meter sends Wh/W), voltages in V, currents in A, gas/water in m3 (heat in GJ, as
sent). Timestamps are aware datetimes in UTC; ``None`` means "not in the telegram"
or "placeholder / impossible value".
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from decimal import Decimal

# M-Bus device types (EN 13757-3) that matter to us.
MBUS_GAS = 3
MBUS_HEAT = 4
MBUS_WARM_WATER = 6
MBUS_WATER = 7
MBUS_COOLING = 10
GAS_KIND = "gas"  # the kind key of a gas meter (``dsmrhub.devices.kinds``), as a channel's override names it


def mbus_is_gas(device_type: int | None, override: str | None = None) -> bool:
    """The one rule for "is this M-Bus channel gas": its hand-set kind when it has one (a meter without, or
    with a wrong, type line), else its type line 0-n:24.1.0. Ingest, devices and gas statistics all ask it."""
    if override:
        return override == GAS_KIND
    return device_type == MBUS_GAS


@dataclass(frozen=True, slots=True)
class MBusReading:
    """One M-Bus channel (0-n:...) of the telegram."""

    channel: int
    device_type: int | None
    equipment_identifier: str | None
    timestamp: datetime | None
    value: Decimal | None
    unit: str | None
    obis: str | None = None  # reading register, e.g. "0-1:24.2.1"

    @property
    def is_meter(self) -> bool:
        """An announced but empty channel (no type, placeholder date, no value) is not a meter."""
        return self.device_type is not None and self.value is not None


@dataclass(frozen=True, slots=True)
class PowerFailure:
    end: datetime | None
    duration_seconds: int


@dataclass(frozen=True, slots=True)
class MonthlyPeak:
    """One entry of the Belgian 13-month peak history (0-0:98.1.0)."""

    period_start: datetime | None  # start of the month the peak belongs to
    occurred_at: datetime | None  # when the quarter-hour peak happened (None: empty entry)
    value: Decimal  # kW


@dataclass(frozen=True)  # no slots: see telegram_from_values
class Telegram:
    raw: str
    header: str
    variant: str  # see dsmrhub.telegram.specs.VARIANTS: "dsmr22", "dsmr4", "dsmr5", "be", "lu", ...
    crc: str | None = None  # as sent (upper case), None for DSMR 2.2/3.0
    dsmr_version: str | None = None
    timestamp: datetime | None = None
    equipment_identifier: str | None = None
    electricity_delivered_1: Decimal | None = None
    electricity_delivered_2: Decimal | None = None
    electricity_returned_1: Decimal | None = None
    electricity_returned_2: Decimal | None = None
    electricity_delivered_total: Decimal | None = None
    electricity_returned_total: Decimal | None = None
    electricity_tariff: int | None = None
    electricity_currently_delivered: Decimal | None = None
    electricity_currently_returned: Decimal | None = None
    phase_currently_delivered_l1: Decimal | None = None
    phase_currently_delivered_l2: Decimal | None = None
    phase_currently_delivered_l3: Decimal | None = None
    phase_currently_returned_l1: Decimal | None = None
    phase_currently_returned_l2: Decimal | None = None
    phase_currently_returned_l3: Decimal | None = None
    phase_voltage_l1: Decimal | None = None
    phase_voltage_l2: Decimal | None = None
    phase_voltage_l3: Decimal | None = None
    phase_power_current_l1: Decimal | None = None
    phase_power_current_l2: Decimal | None = None
    phase_power_current_l3: Decimal | None = None
    power_failure_count: int | None = None
    long_power_failure_count: int | None = None
    voltage_sag_count_l1: int | None = None
    voltage_sag_count_l2: int | None = None
    voltage_sag_count_l3: int | None = None
    voltage_swell_count_l1: int | None = None
    voltage_swell_count_l2: int | None = None
    voltage_swell_count_l3: int | None = None
    text_message: str | None = None
    power_failure_log: tuple[PowerFailure, ...] = ()
    # Belgium (Fluvius e-MUCS) quarter-hour peak registers, kW
    current_average_demand: Decimal | None = None  # 1-0:1.4.0
    maximum_demand_month: Decimal | None = None  # 1-0:1.6.0 value
    maximum_demand_month_at: datetime | None = None  # 1-0:1.6.0 timestamp
    maximum_demand_13_months: tuple[tuple[datetime | None, Decimal], ...] = ()  # 0-0:98.1.0 (occurred_at, kW)
    mbus: tuple[MBusReading, ...] = ()
    other: dict[str, str] = field(default_factory=dict)  # unknown OBIS -> raw value text
    # Added by the parser (all optional): registers some meters send beyond DSMR-reader's fields.
    electricity_delivered_3: Decimal | None = None  # 1-0:1.8.3 (E.ON Hungary has four tariffs)
    electricity_delivered_4: Decimal | None = None  # 1-0:1.8.4
    electricity_returned_3: Decimal | None = None  # 1-0:2.8.3
    electricity_returned_4: Decimal | None = None  # 1-0:2.8.4
    text_message_code: str | None = None  # 0-0:96.13.1, as sent
    switch_position: int | None = None  # 0-0:96.3.10 breaker state
    actual_threshold: Decimal | None = None  # 0-0:17.0.0, in actual_threshold_unit (kW, kVA or A)
    actual_threshold_unit: str | None = None
    fuse_threshold_l1: Decimal | None = None  # 1-0:31.4.0, A
    fuse_threshold_l2: Decimal | None = None  # 1-0:51.4.0, A
    fuse_threshold_l3: Decimal | None = None  # 1-0:71.4.0, A
    version_information: str | None = None  # 0-0:96.1.4 (Belgian e-MUCS version, e.g. "50217")
    maximum_demand_history: tuple[MonthlyPeak, ...] = ()  # 0-0:98.1.0 with the month starts

    @property
    def gas(self) -> MBusReading | None:
        """The gas meter, chosen by device type (never "last channel wins"): what a reading's gas value is,
        as the telegram says it; an override by hand is applied by the gas statistics (``processing.gas``)."""
        for reading in self.mbus:
            if reading.value is not None and mbus_is_gas(reading.device_type):
                return reading
        return None


_DEFAULTS = {item.name: item.default for item in fields(Telegram) if item.default is not MISSING}
_FACTORIES = {
    item.name: item.default_factory for item in fields(Telegram) if item.default_factory is not MISSING
}
_NAMES = frozenset(item.name for item in fields(Telegram))


def telegram_from_values(values: dict[str, object]) -> Telegram:
    """``Telegram(**values)`` for the parser, several times faster: a frozen dataclass's ``__init__`` pays a
    generic ``object.__setattr__`` call for each of its ~60 fields, this fills the instance dict at once.
    ``values`` must hold field names only (and every field without a default)."""
    state = _DEFAULTS.copy()
    state.update(values)
    for name, factory in _FACTORIES.items():
        if name not in values:
            state[name] = factory()
    telegram = object.__new__(Telegram)
    object.__setattr__(telegram, "__dict__", state)
    return telegram
