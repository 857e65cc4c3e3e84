"""Every parser path on the repo's own fixtures (tests/fixtures/telegrams), no shared corpus needed.

Each country / meter family has one telegram whose *every* ``Telegram`` field is asserted: the
expectations below list all fields that are not at their default, and the test checks that all
other fields are at their default.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from dsmrhub.telegram import (
    MBusReading,
    MonthlyPeak,
    PowerFailure,
    Telegram,
    TelegramError,
    TelegramFramer,
    decrypt_frame,
    parse_telegram,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegrams"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def assert_all_fields(tel: Telegram, expected: dict) -> None:
    """Listed fields equal (Decimals compared by value *and* digits), all others at their default."""
    for field in dataclasses.fields(Telegram):
        if field.name == "raw":
            continue
        actual = getattr(tel, field.name)
        if field.name in expected:
            wanted = expected[field.name]
        elif field.default_factory is not dataclasses.MISSING:
            wanted = field.default_factory()
        else:
            wanted = field.default
        assert actual == wanted, field.name
        if isinstance(wanted, D):
            assert str(actual) == str(wanted), f"{field.name}: digits as sent"
    unknown = set(expected) - {field.name for field in dataclasses.fields(Telegram)}
    assert not unknown


# name -> (fixture, CRC valid, fields that are not at their default)
FAMILIES = {
    "dsmr22": (
        "dsmrparser-iskra-mt382-dsmr22-1.txt",
        True,
        dict(
            header="/ISk5\\2MT382-1004",
            variant="dsmr22",
            equipment_identifier="00000000000000",
            electricity_delivered_1=D("1.001"),
            electricity_delivered_2=D("1.001"),
            electricity_returned_1=D("1.001"),
            electricity_returned_2=D("1.001"),
            electricity_tariff=1,
            electricity_currently_delivered=D("1.01"),
            electricity_currently_returned=D("0.00"),
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier="000000000000",
                    timestamp=utc("2016-11-07 18:00:00"),
                    value=D("1.001"),
                    unit="m3",
                    obis="0-1:24.3.0",
                ),
            ),
            other={
                "0-1:24.4.0": "(1)",
            },
            switch_position=1,
            actual_threshold=D("999.00"),
            actual_threshold_unit="kW",
        ),
    ),
    "dsmr22_kamstrup_no_crlf_after_bang": (
        "nodedsmr-kamstrup-dsmr22-1.txt",
        True,
        dict(
            header="/KMP5 ZABF001587315111",
            variant="dsmr22",
            equipment_identifier="205C4D246333034353537383234323121",
            electricity_delivered_1=D("185.000"),
            electricity_delivered_2=D("84.000"),
            electricity_returned_1=D("13.000"),
            electricity_returned_2=D("19.000"),
            electricity_tariff=1,
            electricity_currently_delivered=D("0.98"),
            electricity_currently_returned=D("0.00"),
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier="3238313031453631373038389930337131",
                    timestamp=utc("2012-05-17 00:00:00"),
                    value=D("124.477"),
                    unit="m3",
                    obis="0-1:24.3.0",
                ),
            ),
            other={
                "0-1:24.4.0": "(1)",
            },
            switch_position=1,
            actual_threshold=D("999"),
            actual_threshold_unit="A",
        ),
    ),
    "dsmr30": (
        "dsmrparser-iskra-mt382-dsmr30-1.txt",
        True,
        dict(
            header="/ISk5\\2MT382-1000",
            variant="dsmr22",
            equipment_identifier="4B384547303034303436333935353037",
            electricity_delivered_1=D("12345.678"),
            electricity_delivered_2=D("12345.678"),
            electricity_returned_1=D("12345.678"),
            electricity_returned_2=D("12345.678"),
            electricity_tariff=2,
            electricity_currently_delivered=D("1.19"),
            electricity_currently_returned=D("0.00"),
            text_message="303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F",
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier="3232323241424344313233343536373839",
                    timestamp=utc("2009-02-12 15:00:00"),
                    value=D("1.001"),
                    unit="m3",
                    obis="0-1:24.3.0",
                ),
            ),
            other={
                "0-1:24.4.0": "(1)",
            },
            text_message_code="303132333435363738",
            switch_position=1,
            actual_threshold=D("16"),
            actual_threshold_unit="A",
        ),
    ),
    "dsmr40_standard_example_with_typos": (
        "nodedsmr-spec-dsmr40-1.txt",
        False,
        dict(
            header="/ISk5\\2MT382-1000",
            variant="dsmr4",
            crc="522B",
            dsmr_version="40",
            timestamp=utc("2010-12-09 10:30:20"),
            equipment_identifier="4B384547303034303436333935353037",
            electricity_delivered_1=D("123456.789"),
            electricity_delivered_2=D("123456.789"),
            electricity_returned_1=D("123456.789"),
            electricity_returned_2=D("123456.789"),
            electricity_tariff=2,
            electricity_currently_delivered=D("1.193"),
            electricity_currently_returned=D("0.000"),
            power_failure_count=4,
            long_power_failure_count=2,
            voltage_sag_count_l1=2,
            voltage_sag_count_l2=1,
            voltage_sag_count_l3=0,
            voltage_swell_count_l1=0,
            voltage_swell_count_l2=3,
            voltage_swell_count_l3=0,
            text_message="303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F",
            power_failure_log=(
                PowerFailure(end=utc("2010-12-08 14:24:15"), duration_seconds=240),
                PowerFailure(end=utc("2010-12-08 14:10:04"), duration_seconds=301),
            ),
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier="3232323241424344313233343536373839",
                    timestamp=utc("2010-12-09 10:00:00"),
                    value=D("12785.123"),
                    unit="m3",
                    obis="0-1:24.2.1",
                ),
            ),
            other={
                "0-1:24.4.0": "(1)",
            },
            text_message_code="3031203631203831",
            switch_position=1,
            actual_threshold=D("16.1"),
            actual_threshold_unit="kW",
        ),
    ),
    "dsmr42_kaifa_failure_log": (
        "dsmrparser-kaifa-dsmr42-1.txt",
        True,
        dict(
            header="/KFM5KAIFA-METER",
            variant="dsmr4",
            crc="6796",
            dsmr_version="42",
            timestamp=utc("2016-11-13 19:57:57"),
            equipment_identifier="3960221976967177082151037881335713",
            electricity_delivered_1=D("1581.123"),
            electricity_delivered_2=D("1435.706"),
            electricity_returned_1=D("0.000"),
            electricity_returned_2=D("0.000"),
            electricity_tariff=2,
            electricity_currently_delivered=D("2.027"),
            electricity_currently_returned=D("0.000"),
            phase_currently_delivered_l1=D("0.170"),
            phase_currently_delivered_l2=D("1.247"),
            phase_currently_delivered_l3=D("0.209"),
            phase_currently_returned_l1=D("0.000"),
            phase_currently_returned_l2=D("0.000"),
            phase_currently_returned_l3=D("0.000"),
            phase_power_current_l1=D("0"),
            phase_power_current_l2=D("6"),
            phase_power_current_l3=D("2"),
            power_failure_count=15,
            long_power_failure_count=7,
            voltage_sag_count_l1=0,
            voltage_sag_count_l2=0,
            voltage_sag_count_l3=0,
            voltage_swell_count_l1=0,
            voltage_swell_count_l2=0,
            voltage_swell_count_l3=0,
            power_failure_log=(
                PowerFailure(end=utc("2000-01-04 17:03:20"), duration_seconds=237126),
                PowerFailure(end=utc("1999-12-31 23:00:01"), duration_seconds=2147583646),
                PowerFailure(end=utc("2000-01-01 23:00:03"), duration_seconds=2317482647),
            ),
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier="4819243993373755377509728609491464",
                    timestamp=utc("2016-11-29 19:00:00"),
                    value=D("981.443"),
                    unit="m3",
                    obis="0-1:24.2.1",
                ),
            ),
        ),
    ),
    "dsmr50_two_mbus_empty_slot": (
        "dsmrparser-iskra-am550-dsmr50-2mbus-1.txt",
        True,
        dict(
            header="/ISK5\\2M550T-1012",
            variant="dsmr5",
            crc="56DD",
            dsmr_version="50",
            timestamp=utc("2020-04-26 20:33:25"),
            equipment_identifier="4530303434303037333832323436303139",
            electricity_delivered_1=D("2130.115"),
            electricity_delivered_2=D("245.467"),
            electricity_returned_1=D("0.000"),
            electricity_returned_2=D("0.000"),
            electricity_tariff=1,
            electricity_currently_delivered=D("0.111"),
            electricity_currently_returned=D("0.000"),
            phase_currently_delivered_l1=D("0.056"),
            phase_currently_delivered_l2=D("0.000"),
            phase_currently_delivered_l3=D("0.055"),
            phase_currently_returned_l1=D("0.000"),
            phase_currently_returned_l2=D("0.000"),
            phase_currently_returned_l3=D("0.000"),
            phase_voltage_l1=D("229.9"),
            phase_voltage_l2=D("229.2"),
            phase_voltage_l3=D("222.9"),
            phase_power_current_l1=D("0"),
            phase_power_current_l2=D("0"),
            phase_power_current_l3=D("1"),
            power_failure_count=5,
            long_power_failure_count=3,
            voltage_sag_count_l1=1,
            voltage_sag_count_l2=1,
            voltage_sag_count_l3=192,
            voltage_swell_count_l1=1,
            voltage_swell_count_l2=1,
            voltage_swell_count_l3=1,
            power_failure_log=(PowerFailure(end=utc("2019-03-26 08:50:15"), duration_seconds=2014),),
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier=None,
                    timestamp=None,
                    value=None,
                    unit=None,
                    obis="0-1:24.2.1",
                ),
                MBusReading(
                    2,
                    device_type=3,
                    equipment_identifier="4730303339303031393336393930363139",
                    timestamp=utc("2020-04-26 20:30:01"),
                    value=D("246.138"),
                    unit="m3",
                    obis="0-2:24.2.1",
                ),
            ),
        ),
    ),
    "dsmr50_empty_values": (
        "dsmr5rs-mcs-dsmr50-empty-values-1.txt",
        True,
        dict(
            header="/MCS50000000000000",
            variant="dsmr5",
            crc="4398",
            dsmr_version="50",
            equipment_identifier="00000000000000000",
            electricity_delivered_1=D("1.000"),
            electricity_delivered_2=D("2.000"),
            electricity_returned_1=D("3.000"),
            electricity_returned_2=D("4.000"),
            electricity_tariff=2,
            electricity_currently_delivered=D("0.096"),
            electricity_currently_returned=D("0.000"),
            phase_currently_delivered_l1=D("0.100"),
            phase_currently_delivered_l2=D("0.100"),
            phase_currently_delivered_l3=D("0.100"),
            phase_currently_returned_l1=D("0.000"),
            phase_currently_returned_l2=D("0.000"),
            phase_currently_returned_l3=D("0.000"),
            phase_voltage_l1=D("232.4"),
            phase_voltage_l2=D("231.4"),
            phase_voltage_l3=D("232.5"),
            phase_power_current_l1=D("0"),
            phase_power_current_l2=D("0"),
            phase_power_current_l3=D("0"),
            power_failure_count=0,
            long_power_failure_count=4,
            voltage_sag_count_l1=1,
            voltage_sag_count_l2=1,
            voltage_sag_count_l3=1,
            voltage_swell_count_l1=0,
            voltage_swell_count_l2=0,
            voltage_swell_count_l3=0,
            power_failure_log=(
                PowerFailure(end=None, duration_seconds=23),
                PowerFailure(end=None, duration_seconds=0),
                PowerFailure(end=None, duration_seconds=8),
                PowerFailure(end=None, duration_seconds=14),
            ),
            mbus=(
                MBusReading(
                    1,
                    device_type=None,
                    equipment_identifier=None,
                    timestamp=None,
                    value=None,
                    unit=None,
                    obis="0-1:24.2.1",
                ),
            ),
        ),
    ),
    "be_fluvius_gas_water_peaks": (
        "dsmrparser-fluvius-gas-water-1.txt",
        True,
        dict(
            header="/FLU5\\253769484_A",
            variant="be",
            crc="3AD7",
            timestamp=utc("2020-05-12 11:54:09"),
            equipment_identifier="3153414733313031303231363035",
            electricity_delivered_1=D("0.034"),
            electricity_delivered_2=D("15.758"),
            electricity_returned_1=D("0.000"),
            electricity_returned_2=D("0.011"),
            electricity_tariff=1,
            electricity_currently_delivered=D("0.000"),
            electricity_currently_returned=D("0.000"),
            phase_currently_delivered_l1=D("0.000"),
            phase_currently_delivered_l2=D("0.000"),
            phase_currently_delivered_l3=D("0.000"),
            phase_currently_returned_l1=D("0.000"),
            phase_currently_returned_l2=D("0.000"),
            phase_currently_returned_l3=D("0.000"),
            phase_voltage_l1=D("234.7"),
            phase_voltage_l2=D("234.7"),
            phase_voltage_l3=D("234.7"),
            phase_power_current_l1=D("0.00"),
            phase_power_current_l2=D("0.00"),
            phase_power_current_l3=D("0.00"),
            current_average_demand=D("2.351"),
            maximum_demand_month=D("2.589"),
            maximum_demand_month_at=utc("2020-05-09 11:45:58"),
            maximum_demand_13_months=(
                (
                    utc("2020-04-23 17:25:38"),
                    D("3.695"),
                ),
                (
                    utc("2020-03-05 11:21:39"),
                    D("5.980"),
                ),
                (
                    utc("2020-02-10 02:54:21"),
                    D("4.318"),
                ),
            ),
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier="37464C4F32313139303333373333",
                    timestamp=utc("2020-05-12 11:45:58"),
                    value=D("112.384"),
                    unit="m3",
                    obis="0-1:24.2.3",
                ),
                MBusReading(
                    2,
                    device_type=7,
                    equipment_identifier="3853414731323334353637383930",
                    timestamp=utc("2020-05-12 11:45:58"),
                    value=D("872.234"),
                    unit="m3",
                    obis="0-2:24.2.1",
                ),
            ),
            other={
                "0-1:24.4.0": "(1)",
            },
            switch_position=1,
            actual_threshold=D("999.9"),
            actual_threshold_unit="kW",
            fuse_threshold_l1=D("999"),
            version_information="50217",
            maximum_demand_history=(
                MonthlyPeak(
                    period_start=utc("2020-04-30 22:00:00"),
                    occurred_at=utc("2020-04-23 17:25:38"),
                    value=D("3.695"),
                ),
                MonthlyPeak(
                    period_start=utc("2020-03-31 22:00:00"),
                    occurred_at=utc("2020-03-05 11:21:39"),
                    value=D("5.980"),
                ),
                MonthlyPeak(
                    period_start=utc("2020-02-29 23:00:00"),
                    occurred_at=utc("2020-02-10 02:54:21"),
                    value=D("4.318"),
                ),
            ),
        ),
    ),
    "be_fluvius_empty_peak_entry": (
        "dsmrparser-fluvius-gas-water-2.txt",
        True,
        dict(
            header="/FLU5\\253769484_A",
            variant="be",
            crc="C4B0",
            timestamp=utc("2023-11-02 11:15:48"),
            equipment_identifier="3153414733313030373231333236",
            electricity_delivered_1=D("301.548"),
            electricity_delivered_2=D("270.014"),
            electricity_returned_1=D("0.005"),
            electricity_returned_2=D("0.000"),
            electricity_tariff=1,
            electricity_currently_delivered=D("0.338"),
            electricity_currently_returned=D("0.000"),
            phase_currently_delivered_l1=D("0.047"),
            phase_currently_delivered_l2=D("0.179"),
            phase_currently_delivered_l3=D("0.111"),
            phase_currently_returned_l1=D("0.000"),
            phase_currently_returned_l2=D("0.000"),
            phase_currently_returned_l3=D("0.000"),
            phase_voltage_l1=D("232.9"),
            phase_voltage_l2=D("228.1"),
            phase_voltage_l3=D("228.1"),
            phase_power_current_l1=D("0.27"),
            phase_power_current_l2=D("0.88"),
            phase_power_current_l3=D("0.52"),
            current_average_demand=D("0.052"),
            maximum_demand_month=D("3.064"),
            maximum_demand_month_at=utc("2023-11-02 10:45:00"),
            maximum_demand_13_months=(
                (
                    None,
                    D("0.000"),
                ),
                (
                    utc("2023-08-31 16:15:00"),
                    D("1.862"),
                ),
                (
                    utc("2023-09-10 16:30:00"),
                    D("4.229"),
                ),
                (
                    utc("2023-10-16 11:00:00"),
                    D("4.927"),
                ),
            ),
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier="37464C4F32313233303838303237",
                    timestamp=utc("2023-11-02 11:10:02"),
                    value=D("92.287"),
                    unit="m3",
                    obis="0-1:24.2.3",
                ),
                MBusReading(
                    2,
                    device_type=7,
                    equipment_identifier="3853455430303030393631313733",
                    timestamp=utc("2023-11-02 11:15:32"),
                    value=D("8.579"),
                    unit="m3",
                    obis="0-2:24.2.1",
                ),
            ),
            other={
                "0-1:24.4.0": "(1)",
            },
            switch_position=1,
            actual_threshold=D("999.9"),
            actual_threshold_unit="kW",
            fuse_threshold_l1=D("999"),
            version_information="50217",
            maximum_demand_history=(
                MonthlyPeak(period_start=utc("2023-07-31 22:00:00"), occurred_at=None, value=D("0.000")),
                MonthlyPeak(
                    period_start=utc("2023-08-31 22:00:00"),
                    occurred_at=utc("2023-08-31 16:15:00"),
                    value=D("1.862"),
                ),
                MonthlyPeak(
                    period_start=utc("2023-09-30 22:00:00"),
                    occurred_at=utc("2023-09-10 16:30:00"),
                    value=D("4.229"),
                ),
                MonthlyPeak(
                    period_start=utc("2023-10-31 23:00:00"),
                    occurred_at=utc("2023-10-16 11:00:00"),
                    value=D("4.927"),
                ),
            ),
        ),
    ),
    "lu_smarty_spec_example": (
        "nodedsmr-smarty-lu-spec-1.txt",
        False,
        dict(
            header="/Lux5\\253694471_M",
            variant="lu",
            crc="8B52",
            dsmr_version="42",
            timestamp=utc("2020-07-06 08:41:57"),
            equipment_identifier="53414731303330373930303032353734",
            electricity_delivered_1=D("25.653"),
            electricity_delivered_2=D("0"),
            electricity_returned_1=D("0.040"),
            electricity_returned_2=D("0"),
            electricity_delivered_total=D("25.653"),
            electricity_returned_total=D("0.040"),
            electricity_currently_delivered=D("0.005"),
            electricity_currently_returned=D("0.000"),
            phase_currently_delivered_l1=D("0.005"),
            phase_currently_delivered_l2=D("0.000"),
            phase_currently_delivered_l3=D("0.000"),
            phase_currently_returned_l1=D("0.000"),
            phase_currently_returned_l2=D("0.000"),
            phase_currently_returned_l3=D("0.000"),
            phase_voltage_l1=D("233.0"),
            phase_voltage_l2=D("0.0"),
            phase_voltage_l3=D("1.0"),
            phase_power_current_l1=D("0"),
            phase_power_current_l2=D("0"),
            phase_power_current_l3=D("0"),
            power_failure_count=99,
            voltage_sag_count_l1=40,
            voltage_sag_count_l2=3,
            voltage_sag_count_l3=2,
            voltage_swell_count_l1=0,
            voltage_swell_count_l2=0,
            voltage_swell_count_l3=0,
            mbus=(
                MBusReading(
                    1,
                    device_type=3,
                    equipment_identifier="464C4F313839393030303630333535",
                    timestamp=utc("2020-07-06 08:31:40"),
                    value=D("0.006"),
                    unit="m3",
                    obis="0-1:24.2.1",
                ),
                MBusReading(
                    2,
                    device_type=7,
                    equipment_identifier=None,
                    timestamp=None,
                    value=None,
                    unit=None,
                    obis="0-2:24.2.1",
                ),
                MBusReading(
                    3,
                    device_type=7,
                    equipment_identifier=None,
                    timestamp=None,
                    value=None,
                    unit=None,
                    obis="0-3:24.2.1",
                ),
                MBusReading(
                    4,
                    device_type=3,
                    equipment_identifier="454C53333533353839393830333030",
                    timestamp=utc("2020-07-06 08:29:00"),
                    value=D("28.103"),
                    unit="m3",
                    obis="0-4:24.2.1",
                ),
            ),
            other={
                "1-0:3.8.0": "(000000.835*kvarh)",
                "1-0:4.8.0": "(000063.781*kvarh)",
                "1-0:3.7.0": "(00.000*kvar)",
                "1-0:4.7.0": "(00.000*kvar)",
                "1-0:9.7.0": "(00.021*kVA)",
                "1-0:10.7.0": "(00.000*kVA)",
                "1-1:31.4.0": "(100*A)(-063*A)",
                "0-1:96.3.10": "(0)",
                "0-2:96.3.10": "(0)",
                "0-0:96.13.2": "()",
                "0-0:96.13.3": "()",
                "0-0:96.13.4": "()",
                "0-0:96.13.5": "()",
                "1-0:23.7.0": "(00.000*kvar)",
                "1-0:43.7.0": "(00.000*kvar)",
                "1-0:63.7.0": "(00.000*kvar)",
                "1-0:24.7.0": "(00.000*kvar)",
                "1-0:44.7.0": "(00.000*kvar)",
                "1-0:64.7.0": "(00.000*kvar)",
                "0-1:24.4.0": "(0)",
                "0-2:24.4.0": "(1)",
                "0-3:24.4.0": "(1)",
                "0-4:24.4.0": "(1)",
            },
            switch_position=1,
            actual_threshold=D("69.0"),
            actual_threshold_unit="kVA",
        ),
    ),
    "t210dr_wh_units": (
        "dsmrparser-sagemcom-t210dr-1.txt",
        True,
        dict(
            header="/EST5\\253710000_A",
            variant="t210dr",
            crc="7EF9",
            dsmr_version="50",
            timestamp=utc("2022-10-06 13:50:14"),
            electricity_delivered_1=D("5017.120"),
            electricity_delivered_2=D("1528.646"),
            electricity_returned_1=D("0.000"),
            electricity_returned_2=D("0.058"),
            electricity_delivered_total=D("6545.766"),
            electricity_returned_total=D("0.058"),
            electricity_currently_delivered=D("0.286"),
            electricity_currently_returned=D("0.000"),
            other={
                "1-0:3.8.0": "(000000747*varh)",
                "1-0:3.8.1": "(000000000*varh)",
                "1-0:3.8.2": "(000000747*varh)",
                "1-0:3.7.0": "(000000000*var)",
                "1-0:4.8.0": "(003897726*varh)",
                "1-0:4.8.1": "(002692848*varh)",
                "1-0:4.8.2": "(001204878*varh)",
                "1-0:4.7.0": "(000000166*var)",
            },
        ),
    ),
    "se_kamstrup_omnia": (
        "own-kamstrup-omnia-se-crc-fixed-1.txt",
        True,
        dict(
            header="/KAM5",
            variant="se",
            crc="2C90",
            timestamp=utc("2024-11-29 23:00:00"),
            electricity_delivered_1=D("123.321"),
            electricity_delivered_2=D("0"),
            electricity_returned_1=D("456.654"),
            electricity_returned_2=D("0"),
            electricity_delivered_total=D("123.321"),
            electricity_returned_total=D("456.654"),
            electricity_currently_delivered=D("2.424"),
            electricity_currently_returned=D("0.000"),
            phase_currently_delivered_l1=D("0.682"),
            phase_currently_delivered_l2=D("0.750"),
            phase_currently_delivered_l3=D("0.992"),
            phase_currently_returned_l1=D("0.000"),
            phase_currently_returned_l2=D("0.000"),
            phase_currently_returned_l3=D("0.000"),
            phase_voltage_l1=D("225.4"),
            phase_voltage_l2=D("229.4"),
            phase_voltage_l3=D("225.9"),
            phase_power_current_l1=D("3.4"),
            phase_power_current_l2=D("3.9"),
            phase_power_current_l3=D("4.6"),
            other={
                "1-0:3.8.0": "(00001234.432*kVArh)",
                "1-0:4.8.0": "(00005678.765*kVArh)",
                "1-0:3.7.0": "(0001.229*kVAr)",
                "1-0:4.7.0": "(0000.000*kVAr)",
                "1-0:23.7.0": "(0000.391*kVAr)",
                "1-0:43.7.0": "(0000.490*kVAr)",
                "1-0:63.7.0": "(0000.348*kVAr)",
                "1-0:24.7.0": "(0000.000*kVAr)",
                "1-0:44.7.0": "(0000.000*kVAr)",
                "1-0:64.7.0": "(0000.000*kVAr)",
            },
        ),
    ),
    "hu_eon": (
        "dsmrparser-eon-hu-sagemcom-1.txt",
        True,
        dict(
            header="/SAG5SAG-METER",
            variant="hu",
            crc="99DA",
            timestamp=utc("2023-07-24 13:07:30"),
            equipment_identifier="53414733303832323030303032313630",
            electricity_delivered_1=D("47.719"),
            electricity_delivered_2=D("125.921"),
            electricity_returned_1=D("401.829"),
            electricity_returned_2=D("225.348"),
            electricity_delivered_total=D("173.640"),
            electricity_returned_total=D("627.177"),
            electricity_tariff=1,
            electricity_currently_delivered=D("0.000"),
            electricity_currently_returned=D("2.601"),
            phase_voltage_l1=D("240.4"),
            phase_voltage_l2=D("239.1"),
            phase_voltage_l3=D("241.2"),
            phase_power_current_l1=D("3"),
            phase_power_current_l2=D("4"),
            phase_power_current_l3=D("3"),
            other={
                "0-0:96.1.0": "(383930303832323030303032313630)",
                "1-0:3.8.0": "(000000.123*kvarh)",
                "1-0:4.8.0": "(000303.131*kvarh)",
                "1-0:5.8.0": "(000000.668*kvarh)",
                "1-0:6.8.0": "(000000.071*kvarh)",
                "1-0:7.8.0": "(000160.487*kvarh)",
                "1-0:8.8.0": "(000143.346*kvarh)",
                "1-0:15.8.0": "(000800.817*kWh)",
                "1-0:13.7.0": "(4.556)",
                "1-0:33.7.0": "(4.591)",
                "1-0:53.7.0": "(4.542)",
                "1-0:73.7.0": "(4.552)",
                "1-0:14.7.0": "(50.00*Hz)",
                "1-0:5.7.0": "(00.000*kvar)",
                "1-0:6.7.0": "(00.000*kvar)",
                "1-0:7.7.0": "(00.504*kvar)",
                "1-0:8.7.0": "(00.000*kvar)",
                "0-0:98.1.0": (
                    "(230701000000S)(000040.777*kWh)(000008.950*kWh)(000031.827*kWh)(000142.250*kWh)"
                    "(000111.164*kWh)(000031.086*kWh)(000000.030*kvarh)(000073.988*kvarh)(000000.205*kvarh)"
                    "(000000.048*kvarh)(000039.199*kvarh)(000035.020*kvarh)(000183.027*kWh)(03.564*kW)"
                    "(02.156*kW)(03.564*kW)(04.104*kW)(04.104*kW)(03.400*kW)"
                ),
            },
            electricity_delivered_3=D("0.000"),
            electricity_delivered_4=D("0.000"),
            electricity_returned_3=D("0.000"),
            electricity_returned_4=D("0.000"),
            switch_position=1,
            actual_threshold=D("90.000"),
            actual_threshold_unit="kW",
            fuse_threshold_l1=D("200.00"),
            fuse_threshold_l2=D("200.00"),
            fuse_threshold_l3=D("200.00"),
        ),
    ),
    "ie_iskra": (
        "dsmrparser-iskra-ie5-1.txt",
        True,
        dict(
            header="/ISk5\x02MIE5T-200",
            variant="ie",
            crc="AD3B",
            timestamp=utc("2023-02-02 12:27:47"),
            electricity_delivered_1=D("10.181"),
            electricity_delivered_2=D("10.182"),
            electricity_returned_1=D("10.281"),
            electricity_returned_2=D("10.282"),
            electricity_tariff=1,
            electricity_currently_delivered=D("0.170"),
            electricity_currently_returned=D("0.270"),
            phase_currently_delivered_l1=D("0.217"),
            phase_currently_delivered_l2=D("0.417"),
            phase_currently_delivered_l3=D("0.617"),
            phase_currently_returned_l1=D("0.227"),
            phase_currently_returned_l2=D("0.427"),
            phase_currently_returned_l3=D("0.627"),
            phase_voltage_l1=D("242.5"),
            phase_voltage_l2=D("241.7"),
            phase_voltage_l3=D("243.3"),
            phase_power_current_l1=D("0"),
            phase_power_current_l2=D("0"),
            phase_power_current_l3=D("0"),
            mbus=(
                MBusReading(
                    1,
                    device_type=None,
                    equipment_identifier=None,
                    timestamp=None,
                    value=None,
                    unit=None,
                    obis=None,
                ),
            ),
            other={
                "1-0:0.0.0": "(00000000)",
                "0-0:96.1.0": "(09610)",
            },
            switch_position=1,
        ),
    ),
    "q3d_easymeter": (
        "dsmrparser-easymeter-q3d-1.txt",
        True,
        dict(
            header="/ESY5Q3DB1024 V3.04",
            variant="q3d",
            equipment_identifier="1ESY1313002565",
            electricity_delivered_1=D("52185.7825309"),
            electricity_delivered_2=D("0"),
            electricity_returned_1=D("19949.3221493"),
            electricity_returned_2=D("0"),
            electricity_delivered_total=D("52185.7825309"),
            electricity_returned_total=D("19949.3221493"),
            electricity_currently_delivered=D("2.12486"),
            phase_currently_delivered_l1=D("0.74785"),
            phase_currently_delivered_l2=D("0.73728"),
            phase_currently_delivered_l3=D("0.63973"),
            other={
                "1-0:0.0.0*255": "(0272031312565)",
                "1-0:96.5.5*255": "(80)",
            },
        ),
    ),
    "heat_unit_unpadded_crc": (
        "dsmrparser-warmtelink-heat-unpadded-crc-1.txt",
        True,
        dict(
            header="/NWA-WARMTELINK",
            variant="dsmr5",
            crc="B9F",
            dsmr_version="50",
            timestamp=utc("2026-02-15 19:05:23"),
            equipment_identifier="ADC3100000158491",
            mbus=(
                MBusReading(
                    1,
                    device_type=4,
                    equipment_identifier="621848012D2C0B0C",
                    timestamp=utc("2026-02-15 19:05:23"),
                    value=D("240.860"),
                    unit="GJ",
                    obis="0-1:24.2.1",
                ),
            ),
        ),
    ),
    "xt211_channel_1_1_impossible_clock": (
        "nodedsmr-sagemcom-xt211-1.txt",
        False,
        dict(
            header="/GRE5\\\\12341234_A",
            variant="dsmr5",
            crc="3BA5",
            electricity_delivered_1=D("1595.070"),
            electricity_delivered_2=D("5216.778"),
            electricity_returned_1=D("4478.038"),
            electricity_returned_2=D("4.648"),
            electricity_tariff=1,
            electricity_currently_delivered=D("1.622"),
            electricity_currently_returned=D("0.000"),
            phase_currently_delivered_l1=D("0.000"),
            phase_currently_delivered_l2=D("3.946"),
            phase_currently_delivered_l3=D("0.000"),
            phase_currently_returned_l1=D("1.175"),
            phase_currently_returned_l2=D("0.000"),
            phase_currently_returned_l3=D("1.148"),
            phase_voltage_l1=D("238.9"),
            phase_voltage_l2=D("231.9"),
            phase_voltage_l3=D("239.7"),
            phase_power_current_l1=D("5.15"),
            phase_power_current_l2=D("17.19"),
            phase_power_current_l3=D("5.02"),
            power_failure_count=18,
            long_power_failure_count=4,
            voltage_sag_count_l1=2,
            voltage_sag_count_l2=1,
            voltage_sag_count_l3=1,
            voltage_swell_count_l1=0,
            voltage_swell_count_l2=0,
            voltage_swell_count_l3=0,
            power_failure_log=(
                PowerFailure(end=utc("2024-05-23 12:49:34"), duration_seconds=5564711),
                PowerFailure(end=utc("2024-11-09 07:31:38"), duration_seconds=124),
            ),
            current_average_demand=D("0.288"),
            other={
                "0-0:0.0.0": "(123412341234)",
                "0-0:96.1.2": "(" + "20" * 48 + ")",
                "1-1:1.6.0": "(250315014500W)(15.206*kW)",
                "0-0:98.1.0": "(12)",
            },
            version_information="12345",
        ),
    ),
}


@pytest.mark.parametrize("name", FAMILIES)
def test_every_field_of_each_family(name):
    file, crc_valid, expected = FAMILIES[name]
    data = fixture(file)
    tel = parse_telegram(data, check_crc=crc_valid)
    assert_all_fields(tel, expected)
    assert tel.raw.startswith("/") and data.decode("latin-1").startswith(tel.raw.rstrip("\r\n"))
    if not crc_valid:
        with pytest.raises(TelegramError, match="CRC mismatch"):
            parse_telegram(data)
    # the same bytes given as text parse the same
    assert parse_telegram(data.decode("latin-1"), check_crc=crc_valid) == tel
    # and the detected variant is what an explicit one gives
    assert parse_telegram(data, check_crc=crc_valid, variant=tel.variant) == tel


def test_lower_case_units_parse_like_the_standard():
    tel = parse_telegram(fixture("nodedsmr-spec-dsmr50-lowercase-units-1.txt"), check_crc=False)
    assert tel.electricity_delivered_1 == D("123456.789") and tel.electricity_returned_2 == D("123456.789")
    assert tel.electricity_currently_delivered == D("1.193")
    assert (tel.phase_voltage_l1, tel.phase_power_current_l3, tel.phase_currently_returned_l3) == (
        D("220.1"),
        D("3"),
        D("6.666"),
    )


def test_ten_power_failures():
    tel = parse_telegram(fixture("dsmrtools-sagemcom-cx2000-dsmr50-1.txt"))
    assert (tel.power_failure_count, tel.long_power_failure_count, len(tel.power_failure_log)) == (
        933,
        108,
        10,
    )
    assert tel.power_failure_log[0] == PowerFailure(end=utc("2018-12-01 02:08:14"), duration_seconds=758635)
    assert tel.power_failure_log[1] == PowerFailure(
        end=utc("2018-09-04 15:39:23"), duration_seconds=1820
    )  # 'S'
    assert tel.power_failure_log[-1] == PowerFailure(end=utc("2018-02-08 19:07:17"), duration_seconds=266)
    assert tel.gas is None and tel.mbus == ()


def test_single_phase_with_gas():
    tel = parse_telegram(fixture("dsmrtools-landisgyr-e350-dsmr42-1.txt"))
    assert tel.gas == MBusReading(
        1,
        3,
        "4730303139333430333135333730363136",
        utc("2019-09-05 19:00:00"),
        D("1091.352"),
        "m3",
        "0-1:24.2.1",
    )
    assert tel.power_failure_log == (PowerFailure(end=utc("2017-01-17 05:59:12"), duration_seconds=9606),)
    assert tel.phase_voltage_l1 is None and tel.phase_power_current_l1 == D("2")


ENCRYPTED = [
    (
        "nodedsmr-smarty-lu-spec-encrypted-1.bin",
        "0123456789abcdef0123456789abcdef",
        "ffeeddccbbaa99887766554433221100",
    ),
    (
        "nodedsmr-smarty-lu-spec-encrypted-2.bin",
        "0123456789abcdef0123456789abcdef",
        None,
    ),  # tag over an empty AAD
    (
        "esphomelibs-sagemcom-t210dr-encrypted-1.bin",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "00112233445566778899AABBCCDDEEFF",
    ),
]
PLAINTEXT = {
    "nodedsmr-smarty-lu-spec-encrypted-1.bin": "nodedsmr-smarty-lu-spec-1.txt",
    "nodedsmr-smarty-lu-spec-encrypted-2.bin": "nodedsmr-smarty-lu-spec-1.txt",
    "esphomelibs-sagemcom-t210dr-encrypted-1.bin": "dsmrparser-sagemcom-t210dr-1.txt",
}


@pytest.mark.parametrize(("file", "key", "auth_key"), ENCRYPTED)
def test_encrypted_frames(file, key, auth_key):
    plaintext = decrypt_frame(
        fixture(file), key=bytes.fromhex(key), auth_key=auth_key and bytes.fromhex(auth_key)
    )
    assert plaintext == fixture(PLAINTEXT[file])
    tel = parse_telegram(plaintext, check_crc=file.startswith("esphome"))
    assert tel.variant in ("lu", "t210dr")


def test_broken_stream_yields_the_complete_telegram():
    """Starts with a blank line, a telegram cut off mid-line, then a complete one (dsmr-tools)."""
    framer = TelegramFramer()
    items = framer.feed(fixture("dsmrtools-broken-truncated-then-full-1.txt")) + framer.flush()
    assert [type(item).__name__ for item in items] == ["Discarded", "Frame"]
    assert items[0].reason.startswith("incomplete telegram")
    tel = parse_telegram(items[1].data)
    assert (tel.crc, tel.timestamp, tel.electricity_returned_1) == (
        "34B6",
        utc("2022-05-28 13:02:45"),
        D("2434.785"),
    )


def test_overflow_stream_is_rejected_and_the_next_telegram_recovers():
    """dsmr5's reader test: a good telegram, the overflow garbage, a good telegram -> ok, error, ok."""
    good = fixture("dsmr5rs-iskra-am550-dsmr50-1.txt")
    framer = TelegramFramer(max_size=2048)
    items = framer.feed(good + fixture("dsmr5rs-broken-overflow-1.txt") + good) + framer.flush()
    frames = [item for item in items if hasattr(item, "data")]
    assert len(frames) == 2 and all(parse_telegram(frame.data).crc == "67B1" for frame in frames)
    # No header in the garbage gives its '!67B1': cut telegrams up to the last header, then a CRC mismatch.
    assert [(item.reason.split(":")[0], item.size) for item in items if not hasattr(item, "data")] == [
        ("incomplete telegram", 1691),
        ("CRC mismatch", 792),
    ]
    framer = TelegramFramer(max_size=len(good) + 2)  # too small for the first cut ones: runaways
    items = framer.feed(good + fixture("dsmr5rs-broken-overflow-1.txt") + good) + framer.flush()
    assert [item.data for item in items if hasattr(item, "data")] == [frame.data for frame in frames]
    assert sum(item.size for item in items if not hasattr(item, "data")) == 2483  # all but its final CRLF
