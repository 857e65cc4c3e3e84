"""processing.epochs: a register that goes down (meter replaced or reset) is a meter epoch, logged, and
its drop is added back so that no period books negative use."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from dsmrhub.processing.epochs import REGISTERS, epoch_offsets, epochs_between, epochs_refresh
from dsmrhub.processing.minutes import minutes_refresh
from dsmrhub.processing.models import HourStatistics, MeterEpoch
from dsmrhub.processing.periods import to_epoch
from dsmrhub.processing.quarantine import Window
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import DsmrReading
from tests.processing.builders import reading, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
EVERYTHING = Window(low=0, high=to_epoch(utc(2100, 1, 1)), now=utc(2026, 3, 3))


def refresh(first: datetime, last: datetime) -> None:
    """The minutes and then the epochs of the readings stamped in [first, last], as processing does."""
    low, high = minutes_refresh(first=to_epoch(first), last=to_epoch(last), window=EVERYTHING)
    epochs_refresh(low=low, high=high)


def epochs() -> list[tuple[datetime, str, Decimal, Decimal]]:
    return [(e.timestamp, e.register, e.before, e.after) for e in MeterEpoch.objects.order_by("timestamp")]


def test_meter_replacement_starts_a_new_epoch_without_negative_use():
    store(
        reading(utc(2026, 3, 2, 10, 0, 0), "5000.000", "3000.000"),
        reading(utc(2026, 3, 2, 10, 30, 0), "5000.400", "3000.000"),
        # new meter: all registers start near zero
        reading(utc(2026, 3, 2, 10, 30, 10), "0.010", "0.000"),
        reading(utc(2026, 3, 2, 11, 0, 0), "0.300", "0.100"),
        reading(utc(2026, 3, 2, 12, 0, 0), "1.300", "0.100"),
    )
    processing_run_pending()
    hours = {h.hour_start.hour: h for h in HourStatistics.objects.all()}
    # 5000.000 → 5000.400 (0.400), drop not counted, 0.010 → 0.300 (0.290)
    assert hours[10].electricity1 == D("0.690")
    assert hours[10].electricity2 == D("0.100")
    assert hours[11].electricity1 == D("1.000")
    epochs = {e.register: e for e in MeterEpoch.objects.all()}
    assert set(epochs) == {"delivered_1", "delivered_2"}
    assert (epochs["delivered_1"].before, epochs["delivered_1"].after) == (D("5000.400"), D("0.010"))
    assert all(h.electricity1 >= 0 and h.electricity2 >= 0 for h in hours.values())


def test_a_drop_within_a_minute_is_found_between_the_exact_readings(caplog):
    """The minute rows only hold each minute's last reading; the epoch names the two readings around
    the drop, which here lie inside one minute after another minute."""
    rows = [
        reading(utc(2026, 3, 2, 10, 0, 30), "7.000", r2="2.000"),
        reading(utc(2026, 3, 2, 10, 1, 10), "7.100", r2="2.500"),
        reading(utc(2026, 3, 2, 10, 1, 20), "0.004", r2="2.500"),  # the new meter
        reading(utc(2026, 3, 2, 10, 1, 40), "0.009", r2="2.400"),  # and another register goes down
    ]
    store(*rows)
    refresh(rows[0].timestamp, rows[-1].timestamp)
    assert epochs() == [
        (rows[2].timestamp, "delivered_1", rows[1].electricity_delivered_1, rows[2].electricity_delivered_1),
        (rows[3].timestamp, "returned_2", rows[2].electricity_returned_2, rows[3].electricity_returned_2),
    ]
    assert caplog.text.count("new meter epoch") == 2


def test_refreshing_again_finds_the_same_epochs_and_a_corrected_reading_removes_its_epoch():
    rows = [
        reading(utc(2026, 3, 2, 10, 0, 30), "7.000"),
        reading(utc(2026, 3, 2, 10, 1, 30), "0.500"),  # a misread position
        reading(utc(2026, 3, 2, 10, 2, 30), "7.200"),
    ]
    store(*rows)
    refresh(rows[0].timestamp, rows[-1].timestamp)
    found = epochs()
    assert found == [(rows[1].timestamp, "delivered_1", D("7.000"), D("0.500"))]
    refresh(rows[0].timestamp, rows[-1].timestamp)
    assert epochs() == found  # replaced, not added

    DsmrReading.objects.filter(timestamp=rows[1].timestamp).update(electricity_delivered_1=D("7.100"))
    refresh(rows[1].timestamp, rows[1].timestamp)  # its neighbours' minutes are looked at too
    assert epochs() == []


def test_offsets_sum_the_electricity_drops_up_to_a_moment():
    drops = [
        (utc(2026, 3, 1), "delivered_1", D("5000.400"), D("0.010")),
        (utc(2026, 3, 5), "delivered_1", D("12.000"), D("11.500")),
        (utc(2026, 3, 5), "returned_2", D("30.250"), D("0.000")),
        (utc(2026, 3, 6), "gas", D("900.000"), D("1.000")),  # gas drops are booked by the gas hours
        (utc(2026, 3, 9), "delivered_2", D("8.000"), D("1.000")),
    ]
    MeterEpoch.objects.bulk_create(
        MeterEpoch(timestamp=t, register=r, before=b, after=a) for t, r, b, a in drops
    )

    def thousandths(until: datetime) -> dict[str, int]:
        expected: dict[str, int] = {}
        for moment, register, before, after in drops:
            if register in REGISTERS and moment <= until:
                expected[register] = expected.get(register, 0) + int((before - after) * 1000)
        return expected

    for until in (utc(2026, 2, 1), utc(2026, 3, 1), utc(2026, 3, 5), utc(2026, 3, 31)):
        assert dict(epoch_offsets(until=to_epoch(until))) == thousandths(until), until
    assert epoch_offsets(until=to_epoch(utc(2026, 3, 5)))["delivered_1"] == 5000400 - 10 + 12000 - 11500


def test_between_lists_the_electricity_drops_after_a_moment_up_to_another_in_time_order():
    drops = [
        (utc(2026, 3, 5, 12), "returned_2", D("30.250"), D("0.000")),
        (utc(2026, 3, 1), "delivered_1", D("5000.400"), D("0.010")),
        (utc(2026, 3, 3), "gas", D("900.000"), D("1.000")),
        (utc(2026, 3, 4), "delivered_2", D("8.000"), D("1.000")),
    ]
    MeterEpoch.objects.bulk_create(
        MeterEpoch(timestamp=t, register=r, before=b, after=a) for t, r, b, a in drops
    )
    found = epochs_between(after=to_epoch(utc(2026, 3, 1)), until=to_epoch(utc(2026, 3, 5, 12)))
    assert found == [
        (to_epoch(utc(2026, 3, 4)), "delivered_2", 7000),
        (to_epoch(utc(2026, 3, 5, 12)), "returned_2", 30250),
    ]  # (after, until]: the drop at `after` itself is counted before, the one at `until` included
