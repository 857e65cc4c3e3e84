"""Telegram variants as data: per country/meter family, a table of OBIS code -> register.

A ``Register`` says which ``Telegram`` field an OBIS line fills, how its value is read (``kind``)
and, for numbers, the unit the field is kept in plus the units a meter may send instead (with the
power of ten that converts them, e.g. Wh -> kWh is -3). Everything not in a variant's table ends up
in ``Telegram.other``. ``detect_variant`` picks a variant from the telegram itself.

Variant names: ``dsmr22`` (DSMR 2.2 and 3.0), ``dsmr4``, ``dsmr5``, ``be`` (Fluvius e-MUCS),
``lu`` (Luxembourg Smarty), ``se`` (Sweden), ``hu`` (E.ON Hungary), ``ie`` (Iskra IE.x, Ireland),
``q3d`` (EasyMeter Q3D), ``t210dr`` (Sagemcom T210-D-r, Austria).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Value kinds ------------------------------------------------------------------------------------
DECIMAL = "decimal"  # (123.456*kWh) -> Decimal in the register's unit
INTEGER = "integer"  # (00004) -> int (counters, tariff, switch position)
TEXT = "text"  # (...) -> str as sent, None when empty (ids, hex text messages, versions)
TIMESTAMP = "timestamp"  # (YYMMDDhhmmssX) -> aware UTC datetime or None
THRESHOLD = "threshold"  # (999.9*kW) -> Decimal + unit as sent (kW, kVA or A depending on the meter)
POWER_FAILURE_LOG = "power_failure_log"  # (n)(0-0:96.7.19)(end)(duration*s)...
DEMAND_PEAK = "demand_peak"  # (when)(value*kW) -> field, field + "_at"
PEAK_HISTORY = "peak_history"  # Belgian 0-0:98.1.0 13-month peaks
MBUS_TYPE = "mbus_type"  # 0-n:24.1.0
MBUS_ID = "mbus_id"  # 0-n:96.1.0 / 0-n:96.1.1
MBUS_VALUE = "mbus_value"  # 0-n:24.2.1 / 0-n:24.2.3 (timestamp)(value*unit)
MBUS_VALUE_DSMR22 = "mbus_value_dsmr22"  # 0-n:24.3.0(ts)(..)(..)(..)(obis)(unit) + value on the next line


@dataclass(frozen=True, slots=True)
class Unit:
    """The unit a field is kept in, and the power of ten for each other spelling a meter may send."""

    name: str
    scales: Mapping[str, int]  # lower-case unit -> exponent to apply

    def exponent(self, sent: str) -> int | None:
        """Power of ten that converts a value sent in ``sent`` to this unit; None if not convertible."""
        return self.scales.get(sent.lower())


ENERGY = Unit("kWh", {"kwh": 0, "wh": -3})
POWER = Unit("kW", {"kw": 0, "w": -3})
VOLTAGE = Unit("V", {"v": 0})
CURRENT = Unit("A", {"a": 0})


@dataclass(frozen=True, slots=True)
class Register:
    field: str
    kind: str
    unit: Unit | None = None
    channel: int = 0  # M-Bus channel for the MBUS_* kinds


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    description: str
    registers: Mapping[str, Register]
    crc_required: bool = True  # with check_crc, a bare '!' (no CRC) is rejected
    totals_as_tariffs: bool = False  # no tariff registers: book 1.8.0/2.8.0 on tariff 1, 0 on tariff 2
    # OBIS codes a meter may send on electricity channel 1-1 instead of 1-0 (Sagemcom XT211)
    channel1_aliases: frozenset[str] = field(default_factory=frozenset)


# Register tables --------------------------------------------------------------------------------
MBUS_CHANNELS = range(1, 10)


def _mbus(*, reading_codes: tuple[str, ...], id_codes: tuple[str, ...]) -> dict[str, Register]:
    table: dict[str, Register] = {}
    for n in MBUS_CHANNELS:
        table[f"0-{n}:24.1.0"] = Register("device_type", MBUS_TYPE, channel=n)
        for code in id_codes:
            table[f"0-{n}:{code}"] = Register("equipment_identifier", MBUS_ID, channel=n)
        for code in reading_codes:
            kind = MBUS_VALUE_DSMR22 if code == "24.3.0" else MBUS_VALUE
            table[f"0-{n}:{code}"] = Register("value", kind, channel=n)
    return table


_ELECTRICITY = {
    "0-0:96.1.1": Register("equipment_identifier", TEXT),
    "1-0:1.8.1": Register("electricity_delivered_1", DECIMAL, ENERGY),
    "1-0:1.8.2": Register("electricity_delivered_2", DECIMAL, ENERGY),
    "1-0:2.8.1": Register("electricity_returned_1", DECIMAL, ENERGY),
    "1-0:2.8.2": Register("electricity_returned_2", DECIMAL, ENERGY),
    "0-0:96.14.0": Register("electricity_tariff", INTEGER),
    "1-0:1.7.0": Register("electricity_currently_delivered", DECIMAL, POWER),
    "1-0:2.7.0": Register("electricity_currently_returned", DECIMAL, POWER),
    "0-0:17.0.0": Register("actual_threshold", THRESHOLD),
    "0-0:96.3.10": Register("switch_position", INTEGER),
    "0-0:96.13.1": Register("text_message_code", TEXT),
    "0-0:96.13.0": Register("text_message", TEXT),
}

_DSMR22 = {
    **_ELECTRICITY,
    **_mbus(reading_codes=("24.3.0",), id_codes=("96.1.0",)),
}

_DSMR4 = {
    **_ELECTRICITY,
    "1-3:0.2.8": Register("dsmr_version", TEXT),
    "0-0:1.0.0": Register("timestamp", TIMESTAMP),
    "0-0:96.7.21": Register("power_failure_count", INTEGER),
    "0-0:96.7.9": Register("long_power_failure_count", INTEGER),
    "1-0:99.97.0": Register("power_failure_log", POWER_FAILURE_LOG),
    "1-0:32.32.0": Register("voltage_sag_count_l1", INTEGER),
    "1-0:52.32.0": Register("voltage_sag_count_l2", INTEGER),
    "1-0:72.32.0": Register("voltage_sag_count_l3", INTEGER),
    "1-0:32.36.0": Register("voltage_swell_count_l1", INTEGER),
    "1-0:52.36.0": Register("voltage_swell_count_l2", INTEGER),
    "1-0:72.36.0": Register("voltage_swell_count_l3", INTEGER),
    "1-0:32.7.0": Register("phase_voltage_l1", DECIMAL, VOLTAGE),
    "1-0:52.7.0": Register("phase_voltage_l2", DECIMAL, VOLTAGE),
    "1-0:72.7.0": Register("phase_voltage_l3", DECIMAL, VOLTAGE),
    "1-0:31.7.0": Register("phase_power_current_l1", DECIMAL, CURRENT),
    "1-0:51.7.0": Register("phase_power_current_l2", DECIMAL, CURRENT),
    "1-0:71.7.0": Register("phase_power_current_l3", DECIMAL, CURRENT),
    "1-0:21.7.0": Register("phase_currently_delivered_l1", DECIMAL, POWER),
    "1-0:41.7.0": Register("phase_currently_delivered_l2", DECIMAL, POWER),
    "1-0:61.7.0": Register("phase_currently_delivered_l3", DECIMAL, POWER),
    "1-0:22.7.0": Register("phase_currently_returned_l1", DECIMAL, POWER),
    "1-0:42.7.0": Register("phase_currently_returned_l2", DECIMAL, POWER),
    "1-0:62.7.0": Register("phase_currently_returned_l3", DECIMAL, POWER),
    **_mbus(reading_codes=("24.2.1", "24.3.0"), id_codes=("96.1.0", "96.1.1")),
}

_DSMR5 = {
    **_DSMR4,
    "1-0:1.8.0": Register("electricity_delivered_total", DECIMAL, ENERGY),
    "1-0:2.8.0": Register("electricity_returned_total", DECIMAL, ENERGY),
    "1-0:31.4.0": Register("fuse_threshold_l1", DECIMAL, CURRENT),
    "1-0:51.4.0": Register("fuse_threshold_l2", DECIMAL, CURRENT),
    "1-0:71.4.0": Register("fuse_threshold_l3", DECIMAL, CURRENT),
    "0-0:96.1.4": Register("version_information", TEXT),
    # IEC 62056 demand registers; Fluvius uses them, some DSMR 5 style meters too
    "1-0:1.4.0": Register("current_average_demand", DECIMAL, POWER),
    "1-0:1.6.0": Register("maximum_demand_month", DEMAND_PEAK, POWER),
}

_FLUVIUS = {
    **_DSMR5,
    "0-0:98.1.0": Register("maximum_demand_13_months", PEAK_HISTORY, POWER),
    **_mbus(reading_codes=("24.2.1", "24.2.3"), id_codes=("96.1.0", "96.1.1")),
}

_SMARTY = {
    **_DSMR5,
    "0-0:42.0.0": Register("equipment_identifier", TEXT),  # logical device name
}

_EON_HU = {
    **_DSMR5,
    "0-0:42.0.0": Register("equipment_identifier", TEXT),  # logical device name
    "1-0:1.8.3": Register("electricity_delivered_3", DECIMAL, ENERGY),
    "1-0:1.8.4": Register("electricity_delivered_4", DECIMAL, ENERGY),
    "1-0:2.8.3": Register("electricity_returned_3", DECIMAL, ENERGY),
    "1-0:2.8.4": Register("electricity_returned_4", DECIMAL, ENERGY),
}

_Q3D = {
    # OBIS codes carry a '*255' suffix on the wire; lookups strip it.
    "0-0:96.1.255": Register("equipment_identifier", TEXT),
    "1-0:1.8.0": Register("electricity_delivered_total", DECIMAL, ENERGY),
    "1-0:2.8.0": Register("electricity_returned_total", DECIMAL, ENERGY),
    "1-0:1.7.0": Register("electricity_currently_delivered", DECIMAL, POWER),
    "1-0:2.7.0": Register("electricity_currently_returned", DECIMAL, POWER),
    "1-0:21.7.0": Register("phase_currently_delivered_l1", DECIMAL, POWER),
    "1-0:41.7.0": Register("phase_currently_delivered_l2", DECIMAL, POWER),
    "1-0:61.7.0": Register("phase_currently_delivered_l3", DECIMAL, POWER),
}

_ENERGY_ALIASES = frozenset({"1.8.0", "1.8.1", "1.8.2", "2.8.0", "2.8.1", "2.8.2", "1.7.0", "2.7.0"})


def _spec(name: str, description: str, registers: dict[str, Register], **options) -> Spec:
    return Spec(name, description, MappingProxyType(registers), **options)


VARIANTS: Mapping[str, Spec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            _spec(
                "dsmr22", "DSMR 2.2 / 3.0 (NL), no CRC, two-line gas 0-n:24.3.0", _DSMR22, crc_required=False
            ),
            _spec("dsmr4", "DSMR 4.x (NL)", _DSMR4),
            _spec("dsmr5", "DSMR 5.x (NL) and DSMR 5 based meters", _DSMR5, channel1_aliases=_ENERGY_ALIASES),
            _spec("be", "Belgium, Fluvius e-MUCS", _FLUVIUS),
            _spec("lu", "Luxembourg Smarty", _SMARTY, totals_as_tariffs=True),
            _spec("se", "Sweden (totals only)", _DSMR5, totals_as_tariffs=True),
            _spec("hu", "Hungary, E.ON (four tariffs)", _EON_HU),
            _spec("ie", "Ireland, Iskra IE.x (DSMR 5 style, no version line)", _DSMR5, crc_required=False),
            _spec(
                "q3d",
                "EasyMeter Q3D (Germany), no CRC, power in W",
                _Q3D,
                crc_required=False,
                totals_as_tariffs=True,
            ),
            _spec("t210dr", "Sagemcom T210-D-r (Austria), energy in Wh, power in W", _DSMR5),
        )
    }
)


def _register_value(text: str, obis: str) -> str | None:
    """The first value of an OBIS line found anywhere in ``text`` (cheap; used for detection only)."""
    at = text.find("\n" + obis + "(")
    if at < 0:
        return None
    start = at + len(obis) + 2
    end = text.find(")", start)
    return text[start:end] if end >= 0 else None


def detect_variant(header: str, text: str) -> str:
    """Name of the variant for a telegram, from its header line and registers."""
    maker = header[1:4].upper()
    if maker == "ESY":
        return "q3d"
    version = _register_value(text, "1-3:0.2.8")
    be_version = _register_value(text, "0-0:96.1.4")
    if maker == "FLU" or (be_version is not None and len(be_version) == 5 and be_version.startswith("5")):
        return "be"
    has_logical_name = "\n0-0:42.0.0(" in text
    if maker == "LUX" or (has_logical_name and version):
        return "lu"
    if maker == "EST":
        return "t210dr"
    if version:
        if version >= "50":
            return "dsmr5"
        return "dsmr4" if version >= "40" else "dsmr22"
    if has_logical_name:
        return "hu"
    if "\n0-0:1.0.0(" not in text:
        return "dsmr22"
    if "\n1-0:1.8.0(" in text and "\n1-0:1.8.1(" not in text:
        return "se"
    if maker == "ISK":
        return "ie"
    return "dsmr5"


def normalise_obis(obis: str, spec: Spec) -> str:
    """Spelling variants of an OBIS code -> the form used in the tables ('' when it is no OBIS code).

    Handles the '*255' suffix (EasyMeter), a fifth '.255' group (DSMR 4.2.2 examples), a second ':'
    instead of '.' (DSMR 4.0 standard's '1-0:99:97.0'), electricity channel 1-1 (Sagemcom XT211) and
    stray blanks or NUL bytes around the code.
    """
    code = obis.strip(" \t\x00")
    if code.endswith("*255"):
        code = code[:-4]
    medium, colon, rest = code.partition(":")
    if not colon:
        return ""
    rest = rest.replace(":", ".")
    groups = rest.split(".")
    if len(groups) == 4 and groups[3] == "255":
        rest = ".".join(groups[:3])
    if medium == "1-1" and rest in spec.channel1_aliases:
        medium = "1-0"
    return f"{medium}:{rest}"


# Tariff conventions -----------------------------------------------------------------------------
# The tariff register (0-0:96.14.0) and the registers 1.8.1/1.8.2 name no tariff, only 1 and 2; what they
# mean is the country's convention. The names are English keys; the web pages translate them.


@dataclass(frozen=True, slots=True)
class TariffConvention:
    country: str  # ISO 3166 code
    tariff_1: str
    tariff_2: str

    def name(self, tariff: int) -> str | None:
        return {1: self.tariff_1, 2: self.tariff_2}.get(tariff)


NETHERLANDS = TariffConvention("NL", tariff_1="low", tariff_2="normal")
BELGIUM = TariffConvention("BE", tariff_1="day", tariff_2="night")

# Variants without an entry (Luxembourg, Sweden, Hungary, ...) name their tariffs by number. A meter we have
# no telegram of (readings posted as values) follows DEFAULT_TARIFF_CONVENTION, as DSMR-reader's names do.
TARIFF_CONVENTIONS: Mapping[str, TariffConvention] = MappingProxyType(
    {"dsmr22": NETHERLANDS, "dsmr4": NETHERLANDS, "dsmr5": NETHERLANDS, "be": BELGIUM}
)
DEFAULT_TARIFF_CONVENTION = NETHERLANDS


def tariff_convention(variant: str | None) -> TariffConvention | None:
    """The tariff names of a variant's country; None where the country has no such convention."""
    if variant is None:
        return DEFAULT_TARIFF_CONVENTION
    return TARIFF_CONVENTIONS.get(variant)
