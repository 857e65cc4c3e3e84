"""Costs that cannot be known are missing, never 0.00: the day statistics' cost columns are null (with
``costs_missing``) for a dynamic day with a gap in its market prices, recomputed when the prices arrive; and
imported history (no quarter hours) is priced per imported hour under time-of-use bands and dynamic
contracts where one price holds the whole hour, and missing where it does not. Expected values are derived
here from the inputs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from dsmrhub.prices.services import contract_spec_parse
from dsmrhub.processing.compare import compare_tariff, contracts_compare
from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.costs import costs_by_band, costs_for_range
from dsmrhub.processing.history import ImportedDay, ImportedHour, statistics_import
from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.spotprices.models import Commodity
from dsmrhub.spotprices.services import PricePeriod, market_prices_store
from tests.processing.builders import reading, store

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = Decimal(0)
AMS = ZoneInfo("Europe/Amsterdam")
HOUR = timedelta(hours=1)
Q = timedelta(minutes=15)
NOW = datetime(2027, 1, 1, tzinfo=UTC)
MONDAY = date(2026, 3, 2)  # before the DST change: local = UTC + 1
SATURDAY = date(2026, 3, 7)
LONG_SUNDAY = date(2026, 10, 25)  # 25 hours: 02:00–03:00 local twice


def R(amount: Decimal) -> Decimal:
    """Half up to cents, written out here (not borrowed from the code under test)."""
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


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


def local_hours(day: date) -> list[datetime]:
    """Every local hour start of ``day`` (aware, Amsterdam), by adding hours in UTC (23 or 25 on DST days)."""
    moment = datetime(day.year, day.month, day.day, tzinfo=AMS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=AMS).astimezone(UTC)
    hours = []
    while moment < end:
        hours.append(moment.astimezone(AMS))
        moment += HOUR
    return hours


def hour_rows(day: date, *, d1: Decimal, r1: dict[int, Decimal] | None = None, gas=None, skip=()):
    """An imported hour per local hour of ``day`` (index in ``skip`` left out): ``d1`` kWh delivered on
    tariff 1, returned per hour index from ``r1``, ``gas`` m3 (default 0.080)."""
    gas = D("0.080") if gas is None else gas
    return [
        ImportedHour(
            hour_start=start,
            electricity1=d1,
            electricity2=D("0"),
            electricity1_returned=(r1 or {}).get(i, D("0")),
            electricity2_returned=D("0"),
            gas=gas,
        )
        for i, start in enumerate(local_hours(day))
        if i not in skip
    ]


def day_row(day: date, hours: list[ImportedHour], *, extra_d1=ZERO) -> ImportedDay:
    """The imported day whose use is the sum of ``hours`` (plus ``extra_d1`` kWh no hour accounts for)."""
    return ImportedDay(
        day=day,
        electricity1=sum((h.electricity1 for h in hours), D("0")) + extra_d1,
        electricity2=sum((h.electricity2 for h in hours), D("0")),
        electricity1_returned=sum((h.electricity1_returned for h in hours), D("0")),
        electricity2_returned=sum((h.electricity2_returned for h in hours), D("0")),
        gas=sum((h.gas for h in hours), D("0")),
        electricity1_reading=D("1000"),
        electricity2_reading=D("2000"),
        electricity1_returned_reading=D("0"),
        electricity2_returned_reading=D("0"),
        gas_reading=D("500"),
    )


def import_day(day: date, hours: list[ImportedHour], *, extra_d1=ZERO, with_hours=True) -> None:
    statistics_import(days=[day_row(day, hours, extra_d1=extra_d1)], hours=hours if with_hours else [])


def band(name: str, delivered: str, returned: str, *periods: tuple[str, str]) -> dict:
    return {
        "name": name,
        "delivered": delivered,
        "returned": returned,
        "periods": [{"days": days, "hours": hours} for days, hours in periods],
    }


PEAK, OFF_PEAK = D("0.30"), D("0.20")
BANDS = {
    "description": "peak/off-peak",
    "start": "2026-01-01",
    "kind": "bands",
    "gas_price": "0.80",
    "fixed_daily_cost": "0.50",
    "bands": [
        band("peak", "0.30", "0.10", ("mon-fri", "07:00-23:00")),
        band("off-peak", "0.20", "0.05", ("mon-fri", "23:00-07:00"), ("sat,sun", "00:00-24:00")),
    ],
}


def stored(day: date) -> DayStatistics:
    return DayStatistics.objects.get(day=day)


def test_imported_hours_under_bands_are_priced_per_hour():
    save(BANDS)
    returned = {12: D("0.050"), 13: D("0.050"), 14: D("0.050")}  # 12:00–15:00 local: peak
    hours = hour_rows(MONDAY, d1=D("0.400"), r1=returned)
    import_day(MONDAY, hours)
    peak_hours = [h for h in hours if 7 <= h.hour_start.hour < 23]
    off_hours = [h for h in hours if not 7 <= h.hour_start.hour < 23]
    assert (len(peak_hours), len(off_hours)) == (16, 8)
    electricity = (
        sum(h.electricity1 for h in peak_hours) * PEAK
        + sum(h.electricity1 for h in off_hours) * OFF_PEAK
        - sum(returned.values()) * D("0.10")
    )
    gas = 24 * D("0.080") * D("0.80")
    row = stored(MONDAY)
    assert (row.imported, row.costs_missing) == (True, 0)
    assert (row.electricity1_cost, row.electricity2_cost, row.gas_cost) == (R(electricity), R(D(0)), R(gas))
    assert row.total_cost == R(R(electricity) + R(gas) + D("0.50"))
    # the same figures from the engine's own periods (the API's /costs)
    (day,) = costs_for_range(first=MONDAY, last=MONDAY, period="day", now=NOW)
    assert (day.total_cost, day.missing, day.delivered) == (row.total_cost, 0, D("9.600"))
    by_hour = costs_for_range(first=MONDAY, last=MONDAY, period="hour", now=NOW)
    assert [h.electricity_cost for h in by_hour[6:8]] == [R(D("0.400") * OFF_PEAK), R(D("0.400") * PEAK)]


def test_an_imported_hour_across_a_band_change_is_missing_and_the_day_null():
    spec = {**BANDS, "bands": [
        band("peak", "0.30", "0.10", ("mon-fri", "07:30-23:00")),
        band("off-peak", "0.20", "0.05", ("mon-fri", "23:00-07:30"), ("sat,sun", "00:00-24:00")),
    ]}  # fmt: skip
    save(spec)
    hours = hour_rows(MONDAY, d1=D("0.400"))
    import_day(MONDAY, hours)
    row = stored(MONDAY)
    # 07:00–08:00 is half off-peak, half peak: how its 0.400 kWh split is unknown
    assert row.costs_missing == 1
    assert (row.electricity1_cost, row.electricity2_cost, row.total_cost) == (None, None, None)
    assert (row.gas_cost, row.fixed_cost) == (R(24 * D("0.080") * D("0.80")), D("0.50"))
    hours_costs = costs_for_range(first=MONDAY, last=MONDAY, period="hour", now=NOW)
    assert [h.missing for h in hours_costs] == [0] * 7 + [1] + [0] * 16
    assert hours_costs[7].total_cost is None and hours_costs[8].electricity_cost == R(D("0.400") * PEAK)


def test_an_hour_across_a_band_change_without_electricity_has_nothing_to_price():
    save({**BANDS, "bands": [
        band("peak", "0.30", "0.10", ("mon-fri", "07:30-23:00")),
        band("off-peak", "0.20", "0.05", ("mon-fri", "23:00-07:30"), ("sat,sun", "00:00-24:00")),
    ]})  # fmt: skip
    hours = hour_rows(MONDAY, d1=D("0.400"))
    hours[7] = ImportedHour(hours[7].hour_start, D("0"), D("0"), D("0"), D("0"), D("0.080"))
    import_day(MONDAY, hours)
    row = stored(MONDAY)
    # off-peak 00:00–07:00 and 23:00–24:00 (8 hours), peak 08:00–23:00 (15 hours)
    assert (row.costs_missing, row.electricity1_cost) == (
        0,
        R(8 * D("0.400") * OFF_PEAK + 15 * D("0.400") * PEAK),
    )


def test_a_day_without_hours_is_priced_only_where_one_band_holds_all_day():
    save(BANDS)
    saturday = hour_rows(SATURDAY, d1=D("0.500"))
    import_day(SATURDAY, saturday, with_hours=False)  # off-peak all Saturday: the day's total is enough
    row = stored(SATURDAY)
    assert row.costs_missing == 0
    assert row.electricity1_cost == R(24 * D("0.500") * OFF_PEAK)
    monday = hour_rows(MONDAY, d1=D("0.500"))
    import_day(MONDAY, monday, with_hours=False)  # peak and off-peak: unknown without hours
    row = stored(MONDAY)
    assert (row.costs_missing, row.total_cost, row.electricity1_cost) == (1, None, None)
    assert row.gas_cost == R(24 * D("0.080") * D("0.80"))  # gas has one price all day


def test_hours_that_do_not_cover_the_day_leave_the_rest_missing_under_bands_but_not_fixed():
    save(BANDS)
    hours = hour_rows(MONDAY, d1=D("0.400"), skip={3})  # DSMR-reader lacked 03:00–04:00
    import_day(MONDAY, hours, extra_d1=D("0.400"))
    row = stored(MONDAY)
    assert (row.costs_missing, row.total_cost) == (1, None)


def test_a_fixed_contract_prices_imported_days_by_their_totals_whatever_the_hours():
    save({"description": "fixed", "start": "2026-01-01", "gas_price": "0.80", "fixed_daily_cost": "0.50",
          "electricity_delivered_1_price": "0.25", "electricity_delivered_2_price": "0.21"})  # fmt: skip
    hours = hour_rows(MONDAY, d1=D("0.400"), skip={3})
    import_day(MONDAY, hours, extra_d1=D("0.400"))
    row = stored(MONDAY)
    electricity = 24 * D("0.400") * D("0.25")
    assert (row.costs_missing, row.electricity1_cost) == (0, R(electricity))
    assert row.total_cost == R(R(electricity) + R(23 * D("0.080") * D("0.80")) + D("0.50"))


def test_imported_hours_on_the_25_hour_day_take_the_band_of_each_local_hour():
    save({**BANDS, "bands": [
        band("night", "0.20", "0.05", ("sun", "00:00-03:00")),
        band("day", "0.30", "0.10", ("sun", "03:00-24:00"), ("mon-sat", "00:00-24:00")),
    ]})  # fmt: skip
    hours = hour_rows(LONG_SUNDAY, d1=D("0.400"))
    assert len(hours) == 25
    import_day(LONG_SUNDAY, hours)
    night = [h for h in hours if h.hour_start.hour < 3]  # 00:00, 01:00 and 02:00 twice
    assert len(night) == 4
    electricity = 4 * D("0.400") * D("0.20") + 21 * D("0.400") * D("0.30")
    row = stored(LONG_SUNDAY)
    assert (row.costs_missing, row.electricity1_cost) == (0, R(electricity))


DYNAMIC = {
    "description": "dynamic",
    "start": "2026-01-01",
    "kind": "dynamic",
    "gas_price": "0.80",
    "fixed_daily_cost": "0.25",
    "terms": {
        "electricity_delivered": {"markup": "0.02", "tax": "0.10154", "vat_percent": "21"},
        "electricity_returned": {"markup": "-0.015"},
    },
}


def delivered_price(market: Decimal) -> Decimal:
    return (market + D("0.02") + D("0.10154")) * D("1.21")


def returned_price(market: Decimal) -> Decimal:
    return market - D("0.015")


def prices(start: datetime, values: list[str | None], length: timedelta = HOUR) -> None:
    periods = [
        PricePeriod(Commodity.ELECTRICITY_DELIVERED, start + length * i, start + length * (i + 1), D(v))
        for i, v in enumerate(values)
        if v is not None
    ]
    market_prices_store(periods=periods, source="test")


def test_imported_hours_under_a_dynamic_contract_with_hourly_prices_and_a_negative_hour():
    save(DYNAMIC)
    markets = [D("0.10") + D("0.01") * i for i in range(24)]
    markets[13] = D("-0.04")  # a sunny hour: returning costs money
    start = local_hours(MONDAY)[0]
    prices(start, [str(m) for m in markets])
    returned = {13: D("1.000")}
    hours = hour_rows(MONDAY, d1=D("0.300"), r1=returned)
    import_day(MONDAY, hours)
    electricity = sum(D("0.300") * delivered_price(m) for m in markets) - D("1.000") * returned_price(
        markets[13]
    )
    row = stored(MONDAY)
    assert row.costs_missing == 0
    assert row.electricity1_cost == R(electricity)
    assert row.total_cost == R(R(electricity) + R(24 * D("0.080") * D("0.80")) + D("0.25"))


def test_imported_hours_with_a_price_gap_or_quarter_prices_are_missing_until_prices_arrive():
    save(DYNAMIC)
    start = local_hours(MONDAY)[0]
    markets = ["0.10"] * 24
    prices(start, markets[:5] + [None] + markets[6:])  # 05:00–06:00 has no price
    hours = hour_rows(MONDAY, d1=D("0.300"))
    import_day(MONDAY, hours)
    row = stored(MONDAY)
    assert (row.costs_missing, row.total_cost, row.electricity1_cost) == (1, None, None)
    # the hour's price published later as four different quarter prices: still unknown for an hour's use
    prices(start + 5 * HOUR, ["0.10", "0.20", "0.10", "0.20"], length=Q)
    processing_run_pending()
    assert stored(MONDAY).costs_missing == 1
    # four equal quarter prices are one price over the hour: priced
    prices(start + 5 * HOUR, ["0.10"] * 4, length=Q)
    processing_run_pending()
    row = stored(MONDAY)
    assert row.costs_missing == 0
    assert row.electricity1_cost == R(24 * D("0.300") * delivered_price(D("0.10")))


def quarter_readings(start: datetime, count: int, *, d1: str) -> None:
    position = D(1000)
    rows = [reading(start, str(position), "2000")]
    for k in range(count):
        position += D(d1)
        rows.append(reading(start + Q * (k + 1), str(position), "2000"))
    store(*rows)


def test_a_dynamic_day_of_readings_with_a_gap_is_null_until_the_prices_arrive():
    save(DYNAMIC)
    day = date(2026, 6, 10)
    midnight = datetime(2026, 6, 10, tzinfo=AMS).astimezone(UTC)
    quarters = 96
    values: list[str | None] = [str(D("0.05") + D("0.001") * i) for i in range(quarters)]
    gap = values[40:43]
    values[40:43] = [None, None, None]
    prices(midnight, values, length=Q)
    quarter_readings(midnight, quarters + 1, d1="0.100")  # into the next day, so the day is complete
    processing_run_pending()
    row = stored(day)
    assert (row.costs_missing, row.electricity1_cost, row.electricity2_cost, row.total_cost) == (
        3,
        None,
        None,
        None,
    )
    assert row.fixed_cost == D("0.25")
    prices(midnight + 40 * Q, gap, length=Q)  # the missing quarters published late
    processing_run_pending()
    row = stored(day)
    electricity = sum(D("0.100") * delivered_price(D(v)) for v in values[:40] + gap + values[43:])
    assert (row.costs_missing, row.electricity1_cost) == (0, R(electricity))
    assert row.total_cost == R(R(electricity) + D("0.25"))


def test_the_api_shows_unknown_costs_as_null_with_the_count(api_client):
    save(BANDS)
    import_day(MONDAY, hour_rows(MONDAY, d1=D("0.500")), with_hours=False)
    import_day(SATURDAY, hour_rows(SATURDAY, d1=D("0.500")), with_hours=False)
    body = api_client.get("/api/v2/statistics/day?ordering=day").json()["results"]
    monday, saturday = body
    assert (monday["day"], monday["total_cost"], monday["electricity1_cost"], monday["costs_missing"]) == (
        "2026-03-02", None, None, 1,
    )  # fmt: skip
    assert monday["gas_cost"] == str(R(24 * D("0.080") * D("0.80")))
    assert (saturday["costs_missing"], saturday["electricity1_cost"]) == (0, str(R(12 * OFF_PEAK)))
    costs = api_client.get("/api/v2/costs?from=2026-03-02&to=2026-03-07&period=day").json()["periods"]
    assert [(p["start"][:10], p["total_cost"] is None, p["missing"]) for p in costs] == [
        ("2026-03-02", True, 1),
        ("2026-03-07", False, 0),
    ]
    schema = json.loads(api_client.get("/api/v2/schema?format=json").content)
    fields = schema["components"]["schemas"]["DayStatistics"]["properties"]
    assert all(fields[name].get("nullable") for name in ("electricity1_cost", "gas_cost", "total_cost"))
    assert fields["costs_missing"]["type"] == "integer"


def test_costs_by_band_from_readings_and_imported_hours():
    save(BANDS)
    # imported Monday: 16 peak hours and 8 off-peak hours of 0.400 kWh, 0.050 kWh returned 12:00–13:00
    import_day(MONDAY, hour_rows(MONDAY, d1=D("0.400"), r1={12: D("0.050")}))
    # Tuesday from readings: 06:30–07:30 local, 0.100 kWh per quarter: two off-peak, two peak quarters
    quarter_readings(datetime(2026, 3, 3, 6, 30, tzinfo=AMS).astimezone(UTC), 4, d1="0.100")
    processing_run_pending()
    rows = costs_by_band(first=MONDAY, last=date(2026, 3, 3), now=NOW)
    peak_use = 16 * D("0.400") + 2 * D("0.100")
    off_use = 8 * D("0.400") + 2 * D("0.100")
    assert [(r.contract, r.kind, r.band, r.delivered, r.returned, r.missing) for r in rows] == [
        ("peak/off-peak", "bands", "peak", peak_use, D("0.050"), 0),
        ("peak/off-peak", "bands", "off-peak", off_use, D("0"), 0),
    ]
    assert [r.cost for r in rows] == [R(peak_use * PEAK - D("0.050") * D("0.10")), R(off_use * OFF_PEAK)]


def test_costs_by_band_fixed_registers_and_dynamic_missing():
    save({"description": "fixed", "start": "2026-01-01", "end": "2026-03-31",
          "electricity_delivered_1_price": "0.25", "electricity_delivered_2_price": "0.21"})  # fmt: skip
    save({**DYNAMIC, "start": "2026-04-01"})
    hours = hour_rows(MONDAY, d1=D("0.400"))
    hours[20] = ImportedHour(hours[20].hour_start, D("0"), D("1.000"), D("0"), D("0"), D("0"))
    import_day(MONDAY, hours)
    april = date(2026, 4, 6)
    prices(local_hours(april)[0], ["0.10"] * 10 + [None] + ["0.10"] * 13)
    import_day(april, hour_rows(april, d1=D("0.300")))
    rows = costs_by_band(first=MONDAY, last=april, now=NOW)
    assert [(r.contract, r.band, r.delivered, r.missing) for r in rows] == [
        ("fixed", "1", 23 * D("0.400"), 0),
        ("fixed", "2", D("1.000"), 0),
        ("dynamic", "", 24 * D("0.300"), 1),
    ]
    assert [r.cost for r in rows] == [R(23 * D("0.400") * D("0.25")), R(D("0.21")), None]


def test_compare_replays_imported_history_per_hour():
    """What a bands contract would have cost over imported history, next to the fixed one in force."""
    save({"description": "fixed", "start": "2026-01-01", "electricity_delivered_1_price": "0.25"})
    import_day(MONDAY, hour_rows(MONDAY, d1=D("0.400"), gas=ZERO))
    import_day(SATURDAY, hour_rows(SATURDAY, d1=D("0.400"), gas=ZERO), with_hours=False)
    bands = compare_tariff({key: value for key, value in BANDS.items() if key != "start"}, number=1)
    comparison = contracts_compare(first=MONDAY, last=SATURDAY, tariffs=[bands], now=NOW)
    in_force, replay = (c.total for c in comparison.contracts)
    assert (in_force.total_cost, in_force.missing) == (R(48 * D("0.400") * D("0.25")), 0)
    # Monday per hour: 16 peak, 8 off-peak hours; Saturday without hours, off-peak all day; 0.50 a day
    electricity = 16 * D("0.400") * PEAK + 8 * D("0.400") * OFF_PEAK + 24 * D("0.400") * OFF_PEAK
    assert (replay.electricity_cost, replay.missing) == (R(electricity), 0)
    assert replay.total_cost == R(R(electricity) + 2 * D("0.50"))


def test_imported_gas_under_a_dynamic_gas_formula_is_priced_per_hour_by_its_gas_day():
    gas_term = {"gas": {"markup": "0.05", "tax": "0.60", "vat_percent": "21"}}
    save({**DYNAMIC, "terms": {**DYNAMIC["terms"], **gas_term}})
    six = datetime(2026, 3, 1, 6, tzinfo=AMS).astimezone(UTC)  # gas days run 06:00–06:00 local
    day = timedelta(days=1)
    market_prices_store(
        periods=[
            PricePeriod(Commodity.GAS, six, six + day, D("0.40")),
            PricePeriod(Commodity.GAS, six + day, six + 2 * day, D("0.50")),
            PricePeriod(Commodity.GAS, six + 2 * day, six + 3 * day, D("0.55")),
        ],
        source="test",
    )
    prices(local_hours(MONDAY)[0], ["0.10"] * 24)  # one electricity price all day
    import_day(MONDAY, hour_rows(MONDAY, d1=D("0.300")))

    def gas_price(market: Decimal) -> Decimal:
        return (market + D("0.05") + D("0.60")) * D("1.21")

    gas = 6 * D("0.080") * gas_price(D("0.40")) + 18 * D("0.080") * gas_price(D("0.50"))
    row = stored(MONDAY)
    assert (row.costs_missing, row.gas_cost) == (0, R(gas))
    # without hours Tuesday's gas spans two gas days (0.50, 0.55): unknown; its electricity has one price
    tuesday = MONDAY + day
    prices(local_hours(tuesday)[0], ["0.10"] * 24)
    import_day(tuesday, hour_rows(tuesday, d1=D("0.300")), with_hours=False)
    row = stored(tuesday)
    assert (row.costs_missing, row.gas_cost, row.total_cost) == (1, None, None)
    assert row.electricity1_cost == R(24 * D("0.300") * delivered_price(D("0.10")))


def test_a_capacity_tariff_month_of_imported_history_has_its_capacity_cost_missing():
    save({"description": "Fluvius", "start": "2026-01-01", "electricity_delivered_1_price": "0.30",
          "capacity_price": "53.2560"})  # fmt: skip
    import_day(MONDAY, hour_rows(MONDAY, d1=D("0.400"), gas=ZERO))  # no quarters: March's peak is unknown
    (month,) = costs_for_range(first=MONDAY, last=MONDAY, period="month", now=NOW)
    assert (month.capacity_cost, month.total_cost, month.missing) == (None, None, 1)
    assert month.electricity_cost == R(24 * D("0.400") * D("0.30"))
    # the day itself has no capacity part: known
    assert (stored(MONDAY).costs_missing, stored(MONDAY).total_cost) == (0, R(24 * D("0.400") * D("0.30")))
