from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from dsmrhub.readings.models import DsmrReading, MBusReading, MeterStatistics
from dsmrhub.readings.services import ReadingRejected, reading_create, reading_ingest_telegram
from tests.corpus import corpus_bytes, corpus_entries
from tests.helpers import demo_telegrams, replace_line

pytestmark = pytest.mark.django_db


def test_a_telegram_becomes_one_reading_its_gas_and_the_meter_statistics():
    moment, telegram = demo_telegrams(1)[0]
    result = reading_ingest_telegram(telegram=telegram)
    assert result.created
    reading = DsmrReading.objects.get()
    assert reading.timestamp == moment
    assert reading.id == int(moment.timestamp())
    assert isinstance(reading.electricity_delivered_1, Decimal)
    assert reading.electricity_delivered_1 == Decimal("4123.456")
    assert reading.extra_device_delivered == Decimal("2345.678")
    gas = MBusReading.objects.get()
    assert (gas.channel, gas.device_type, gas.unit) == (1, 3, "m3")
    assert gas.reading_id == reading.pk
    assert MeterStatistics.objects.get().timestamp == moment


def test_the_same_meter_timestamp_is_stored_once():
    telegram = demo_telegrams(1)[0][1]
    assert reading_ingest_telegram(telegram=telegram).created is True
    again = reading_ingest_telegram(telegram=telegram)
    assert again.created is False
    assert DsmrReading.objects.count() == 1
    assert MBusReading.objects.count() == 1


def test_an_unchanged_gas_value_is_stored_once_per_meter_timestamp():
    for _, telegram in demo_telegrams(30, step=timedelta(seconds=10)):  # 5 minutes: one or two gas stamps
        reading_ingest_telegram(telegram=telegram)
    assert DsmrReading.objects.count() == 30
    assert MBusReading.objects.count() == len({r.extra_device_timestamp for r in DsmrReading.objects.all()})


def test_a_late_telegram_is_stored_but_does_not_roll_the_statistics_back():
    (early, early_telegram), (late, late_telegram) = demo_telegrams(2, step=timedelta(hours=1))
    reading_ingest_telegram(telegram=late_telegram)
    reading_ingest_telegram(telegram=early_telegram)
    assert DsmrReading.objects.count() == 2
    stats = MeterStatistics.objects.get()
    assert stats.timestamp == late
    assert stats.latest_telegram == late_telegram


def test_a_rejection_is_counted_with_its_reason(caplog):
    telegram = demo_telegrams(1)[0][1]
    broken = telegram.replace(telegram[-6:-2], "0000")
    with pytest.raises(ReadingRejected) as rejected:
        reading_ingest_telegram(telegram=broken)
    assert "CRC" in rejected.value.reason
    assert MeterStatistics.objects.get().rejected_telegrams == 1
    assert "telegram rejected" in caplog.text


@time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False)
def test_more_than_24_hours_ahead_is_rejected_and_just_under_is_stored():
    meter_now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    too_far = demo_telegrams(1, start=meter_now + timedelta(hours=24, seconds=1))[0][1]
    with pytest.raises(ReadingRejected, match="more than 24 hours in the future"):
        reading_ingest_telegram(telegram=too_far)
    just_under = demo_telegrams(1, start=meter_now + timedelta(hours=23, minutes=59))[0][1]
    assert reading_ingest_telegram(telegram=just_under).created


def test_an_unset_meter_clock_is_stamped_on_receipt_but_an_impossible_one_is_rejected():
    telegram = demo_telegrams(1)[0][1]
    received = datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
    unset = replace_line(telegram, "0-0:1.0.0", "0-0:1.0.0(000000000000W)")
    assert reading_ingest_telegram(
        telegram=unset, received_at=received
    ).reading.timestamp == received.replace(microsecond=0)
    with pytest.raises(ReadingRejected, match="impossible meter timestamp"):
        reading_ingest_telegram(telegram=replace_line(telegram, "0-0:1.0.0", "0-0:1.0.0(261399250000W)"))


def test_reading_create_validates_like_telegrams():
    values = {
        "timestamp": datetime(2026, 1, 1, tzinfo=UTC),
        "electricity_delivered_1": Decimal("1.000"),
        "electricity_delivered_2": Decimal("2.000"),
        "electricity_returned_1": Decimal("0"),
        "electricity_returned_2": Decimal("0"),
        "electricity_currently_delivered": Decimal("0.5"),
        "electricity_currently_returned": Decimal("0"),
    }
    assert reading_create(values=values).created
    assert reading_create(values=values).created is False
    with pytest.raises(ReadingRejected, match="negative"):
        reading_create(
            values={**values, "timestamp": datetime(2026, 1, 2, tzinfo=UTC), "electricity_delivered_1": -1}
        )
    # rejections of API values are answered to the caller, not counted as rejected telegrams
    assert MeterStatistics.objects.count() == 0


@time_machine.travel(datetime(2017, 1, 1, 9, 0, tzinfo=UTC), tick=False)
@pytest.mark.parametrize(
    "entry", corpus_entries(lambda e: e["file"] == "dsmrreader-landisgyr-e350-dsmr40-future-1.txt")
)
def test_the_corpus_future_telegram_is_rejected_at_its_source_clock(entry):
    with pytest.raises(ReadingRejected, match="future"):
        reading_ingest_telegram(telegram=corpus_bytes(entry))


def test_the_reading_counter_follows_inserts_and_deletes():
    from dsmrhub.readings.selectors import reading_count

    assert reading_count() == 0
    for _, telegram in demo_telegrams(5):
        reading_ingest_telegram(telegram=telegram)
    reading_ingest_telegram(telegram=demo_telegrams(1)[0][1])  # a duplicate is not counted
    assert reading_count() == 5 == DsmrReading.objects.count()
    DsmrReading.objects.filter(timestamp__lte=demo_telegrams(2)[1][0]).delete()
    assert reading_count() == 3 == DsmrReading.objects.count()


def test_a_value_that_reaches_its_limit_once_rounded_is_out_of_range():
    from dsmrhub.readings.check import reading_check_values
    from dsmrhub.readings.models import READING_REQUIRED_FIELDS

    field = DsmrReading._meta.get_field("electricity_currently_delivered")
    half_below_limit = field.limit - Decimal(1).scaleb(-field.decimal_places) / 2  # 999999.9995 kW
    values = {"timestamp": datetime(2026, 1, 1, tzinfo=UTC), **dict.fromkeys(READING_REQUIRED_FIELDS, 0)}
    just_in = reading_check_values({**values, field.name: half_below_limit - Decimal("0.0001")})
    assert not isinstance(just_in, str)
    assert reading_check_values({**values, field.name: half_below_limit}) == (
        f"{field.name} is out of range ({half_below_limit})"
    )


@pytest.mark.parametrize(
    "text",
    ["230.25", "0.0005", "1000.000", "0", "-0.001", "abc", "NaN", "Infinity", "1e3", "9999999.9995"],
)
def test_a_number_given_as_text_checks_and_converts_as_its_decimal_does(text):
    """The import from DSMR-reader hands the check its numbers as text: the same column or the same
    reason as the Decimal of that text (or the Decimal path's "not a number"), also when seen again."""
    from decimal import InvalidOperation

    from dsmrhub.readings.check import reading_check_values
    from dsmrhub.readings.models import READING_REQUIRED_FIELDS

    values = {
        "timestamp": datetime(2026, 1, 1, tzinfo=UTC),
        **dict.fromkeys(READING_REQUIRED_FIELDS, Decimal(0)),
    }
    for name in ("phase_voltage_l1", "electricity_currently_delivered", "electricity_delivered_1"):
        try:
            as_decimal = reading_check_values({**values, name: Decimal(text)})
        except InvalidOperation:
            as_decimal = f"{name} is not a number ({text!r})"
        for _ in range(2):  # the second time from the check's memory of the text
            as_text = reading_check_values({**values, name: text})
            if isinstance(as_decimal, str):
                assert isinstance(as_text, str) and as_text.split(" (")[0] == as_decimal.split(" (")[0]
            else:
                assert as_text.row == as_decimal.row
