"""processing.costs: every contract kind priced per quarter hour from real readings, on 23- and 25-hour
days, with band boundaries at the DST change, market prices with gaps and below zero, returned energy and the
Belgian capacity tariff. Expected values are derived here from the inputs (never copied from output)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from dsmrhub.prices.services import contract_spec_parse
from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.costs import costs_by_period, costs_for_range, usage_load
from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.spotprices.models import Commodity
from dsmrhub.spotprices.services import PricePeriod, market_prices_store
from tests.processing.builders import reading, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
AMS = ZoneInfo("Europe/Amsterdam")
Q = timedelta(minutes=15)
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def R(amount: Decimal) -> Decimal:
    """Half up to cents, written out here (not borrowed from the code under test)."""
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def quarter_readings(start: datetime, count: int, *, d1="0", d2="0", r1="0", r2="0", peaks=None) -> None:
    """Readings at ``start`` and every quarter hour after it, ``count`` quarters: each quarter uses the
    given kWh per register (``peaks``: quarter index → delivered_1 kWh instead)."""
    pos = [D(1000), D(2000), D(0), D(0)]
    step = [D(d1), D(d2), D(r1), D(r2)]
    rows = [reading(start, *map(str, pos[:2]), r1=str(pos[2]), r2=str(pos[3]))]
    for k in range(count):
        use = list(step)
        if peaks and k in peaks:
            use[0] = D(peaks[k])
        pos = [p + u for p, u in zip(pos, use, strict=True)]
        rows.append(reading(start + Q * (k + 1), str(pos[0]), str(pos[1]), r1=str(pos[2]), r2=str(pos[3])))
    store(*rows)
    processing_run_pending()


def save(spec: dict):
    parsed = contract_spec_parse(spec)
    return contract_save(
        description=parsed.description,
        start=parsed.start,
        end=parsed.end,
        prices=parsed.prices,
        kind=parsed.kind,
        holidays_country=parsed.holidays_country,
        bands=parsed.bands,
        terms=parsed.terms,
    ).contract


def local_quarters(day: date) -> list[datetime]:
    """The local start of every quarter hour of ``day`` (23 or 25 hours: by adding time in UTC)."""
    moment = datetime(day.year, day.month, day.day, tzinfo=AMS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=AMS).astimezone(UTC)
    starts = []
    while moment < end:
        starts.append(moment.astimezone(AMS))
        moment += Q
    return starts


def test_bands_on_the_23_hour_day_switch_at_the_local_boundary_after_the_skipped_hour():
    day = date(2026, 3, 29)  # Sunday; 02:00 local does not exist (clocks go 02:00 → 03:00)
    quarters = local_quarters(day)
    assert len(quarters) == 92
    night, peak = (D("0.21"), D("0.06")), (D("0.34"), D("0.09"))  # (delivered, returned) € per kWh
    save({
        "description": "night until 03:00", "start": "2026-01-01", "kind": "bands", "fixed_daily_cost": "0.5",
        "bands": [
            {"name": "night", "delivered": str(night[0]), "returned": str(night[1]),
             "periods": [{"days": "all", "hours": "00:00-03:00"}]},
            {"name": "day", "delivered": str(peak[0]), "returned": str(peak[1]),
             "periods": [{"days": "all", "hours": "03:00-24:00"}]},
        ],
    })  # fmt: skip
    d1, r2 = D("0.125"), D("0.020")
    quarter_readings(quarters[0].astimezone(UTC), 92 + 4, d1=str(d1), r2=str(r2))  # into the next day
    in_night = [q for q in quarters if q.hour < 3]
    assert len(in_night) == 8  # 00:00–02:00 only: the hour 02:00–03:00 is skipped
    e1 = len(in_night) * d1 * night[0] + (92 - len(in_night)) * d1 * peak[0]
    e2 = -(len(in_night) * r2 * night[1] + (92 - len(in_night)) * r2 * peak[1])
    stats = DayStatistics.objects.get(day=day)
    assert (stats.electricity1_cost, stats.electricity2_cost) == (R(e1), R(e2))
    assert stats.total_cost == R(R(e1) + R(e2) + D("0.5"))

    usage = usage_load(first=day, last=day, now=NOW)
    hours = costs_by_period(usage=usage, period="hour")
    assert len(hours) == 23
    assert hours[2].start.hour == 3  # 00:00, 01:00, then 03:00
    # the rule: each tariff's part rounded, then the total (tariff 1 delivers, tariff 2 returns here)
    assert hours[1].total_cost == R(R(4 * d1 * night[0]) + R(-4 * r2 * night[1]))
    assert hours[2].total_cost == R(R(4 * d1 * peak[0]) + R(-4 * r2 * peak[1]))
    (whole,) = costs_by_period(usage=usage, period="day")
    assert (whole.total_cost, whole.missing, whole.delivered) == (stats.total_cost, 0, 92 * d1)


def test_bands_on_the_25_hour_day_price_the_repeated_hour_twice_by_its_local_time():
    day = date(2026, 10, 25)  # 03:00 local goes back to 02:00: 02:00–03:00 happens twice
    quarters = local_quarters(day)
    assert len(quarters) == 100
    low, high = D("0.10"), D("0.40")
    save({
        "description": "cheap until 02:30", "start": "2026-01-01", "kind": "bands",
        "bands": [
            {"name": "low", "delivered": str(low), "periods": [{"days": "all", "hours": "00:00-02:30"}]},
            {"name": "high", "delivered": str(high), "periods": [{"days": "all", "hours": "02:30-24:00"}]},
        ],
    })  # fmt: skip
    d2 = D("0.200")
    quarter_readings(quarters[0].astimezone(UTC), 100 + 4, d2=str(d2))
    cheap = [q for q in quarters if (q.hour, q.minute) < (2, 30)]
    assert len(cheap) == 12  # 00:00 … 02:15, and 02:00, 02:15 again after the change
    expected = len(cheap) * d2 * low + (100 - len(cheap)) * d2 * high
    stats = DayStatistics.objects.get(day=day)
    assert (stats.electricity1_cost, stats.electricity2_cost, stats.total_cost) == (
        D("0.00"),
        R(expected),
        R(expected),
    )
    hours = costs_by_period(usage=usage_load(first=day, last=day, now=NOW), period="hour")
    assert len(hours) == 25
    repeated = [h for h in hours if h.start.hour == 2]
    assert [h.total_cost for h in repeated] == [R(2 * d2 * low + 2 * d2 * high)] * 2


def test_public_holidays_are_priced_as_their_own_day_type():
    day = date(2026, 4, 27)  # King's Day, a Monday
    save({
        "description": "holidays off-peak", "start": "2026-01-01", "kind": "bands", "holidays_country": "NL",
        "bands": [
            {"name": "peak", "delivered": "0.30", "periods": [{"days": "mon-fri"}]},
            {"name": "off-peak", "delivered": "0.20", "periods": [{"days": "sat-sun,holiday"}]},
        ],
    })  # fmt: skip
    quarter_readings(datetime(2026, 4, 26, 22, tzinfo=UTC), 4 * 24 * 2 + 4, d1="0.1")
    assert DayStatistics.objects.get(day=day).total_cost == R(96 * D("0.1") * D("0.20"))
    assert DayStatistics.objects.get(day=day + timedelta(days=1)).total_cost == R(96 * D("0.1") * D("0.30"))


DYNAMIC = {
    "description": "dynamic",
    "start": "2026-01-01",
    "kind": "dynamic",
    "fixed_daily_cost": "0.25",
    "fixed_monthly_cost": "6.20",
    "terms": {
        "electricity_delivered": {"markup": "0.02", "tax": "0.10154", "vat_percent": "21"},
        "electricity_returned": {"markup": "-0.015"},
    },
}


def _prices(start: datetime, values: list[str | None], length: timedelta = Q) -> None:
    periods = [
        PricePeriod(Commodity.ELECTRICITY_DELIVERED, start + length * i, start + length * (i + 1), D(v))
        for i, v in enumerate(values)
        if v is not None
    ]
    market_prices_store(periods=periods, source="test")


def test_dynamic_quarter_prices_with_a_gap_negative_prices_and_returned_energy():
    start = utc(2026, 6, 10, 10)  # local 12:00
    save(DYNAMIC)
    # quarter prices for 10:00–11:00 UTC (one below zero), an hourly price for 11:00–12:00
    quarter_prices = [D("0.10"), D("-0.05"), D("0.20"), D("0.00")]
    _prices(start, [str(p) for p in quarter_prices])
    _prices(start + timedelta(hours=1), ["0.15"], length=timedelta(hours=1))
    delivered, returned = D("0.250"), D("0.500")
    quarter_readings(start, 8, d1=str(delivered), r1=str(returned))

    def unit_d(m):
        return (m + D("0.02") + D("0.10154")) * (1 + D(21) / 100)

    def unit_r(m):
        return m - D("0.015")

    market = quarter_prices + [D("0.15")] * 4
    exact = [delivered * unit_d(m) - returned * unit_r(m) for m in market]
    assert exact[1] > delivered * unit_d(market[1])  # returning at a negative price costs money
    usage = usage_load(first=date(2026, 6, 10), last=date(2026, 6, 10), now=NOW)
    quarters = costs_by_period(usage=usage, period="quarter")
    assert [q.total_cost for q in quarters] == [R(e) for e in exact]
    hours = costs_by_period(usage=usage, period="hour")
    assert [h.total_cost for h in hours] == [R(sum(exact[:4])), R(sum(exact[4:]))]
    (day,) = costs_by_period(usage=usage, period="day")
    assert day.total_cost == R(R(sum(exact)) + D("0.25"))
    (month,) = costs_by_period(usage=usage, period="month")
    assert month.fixed_cost == D("0.25") + D("6.20") / 30  # June: one day of 30 with data
    assert month.total_cost == R(R(sum(exact)) + D("0.25") + D("6.20") / 30)


def test_a_missing_market_price_is_missing_never_zero():
    start = utc(2026, 6, 10, 10)
    save(DYNAMIC)
    _prices(start, ["0.10", None, "0.20", "0.30"])  # 10:15–10:30 has no price
    quarter_readings(start, 4, d1="0.1")
    usage = usage_load(first=date(2026, 6, 10), last=date(2026, 6, 10), now=NOW)
    quarters = costs_by_period(usage=usage, period="quarter")
    assert [q.missing for q in quarters] == [0, 1, 0, 0]
    assert quarters[1].total_cost is None and quarters[1].delivered == D("0.1")
    assert quarters[0].total_cost == R(D("0.1") * (D("0.10") + D("0.12154")) * D("1.21"))
    for period in ("hour", "day", "month", "year"):
        (row,) = costs_by_period(usage=usage, period=period)
        assert (row.total_cost, row.electricity1_cost, row.missing) == (None, None, 1)


def test_the_capacity_tariff_uses_the_rolling_average_of_monthly_peaks_with_the_minimum():
    save({
        "description": "Fluvius", "start": "2026-01-01", "kind": "fixed",
        "electricity_delivered_1_price": "0.30", "capacity_price": "53.2560", "capacity_minimum": "2.5",
    })  # fmt: skip
    # one quarter-hour peak per month: January 4 kW, February 2 kW (below the minimum), March 6 kW
    for month, peak_kwh in ((1, "1.000"), (2, "0.500"), (3, "1.500")):
        quarter_readings(utc(2026, month, 10, 12), 3, d1="0.100", peaks={1: peak_kwh})
    months = costs_for_range(first=date(2026, 1, 1), last=date(2026, 3, 31), period="month", now=NOW)
    assert [m.capacity_peak for m in months] == [D("4.000"), D("2.000"), D("6.000")]
    price = D("53.2560")
    averages = [D(4), (D(4) + D("2.5")) / 2, (D(4) + D("2.5") + D(6)) / 3]
    assert [m.capacity_cost for m in months] == [R(a * price / 12) for a in averages]
    energy = [(2 * D("0.1") + D(p)) * D("0.30") for p in ("1.000", "0.500", "1.500")]
    assert [m.total_cost for m in months] == [
        R(R(e) + R(a * price / 12)) for e, a in zip(energy, averages, strict=True)
    ]
    (year,) = costs_for_range(first=date(2026, 1, 1), last=date(2026, 12, 31), period="year", now=NOW)
    assert year.capacity_cost == R(sum(a * price / 12 for a in averages))


def test_a_belgian_meters_own_month_peaks_are_billed_and_ours_shown_beside_them():
    from dsmrhub.readings.models import DsmrReading, MeterMonthPeak

    save({
        "description": "Fluvius", "start": "2026-01-01", "kind": "fixed",
        "electricity_delivered_1_price": "0.30", "capacity_price": "50", "capacity_minimum": "2.5",
    })  # fmt: skip
    for month, peak_kwh in ((1, "1.000"), (2, "0.500"), (3, "1.500")):  # ours: 4, 2 and 6 kW
        quarter_readings(utc(2026, month, 10, 12), 3, d1="0.100", peaks={1: peak_kwh})
    # January from the meter's 0-0:98.1.0 history; March (running) from the latest reading's 1-0:1.6.0
    MeterMonthPeak.objects.create(
        month=date(2026, 1, 1), value=D("4.120"), occurred_at=utc(2026, 1, 10, 12, 20)
    )
    DsmrReading.objects.filter(timestamp__gte=utc(2026, 3, 1)).update(
        maximum_demand_month=D("6.500"), maximum_demand_month_at=utc(2026, 3, 10, 12, 22)
    )
    months = costs_for_range(first=date(2026, 1, 1), last=date(2026, 3, 31), period="month", now=NOW)
    assert [(m.capacity_peak_meter, m.capacity_peak_computed) for m in months] == [
        (D("4.120"), D("4.000")),
        (None, D("2.000")),
        (D("6.500"), D("6.000")),
    ]
    billed = [D("4.120"), D("2.5"), D("6.500")]  # the meter's where it has one; February lifted to 2.5
    assert [m.capacity_peak for m in months] == [D("4.120"), D("2.000"), D("6.500")]
    averages = [sum(billed[: n + 1]) / (n + 1) for n in range(3)]
    assert [m.capacity_cost for m in months] == [R(a * 50 / 12) for a in averages]


def test_the_price_now_and_next_for_each_kind():
    from dsmrhub.processing.costs import price_now

    save({**DYNAMIC, "end": "2026-06-30"})
    start = utc(2026, 6, 10, 10)
    _prices(start, ["0.10", "-0.05"])  # 10:00–10:15, 10:15–10:30 UTC; nothing after
    now = start + timedelta(minutes=7)
    price = price_now(now=now)
    assert price.kind == "dynamic" and price.band is None
    assert price.delivered == (D("0.10") + D("0.02") + D("0.10154")) * D("1.21")
    assert price.returned == D("0.10") - D("0.015")
    assert price.until == start + Q
    assert price.next_delivered == (D("-0.05") + D("0.12154")) * D("1.21")
    later = price_now(now=start + timedelta(hours=2))  # no market price: unknown, never zero
    assert (later.delivered, later.returned) == (None, None)

    save({
        "description": "peak", "start": "2026-07-01", "end": "2026-07-31", "kind": "bands",
        "bands": [
            {"name": "peak", "delivered": "0.31", "returned": "0.07",
             "periods": [{"days": "mon-fri", "hours": "07:00-21:00"}]},
            {"name": "off", "delivered": "0.21", "returned": "0.07",
             "periods": [{"days": "mon-fri", "hours": "21:00-07:00"}, {"days": "sat-sun"}]},
        ],
    })  # fmt: skip
    friday_evening = datetime(2026, 7, 3, 20, 40, tzinfo=AMS)
    price = price_now(now=friday_evening)
    assert (price.band, price.delivered, price.returned) == ("peak", D("0.31"), D("0.07"))
    assert price.until == datetime(2026, 7, 3, 21, 0, tzinfo=AMS)
    assert price.next_delivered == D("0.21")

    save({"description": "fixed", "start": "2026-08-01", "electricity_delivered_2_price": "0.27"})
    fixed = price_now(now=datetime(2026, 8, 3, 12, tzinfo=AMS), tariff_register=2)
    assert (fixed.delivered, fixed.until) == (D("0.27"), None)
    assert price_now(now=datetime(2026, 8, 3, 12, tzinfo=AMS)).delivered is None  # tariff unknown
    assert price_now(now=datetime(2025, 8, 3, 12, tzinfo=AMS)) is None  # no contract


def test_the_live_cost_per_hour_follows_the_price_now_for_a_dynamic_contract():
    from dsmrhub.processing.live import electricity_live_figures

    save(DYNAMIC)
    start = utc(2026, 6, 10, 10)
    _prices(start, ["-0.20"])
    store(reading(start + timedelta(minutes=5), "1000", "2000", power="0.400", returned="2.500"))
    live = electricity_live_figures(now=start + timedelta(minutes=6))
    delivered_price = (D("-0.20") + D("0.12154")) * D("1.21")
    returned_price = D("-0.20") - D("0.015")  # below zero: returning costs money
    assert live.cost_per_hour == R(D("0.400") * delivered_price - D("2.500") * returned_price)
    assert live.cost_per_hour > 0
    assert electricity_live_figures(now=start + timedelta(minutes=20)).cost_per_hour is None  # no price


def test_todays_costs_so_far_follow_the_bands():
    from dsmrhub.processing.selectors import consumption_today

    save({
        "description": "day and night", "start": "2026-01-01", "kind": "bands",
        "bands": [
            {"name": "night", "delivered": "0.20", "periods": [{"days": "all", "hours": "00:00-07:00"}]},
            {"name": "day", "delivered": "0.30", "periods": [{"days": "all", "hours": "07:00-24:00"}]},
        ],
    })  # fmt: skip
    six = datetime(2026, 6, 10, 6, tzinfo=AMS)
    quarter_readings(six.astimezone(UTC), 8, d1="0.100")  # 06:00–08:00 local
    today = consumption_today(now=six + timedelta(minutes=90))  # 07:30: the later readings not yet
    assert today["electricity1"] == D("0.600")
    assert today["electricity1_cost"] == R(4 * D("0.1") * D("0.20") + 2 * D("0.1") * D("0.30"))
    assert today["total_cost"] == today["electricity1_cost"]
