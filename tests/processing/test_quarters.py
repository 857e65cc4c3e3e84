"""processing.quarters: quarter-hour energy, A(end) − A(start) per register by the hours' own rule, so the
quarters of an hour add up exactly to the hour statistic."""

from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.processing.models import HourStatistics
from dsmrhub.processing.periods import day_end, day_start, from_epoch, to_epoch
from dsmrhub.processing.quarters import QUARTER, quarter_energy, quarter_peaks
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from tests.processing.builders import reading, store, utc

pytestmark = pytest.mark.django_db
D = Decimal


def irregular_stream(start: datetime, end: datetime, *, reset_at: datetime | None = None) -> list:
    """Readings every 10 s with a changing power on both tariffs and some return; optionally a meter reset
    (all registers back to small values) at ``reset_at``. Positions in whole thousandths."""
    d1, d2, r1, r2 = 1_000_000, 2_000_000, 300_000, 400_000
    rows, moment, i = [], start, 0
    while moment <= end:
        if reset_at is not None and moment == reset_at:
            d1, d2, r1, r2 = 5_000, 6_000, 0, 0
        rows.append(
            reading(
                moment,
                D(d1).scaleb(-3),
                D(d2).scaleb(-3),
                r1=D(r1).scaleb(-3),
                r2=D(r2).scaleb(-3),
                power="1",
            )
        )
        i += 1
        watts = 200 + (i * 37) % 4000  # a different power every step
        if moment.hour % 2:
            d1 += watts * 10 // 3600
        else:
            d2 += watts * 10 // 3600
        if i % 7 == 0:
            r1 += 3
        if i % 11 == 0:
            r2 += 2
        moment += timedelta(seconds=10)
    return rows


def expected_quarters(rows: list, start: int, end: int) -> dict[int, list[Decimal]]:
    """From the readings themselves: for each quarter with readings, the advance of each register from
    the last reading at or before its start to the last at or before its end, drops counted as zero."""
    times = [to_epoch(row.timestamp) for row in rows]
    names = [
        "electricity_delivered_1",
        "electricity_delivered_2",
        "electricity_returned_1",
        "electricity_returned_2",
    ]

    def advance(name: str, low: int, high: int) -> Decimal:
        # sum of the non-negative steps between consecutive readings in (low, high]
        total = D(0)
        for a, b in zip(rows, rows[1:], strict=False):
            if low < to_epoch(b.timestamp) <= high and to_epoch(a.timestamp) >= times[0]:
                step = getattr(b, name) - getattr(a, name)
                total += max(step, D(0))  # a drop is a new meter: its advance starts from its first reading
        return total

    quarters = {}
    for quarter in range(start, end, QUARTER):
        lo = bisect.bisect_right(times, quarter)
        hi = bisect.bisect_right(times, quarter + QUARTER)
        if hi > lo and quarter + QUARTER > times[0]:
            quarters[quarter] = [advance(name, quarter, quarter + QUARTER) for name in names]
    return quarters


def as_lists(quarters) -> dict[int, list[Decimal]]:
    return {q.start: [q.delivered_1, q.delivered_2, q.returned_1, q.returned_2] for q in quarters}


@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 2)],
    ids=["23-hour day", "25-hour day", "ordinary day"],
)
def test_quarters_are_the_register_advance_and_add_up_to_the_hours(day):
    start, end = day_start(day), day_end(day)
    rows = irregular_stream(from_epoch(start - 600), from_epoch(end + 300))
    store(*rows)
    processing_run_pending()
    quarters = quarter_energy(start=start, end=end)
    assert as_lists(quarters) == expected_quarters(rows, start, end)
    hours = list(
        HourStatistics.objects.filter(hour_start__gte=from_epoch(start), hour_start__lt=from_epoch(end))
    )
    assert len(hours) == (end - start) // 3600 and len(quarters) == len(hours) * 4
    for hour in hours:
        mine = [
            q for q in quarters if to_epoch(hour.hour_start) <= q.start < to_epoch(hour.hour_start) + 3600
        ]
        assert len(mine) == 4
        assert sum(q.delivered_1 for q in mine) == hour.electricity1
        assert sum(q.delivered_2 for q in mine) == hour.electricity2
        assert sum(q.returned_1 for q in mine) == hour.electricity1_returned
        assert sum(q.returned_2 for q in mine) == hour.electricity2_returned


def test_a_meter_reset_is_not_use_and_the_quarters_still_add_up():
    reset = utc(2026, 3, 2, 10, 20, 0)
    rows = irregular_stream(utc(2026, 3, 2, 9, 0), utc(2026, 3, 2, 12, 0), reset_at=reset)
    store(*rows)
    processing_run_pending()
    start, end = to_epoch(utc(2026, 3, 2, 9)), to_epoch(utc(2026, 3, 2, 12))
    quarters = quarter_energy(start=start, end=end)
    expected = expected_quarters(rows, start, end)
    assert as_lists(quarters) == expected
    reset_quarter = expected[to_epoch(utc(2026, 3, 2, 10, 15))]
    assert all(value >= 0 for value in reset_quarter) and reset_quarter[0] + reset_quarter[1] > 0
    for hour in HourStatistics.objects.all():
        mine = [
            q for q in quarters if to_epoch(hour.hour_start) <= q.start < to_epoch(hour.hour_start) + 3600
        ]
        assert sum(q.delivered_1 + q.delivered_2 for q in mine) == hour.electricity1 + hour.electricity2


def test_a_gap_is_booked_in_the_first_quarter_after_it_and_the_running_quarter_is_live():
    store(
        reading(utc(2026, 3, 2, 9, 0, 5), "100.000"),
        reading(utc(2026, 3, 2, 9, 14, 50), "100.250"),
        # nothing from 09:15 to 09:45
        reading(utc(2026, 3, 2, 9, 50), "100.900"),
        reading(utc(2026, 3, 2, 10, 3), "101.000", "2.000"),  # the running quarter, 10:00-10:15
    )
    processing_run_pending()
    start = to_epoch(utc(2026, 3, 2, 9))
    quarters = as_lists(quarter_energy(start=start, end=start + 2 * 3600))
    zero = D("0.000")
    assert quarters == {
        start: [D("100.250") - D("100.000"), zero, zero, zero],
        start + 3 * QUARTER: [D("100.900") - D("100.250"), zero, zero, zero],
        start + 4 * QUARTER: [D("101.000") - D("100.900"), D("2.000"), zero, zero],
    }


def test_quarter_bounds_must_be_quarters():
    with pytest.raises(ValueError, match="multiples of 900"):
        quarter_energy(start=100, end=1800)
    assert quarter_energy(start=1800, end=1800) == []
    assert quarter_energy(start=0, end=1800) == []  # no readings


def test_complete_quarters_are_kept_as_peaks_with_their_average_power():
    rows = irregular_stream(utc(2026, 3, 2, 9, 0), utc(2026, 3, 2, 11, 7))
    store(*rows)
    processing_run_pending()
    start = to_epoch(utc(2026, 3, 2, 9))
    live = quarter_energy(start=start, end=start + 3 * 3600)
    assert live[-1].start == to_epoch(utc(2026, 3, 2, 11))  # the running quarter, live
    complete = [q for q in live if q.start + QUARTER <= to_epoch(rows[-1].timestamp)]
    peaks = list(quarter_peaks())
    assert [to_epoch(p.read_at_start) for p in peaks] == [q.start for q in complete]
    for peak, quarter in zip(peaks, complete, strict=True):
        assert peak.read_at_end - peak.read_at_start == timedelta(minutes=15)
        assert peak.average_delivered == (quarter.delivered_1 + quarter.delivered_2) * 4
    by_power = list(quarter_peaks(ordering="-average_delivered"))
    powers = [p.average_delivered for p in by_power]
    assert powers == sorted(powers, reverse=True) and powers[0] == max(powers)
    window = list(quarter_peaks(start_gte=utc(2026, 3, 2, 10), start_lte=utc(2026, 3, 2, 10, 30)))
    assert [p.read_at_start for p in window] == [utc(2026, 3, 2, 10, m) for m in (0, 15, 30)]
    assert list(
        quarter_peaks()
        .filter(read_at_start__gte=utc(2026, 3, 2, 10, 45))
        .values_list("read_at_start", flat=True)
    ) == [utc(2026, 3, 2, 10, 45)]
    with pytest.raises(ValueError, match="unknown ordering"):
        quarter_peaks(ordering="power")


def test_peaks_follow_a_late_reading_and_a_rebuild():
    store(
        reading(utc(2026, 3, 2, 9, 0, 5), "100.000"),
        reading(utc(2026, 3, 2, 9, 14, 50), "100.250"),
        reading(utc(2026, 3, 2, 9, 40), "100.400"),
    )
    processing_run_pending()
    first = utc(2026, 3, 2, 9)
    assert [(p.read_at_start, p.average_delivered) for p in quarter_peaks()] == [(first, D("0.250") * 4)]
    store(reading(utc(2026, 3, 2, 9, 10), "100.200"))  # late, inside the first quarter: nothing changes
    store(reading(utc(2026, 3, 2, 9, 29, 0), "100.300"))  # late: the 09:15 quarter now has a value
    processing_run_pending()
    expected = [(first, D("1.000")), (utc(2026, 3, 2, 9, 15), (D("100.300") - D("100.250")) * 4)]
    assert [(p.read_at_start, p.average_delivered) for p in quarter_peaks()] == expected
    processing_rebuild()
    assert [(p.read_at_start, p.average_delivered) for p in quarter_peaks()] == expected
