"""The shared telegram corpus (../shared/telegrams) and how its manifest maps onto ``Telegram``.

The manifest's ``expected`` values use several sources' naming (DSMR-reader, dsmr_parser,
node-dsmr-parser, dsmr-tools); ``check_expected`` translates each key to our model. The few
places where we deliberately read a telegram differently from a source are listed in
``DEVIATIONS`` with the reason, and asserted to stay exactly that way.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dsmrhub.telegram import Telegram, TelegramError, parse_telegram

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
IN_CI = os.environ.get("CI", "").lower() == "true"
MISSING_REASON = "../shared/telegrams not found: corpus tests skipped"


def corpus_dir() -> Path:
    configured = os.environ.get("DSMRHUB_TELEGRAM_CORPUS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "telegrams"


@cache
def manifest() -> list[dict] | None:
    path = corpus_dir() / "manifest.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def entries(predicate=lambda entry: True) -> list:
    """pytest params (one per manifest entry), or one param that skips (fails in CI) without the corpus."""
    data = manifest()
    if data is None:
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(entry, id=entry["file"]) for entry in data if predicate(entry)]


def require(entry, reason: str = MISSING_REASON):
    """The entry, or skip with a visible reason - a hard failure when CI=true."""
    if entry is None:
        if IN_CI:
            pytest.fail(f"{reason} - but CI=true, where the corpus is mandatory")
        pytest.skip(reason)
    return entry


def read(entry: dict) -> bytes:
    return (corpus_dir() / entry["file"]).read_bytes()


# Where we read a telegram differently from the source that asserted a value (file, key) -> reason.
DEVIATIONS: dict[tuple[str, str], str] = {
    ("nodedsmr-kamstrup-omnia-se-1.txt", "timestamp_naive_local"): (
        "timestamp anonymised to 250000000000W (month 00): impossible, so None; node-dsmr-parser's "
        "JavaScript Date rolls it over to 2024-11-30"
    ),
    ("nodedsmr-sagemcom-xt211-1.txt", "timestamp_naive_local"): (
        "timestamp anonymised to 123412341234W (month 34): impossible, so None; "
        "node-dsmr-parser rolls it over"
    ),
    ("dsmrparser-iskra-ie5-1.txt", "gas_equipment_identifier"): (
        "dsmr_parser's ISKRA_IE spec files the meter's own serial 0-0:96.1.0 under EQUIPMENT_IDENTIFIER_GAS; "
        "the telegram has no gas meter, so Telegram.gas is None and 0-0:96.1.0 stays in other"
    ),
    ("dsmrparser-iskra-am550-dsmr50-2mbus-1.txt", "mbus"): (
        "channel 1 is an empty slot (700101010000W)(00000000) without unit: value None, not dsmr_parser's 0"
    ),
}

# Keys that do not come from the telegram itself.
NOT_FROM_TELEGRAM = {"timestamp_utc_from_mocked_clock"}

_DIFFERENCE = re.compile(r"^(\w+): asserted .*?, telegram gives '?(.*?)'? \(")


def telegram_given(entry: dict) -> dict[str, str]:
    """Keys where the source's assertion is its own interpretation -> the value the telegram carries."""
    found = {}
    for text in (entry.get("expected_vs_telegram") or {}).get("differences", []):
        match = _DIFFERENCE.match(text)
        assert match, text
        found[match.group(1)] = match.group(2)
    return found


def parse_entry(entry: dict, data: bytes | None = None) -> Telegram:
    """Parse with CRC checking where the CRC holds (or is absent), without it where the file's is wrong."""
    data = read(entry) if data is None else data
    crc = entry["crc"]
    return parse_telegram(
        data, check_crc=crc.get("valid") is not False or bool(crc.get("valid_when_unpadded_crc_allowed"))
    )


# Value helpers -----------------------------------------------------------------------------------
def dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def utc_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def same_moment(actual: datetime | None, expected: str | None, *, wall_time: bool = False) -> bool:
    """``expected`` as ISO text: with Z/offset compared as instants, without an offset - or with
    ``wall_time`` - as Amsterdam wall time."""
    if expected is None or actual is None:
        return expected is None and actual is None
    wanted = datetime.fromisoformat(expected.replace("Z", "+00:00"))
    if wanted.tzinfo is None or wall_time:
        return actual.astimezone(AMSTERDAM).replace(tzinfo=None) == wanted.replace(tzinfo=None)
    return actual == wanted


def hex_text(value: str | None) -> str:
    return bytes.fromhex(value).decode("latin-1") if value else ""


def iso_duration_seconds(text: str) -> int:
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text)
    assert match, text
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def version_number(tel: Telegram) -> Decimal | None:
    return None if tel.dsmr_version is None else Decimal(tel.dsmr_version) / 10


def other_raw(groups: list[str]) -> str:
    return "(" + ")(".join(groups) + ")"


# The checks ----------------------------------------------------------------------------------------
_DECIMAL_FIELDS = re.compile(
    r"^(electricity_(delivered|returned)_(\d|total)|electricity_currently_(delivered|returned)"
    r"|phase_\w+_l\d|current_average_demand|actual_threshold|fuse_threshold_l\d)$"
)
_INT_FIELDS = re.compile(
    r"^(power_failure_count|long_power_failure_count|voltage_s(ag|well)_count_l\d|electricity_tariff)$"
)
_TEXT_FIELDS = {"dsmr_version", "equipment_identifier", "text_message", "text_message_code", "header", "crc"}


def check_value(tel: Telegram, key: str, expected, entry: dict, *, wall_time: bool = False) -> None:
    """Assert one manifest value (source naming) against the parsed telegram.

    ``wall_time``: compare local timestamps by their digits only. The corpus builder turned W/S into
    +01:00/+02:00 literally, while the flag only picks the autumn fold for us; where a meter's flag
    contradicts the calendar (an 'S' in February) the builder's instant is off by an hour.
    """
    where = f"{entry['file']}: {key}"

    def _same(actual: datetime | None, wanted: str | None) -> bool:
        return same_moment(actual, wanted, wall_time=wall_time)

    if _DECIMAL_FIELDS.match(key):
        assert getattr(tel, key) == dec(expected), where
    elif _INT_FIELDS.match(key):
        actual = getattr(tel, key)
        assert actual == (None if expected is None else int(expected)), where
    elif key in _TEXT_FIELDS:
        assert getattr(tel, key) == expected, where
    elif key == "timestamp_utc":
        assert utc_text(tel.timestamp) == expected, where
    elif key in ("timestamp_local", "timestamp_naive_local"):
        assert _same(tel.timestamp, expected), where
    elif key == "extra_device_timestamp_utc":
        assert utc_text(tel.gas.timestamp if tel.gas else None) == expected, where
    elif key in ("extra_device_delivered", "gas_delivered"):
        assert (tel.gas.value if tel.gas else None) == dec(expected), where
    elif key == "gas_timestamp_local":
        assert _same(tel.gas.timestamp if tel.gas else None, expected), where
    elif key == "gas_device_type":
        assert tel.gas is not None and tel.gas.device_type == int(expected), where
    elif key == "gas_equipment_identifier":
        assert (tel.gas.equipment_identifier if tel.gas else None) == expected, where
    elif key == "gas_equipment_identifier_decoded":  # the gas meter's id, even while it has no reading
        gas = gas_channel(tel)
        actual = hex_text(gas.equipment_identifier).strip() if gas else None
        assert actual == expected, where
    elif key == "equipment_identifier_decoded":
        assert hex_text(tel.equipment_identifier).strip() == expected, where
    elif key == "text_message_decoded":
        assert hex_text(tel.text_message) == expected, where
    elif key == "text_message_code_number":  # node-dsmr-parser: a JavaScript number (0 when empty)
        assert float(int(tel.text_message_code or "0")) == float(expected), where
    elif key == "dsmr_version_number":
        assert version_number(tel) == dec(expected), where
    elif key == "dsmr_version_text":
        if expected == "2.2":
            assert tel.variant == "dsmr22" and tel.dsmr_version is None, where
        else:
            assert version_number(tel) == dec(expected), where
    elif key == "crc_valid":
        check_crc_valid(entry, expected)
    elif key == "switch_position":
        assert tel.switch_position == int(expected), where
    elif key == "belgium_version_information":
        assert tel.version_information == expected, where
    elif key == "logical_device_name":  # 0-0:42.0.0 is the equipment id of LU and HU meters
        assert tel.equipment_identifier == expected, where
    elif key == "serial_number":
        assert hex_text(tel.other["0-0:96.1.2"][1:-1]) == expected, where
    elif key == "mbus_valve_position":
        assert tel.other["0-1:24.4.0"] == f"({expected})", where
    elif key == "power_failure_log_count":
        assert len(tel.power_failure_log) == expected, where
    elif key == "power_failure_log":
        check_failure_log(tel, expected, where, _same)
    elif key == "power_failure_events":
        assert len(tel.power_failure_log) == len(expected), where
        for event in expected:
            failure = tel.power_failure_log[event["index"]]
            duration = iso_duration_seconds(event["duration"])
            assert failure.duration_seconds == duration, where
            assert _same(failure.end, event["end"]), where
            assert _same(failure.end - timedelta(seconds=duration), event["start"]), where
    elif key == "maximum_demand_month":
        assert tel.maximum_demand_month == dec(expected["value"]), where
        assert _same(
            tel.maximum_demand_month_at, expected.get("timestamp_local") or expected.get("timestamp")
        ), where
    elif key == "maximum_demand_13_months":
        entries_ = expected["entries"] if isinstance(expected, dict) else expected
        assert len(tel.maximum_demand_history) == len(entries_), where
        for peak, wanted in zip(tel.maximum_demand_history, entries_, strict=True):
            assert peak.value == dec(wanted["value"]), where
            assert _same(peak.period_start, wanted["month_start_local"]), where
            assert _same(peak.occurred_at, wanted["occurred_local"]), where
        assert tel.maximum_demand_13_months == tuple(
            (p.occurred_at, p.value) for p in tel.maximum_demand_history
        )
    elif key == "mbus":
        check_mbus_map(tel, expected, entry)
    elif key == "mbus_devices":
        check_mbus_devices(tel, expected, where, _same)
    elif key == "other_objects":
        for obis, groups in expected.items():
            if obis in tel.other:
                assert tel.other[obis] == other_raw(groups), f"{where} {obis}"
    else:
        raise AssertionError(f"{where}: no mapping for this manifest key")


def gas_channel(tel: Telegram):
    return tel.gas or next((reading for reading in tel.mbus if reading.device_type == 3), None)


def check_crc_valid(entry: dict, valid: bool) -> None:
    data = read(entry)
    if not entry["crc"]["present"]:  # dsmr-tools: "no CRC" is "not a valid CRC"; we accept DSMR 2.2 without
        assert not valid and parse_telegram(data).crc is None
        return
    if valid:
        parse_telegram(data)
        return
    with pytest.raises(TelegramError, match="CRC mismatch"):
        parse_telegram(data)


def check_failure_log(tel: Telegram, expected: dict, where: str, _same) -> None:
    events = expected.get("events", [])
    assert len(tel.power_failure_log) == len(events), where
    for failure, event in zip(tel.power_failure_log, events, strict=True):
        assert failure.duration_seconds == event["duration_s"], where
        if "end_utc" in event:
            assert utc_text(failure.end) == event["end_utc"], where
        else:
            assert _same(failure.end, event["end_local"]), where


def check_mbus_map(tel: Telegram, expected: dict, entry: dict) -> None:
    """``{"index 0": {...}}`` (dsmr_parser order) or ``{"channel 1": {...}}`` (node-dsmr-parser)."""
    where = f"{entry['file']}: mbus"
    by_channel = {reading.channel: reading for reading in tel.mbus}
    for label, wanted in expected.items():
        kind, number = label.split()
        reading = tel.mbus[int(number)] if kind == "index" else by_channel[int(number)]
        device_type = wanted.get("device_type", wanted.get("deviceType"))
        assert reading.device_type == device_type, f"{where} {label}"
        if "equipment_identifier" in wanted or "equipmentId" in wanted:
            wanted_id = wanted.get("equipment_identifier", wanted.get("equipmentId"))
            assert (reading.equipment_identifier or "") == (wanted_id or ""), f"{where} {label}"
        if "value" in wanted:
            if reading.value is None and wanted["value"] == 0:
                assert (entry["file"], "mbus") in DEVIATIONS, f"{where} {label}: empty slot read as None"
            else:
                assert reading.value == dec(wanted["value"]), f"{where} {label}"
        if "unit" in wanted:
            assert reading.unit == wanted["unit"], f"{where} {label}"
        if "timestamp" in wanted:
            assert same_moment(reading.timestamp, wanted["timestamp"]), f"{where} {label}"


_CHANNEL_EXTRAS = {"valve_position": "24.4.0", "switch_position": "96.3.10", "serial_number": "96.1.2"}


def check_mbus_devices(tel: Telegram, devices: list[dict], where: str, _same) -> None:
    """The corpus builder's raw M-Bus readings; an empty slot (zero without unit) must come out empty.

    Valve (24.4.0), breaker (96.3.10) and serial (96.1.2) lines stay in ``other``; a channel that
    only has those (Luxembourg and Belgian breaker states) is no M-Bus reading.
    """
    by_channel = {reading.channel: reading for reading in tel.mbus}
    readings = [device for device in devices if set(device) - set(_CHANNEL_EXTRAS) - {"channel"}]
    assert sorted(by_channel) == sorted(device["channel"] for device in readings), where
    for device in devices:
        label = f"{where} channel {device['channel']}"
        for extra, obis in _CHANNEL_EXTRAS.items():
            if extra in device:
                assert tel.other[f"0-{device['channel']}:{obis}"] == f"({device[extra]})", label
        if device not in readings:
            continue
        reading = by_channel[device["channel"]]
        assert reading.device_type == device.get("device_type"), label
        assert reading.equipment_identifier == device.get("equipment_identifier"), label
        if "value" not in device:
            assert reading.value is None, label
            continue
        empty = device["value"] == 0 and (device["unit"] is None or device["timestamp_local"] is None)
        if empty:
            assert (reading.value, reading.timestamp, reading.is_meter) == (None, None, False), label
            continue
        assert reading.value == dec(device["value"]), label
        assert reading.unit == device["unit"], label
        assert _same(reading.timestamp, device["timestamp_local"]), label
        assert reading.obis == f"0-{device['channel']}:{device['reading_obis']}", label


# from_telegram keys that are not checked: raw text, notes, or information the model does not keep.
FROM_TELEGRAM_SKIPPED = {
    "timestamp",  # the raw stamp text; timestamp_local is checked
    "timestamp_utc",  # derived by the builder from W=+1/S=+2 literally (see check_value's wall_time)
    "units_converted_from",
    "reader_notes",
    "actual_threshold_unit",  # checked together with actual_threshold below
}


def check_from_telegram(tel: Telegram, values: dict, entry: dict) -> None:
    """Every value the corpus builder read from the telegram that the model has a field for."""
    for key, expected in values.items():
        if key in FROM_TELEGRAM_SKIPPED:
            continue
        if key == "actual_threshold":
            check_value(tel, key, expected, entry, wall_time=True)
            assert tel.actual_threshold_unit == values.get("actual_threshold_unit"), entry["file"]
        else:
            check_value(tel, key, expected, entry, wall_time=True)
