"""API v2 where DSMR-reader v5 clients depend on it (issue 14, section 2): exact filters, unknown query
parameters, monitoring's shape, today's and live's v5 keys, the types v5 clients parse, imported history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine

from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.history import ImportedDay, ImportedHour, statistics_import
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import DsmrReading, MeterStatistics
from dsmrhub.readings.services import reading_ingest_telegram
from tests.conftest import CORPUS
from tests.helpers import demo_telegrams
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
NOW = utc(2026, 3, 3, 10, 30)  # 11:30 in Amsterdam
READINGS = "/api/v2/datalogger/dsmrreading"


@pytest.fixture
def processed():
    store(*steady_stream(utc(2026, 3, 1, 23), NOW, step=timedelta(minutes=1)))
    processing_run_pending()


def get(api_client, url: str, params: dict | None = None) -> dict:
    response = api_client.get(url, params or {})
    assert response.status_code == 200, response.content
    return response.json()


# --- exact filters (v5 still accepts them; they must filter, not be ignored) --------------------------


def test_readings_timestamp_exact_filters_and_counts(api_client):
    store(*(reading(utc(2026, 3, 2, 11, 0, s), "1") for s in range(0, 60, 10)))  # 6 readings
    body = get(api_client, READINGS, {"timestamp": "2026-03-02T11:00:20Z"})
    assert body["count"] == 1
    assert [r["timestamp"] for r in body["results"]] == ["2026-03-02T11:00:20Z"]
    # v5's documented form: "Y-m-d HH:MM:SS" in the local zone (Amsterdam, UTC+1 in March)
    local = get(api_client, READINGS, {"timestamp": "2026-03-02 12:00:40"})
    assert [r["timestamp"] for r in local["results"]] == ["2026-03-02T11:00:40Z"] and local["count"] == 1
    # no reading at that moment: nothing, not everything
    assert get(api_client, READINGS, {"timestamp": "2026-03-02T11:00:05Z"}) == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    # readings are whole seconds: a moment with sub-seconds is none of them (rows and count agree)
    fraction = get(api_client, READINGS, {"timestamp": "2026-03-02T11:00:20.5Z"})
    assert (fraction["count"], fraction["results"]) == (0, [])
    # combined with a bound that excludes it
    assert (
        get(
            api_client,
            READINGS,
            {"timestamp": "2026-03-02T11:00:20Z", "timestamp__gte": "2026-03-02T11:00:30Z"},
        )["count"]
        == 0
    )


def test_readings_lower_bound_with_sub_seconds_starts_at_the_next_second(api_client):
    store(*(reading(utc(2026, 3, 2, 11, 0, s), "1") for s in range(0, 60, 10)))
    body = get(api_client, READINGS, {"timestamp__gte": "2026-03-02T11:00:20.25Z"})
    assert [r["timestamp"][-3:] for r in body["results"]] == ["30Z", "40Z", "50Z"] and body["count"] == 3


def test_delete_one_reading_by_its_exact_timestamp(api_client):
    store(*(reading(utc(2026, 3, 2, 11, 0, s), "1") for s in range(0, 60, 10)))
    response = api_client.delete(f"{READINGS}?timestamp=2026-03-02T11:00:10Z")
    assert response.status_code == 200, response.content
    assert response.json() == {"deleted": 1}
    assert DsmrReading.objects.count() == 5
    assert api_client.delete(f"{READINGS}?timestamp=2026-03-02T11:00:20.5Z").json() == {"deleted": 0}
    assert DsmrReading.objects.count() == 5


def test_processed_data_exact_filters(api_client, processed):
    electricity = get(api_client, "/api/v2/consumption/electricity", {"read_at": "2026-03-02T11:05:00Z"})
    assert electricity["count"] == 1 and electricity["results"][0]["read_at"] == "2026-03-02T11:05:00Z"
    gas = get(api_client, "/api/v2/consumption/gas", {"read_at": "2026-03-02 12:00:00"})  # local = 11:00Z
    assert [g["read_at"] for g in gas["results"]] == ["2026-03-02T11:00:00Z"]
    hours = get(api_client, "/api/v2/statistics/hour", {"hour_start": "2026-03-02T05:00:00Z"})
    assert [h["hour_start"] for h in hours["results"]] == ["2026-03-02T05:00:00Z"]
    assert hours["results"][0]["electricity1"] == "1.800"  # 1 h × 1.8 kW
    days = get(api_client, "/api/v2/statistics/day", {"day": "2026-03-02"})
    assert [d["day"] for d in days["results"]] == ["2026-03-02"] and days["count"] == 1
    assert get(api_client, "/api/v2/statistics/day", {"day": "2026-02-27"})["count"] == 0
    assert get(api_client, "/api/v2/statistics/hour", {"hour_start": "2026-03-02T05:30:00Z"})["count"] == 0
    assert api_client.get("/api/v2/statistics/day?day=yesterday").status_code == 400


def test_contract_end_filters_treat_an_open_end_as_later_than_any_day(api_client):
    contract_save(description="old", start=date(2025, 1, 1), end=date(2025, 12, 31), prices={})
    contract_save(description="new", start=date(2026, 1, 1), prices={})
    url = "/api/v2/consumption/energy-supplier-prices"

    def descriptions(params: dict) -> list[str]:
        return [c["description"] for c in get(api_client, url, params)["results"]]

    # v5's example "contracts active today"
    assert descriptions({"start__lte": "2026-06-15", "end__gte": "2026-06-15"}) == ["new"]
    assert descriptions({"start__lte": "2025-06-15", "end__gte": "2025-06-15"}) == ["old"]
    assert descriptions({"end__lte": "2099-12-31"}) == ["old"]
    assert descriptions({"ordering": "-start"}) == ["new", "old"]


# --- unknown query parameters: a 400 that names the known ones ------------------------------------------

LISTS = {
    READINGS: {"timestamp", "timestamp__gte", "timestamp__lte"},
    "/api/v2/consumption/electricity": {"read_at", "read_at__gte", "read_at__lte"},
    "/api/v2/consumption/gas": {"read_at", "read_at__gte", "read_at__lte"},
    "/api/v2/statistics/hour": {"hour_start", "hour_start__gte", "hour_start__lte"},
    "/api/v2/statistics/day": {"day", "day__gte", "day__lte"},
    "/api/v2/consumption/energy-supplier-prices": {"start__gte", "start__lte", "end__gte", "end__lte"},
    "/api/v2/consumption/quarter-hour-peak-electricity": {
        "read_at_start__gte",
        "read_at_start__lte",
        "average_delivered__gte",
        "average_delivered__lte",
    },
}
SINGLES = [
    "/api/v2/consumption/today",
    "/api/v2/consumption/electricity-live",
    "/api/v2/consumption/gas-live",
    "/api/v2/application/version",
    "/api/v2/application/status",
    "/api/v2/application/monitoring",
    "/api/v2/datalogger/meter-statistics",
]


@pytest.mark.parametrize(("url", "filters"), LISTS.items())
def test_unknown_parameter_on_a_list_is_a_400_naming_the_known_ones(api_client, url, filters):
    for typo in ("day_gte", "timestamp__gt", "foo", "LIMIT"):
        if typo in filters:
            continue
        response = api_client.get(url, {typo: "1"})
        assert response.status_code == 400, (url, typo, response.content)
        body = response.json()
        assert body["unknown"] == [typo]
        assert set(body["allowed"]) == filters | {"ordering", "limit", "offset", "format"}
        assert typo in body["detail"] and all(name in body["detail"] for name in filters)
    # every known one is accepted (empty values are no filter), as is DRF's ?format=json
    known = {name: "" for name in filters | {"ordering", "limit", "offset"}}
    assert api_client.get(url, {**known, "format": "json"}).status_code == 200


@pytest.mark.parametrize("url", SINGLES)
def test_single_object_endpoints_know_only_format(api_client, url):
    response = api_client.get(url, {"limit": "1"})
    assert response.status_code == 400, response.content
    assert response.json()["allowed"] == ["format"]
    assert api_client.get(url, {"format": "json"}).status_code != 400


def v2_routes(patterns=None, prefix: str = "") -> list[tuple[str, object]]:
    """(path, pattern) of every API route without path parameters, included modules walked."""
    from django.urls import URLPattern, URLResolver

    from dsmrhub.api.urls import urlpatterns

    routes = []
    for pattern in urlpatterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += v2_routes(pattern.url_patterns, route)
        elif (
            isinstance(pattern, URLPattern)
            and route.startswith("v2/")
            and "<" not in route
            and "(" not in route
        ):
            routes.append((route, pattern))
    return routes


def test_every_v2_endpoint_checks_its_query_parameters(api_client):
    """A new endpoint cannot forget the check: every GET route of API v2 refuses an unknown parameter."""
    routes = [route for route, _ in v2_routes() if route != "v2/schema"]
    assert len(routes) >= 15 and "v2/consumption/quarter-hour-peak-electricity" in routes
    answers = {route: api_client.get(f"/api/{route}?zz_unknown=1").status_code for route in routes}
    assert answers == dict.fromkeys(routes, 400)


def test_delete_knows_its_bounds_only(api_client):
    store(reading(utc(2026, 3, 2, 11), "1"))
    response = api_client.delete(f"{READINGS}?timestamp__lte=2026-03-03T00:00:00Z&limit=1")
    assert response.status_code == 400 and response.json()["unknown"] == ["limit"]
    assert DsmrReading.objects.count() == 1  # nothing deleted
    assert api_client.post(f"{READINGS}?timestamp=x", {}).status_code == 400


def test_a_missing_key_is_a_401_before_an_unknown_parameter(client, api_key):
    assert client.get("/api/v2/statistics/day?foo=1").status_code == 401


# --- application/monitoring in v5's shape -----------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_monitoring_v5_shape_with_problems(api_client):
    body = get(api_client, "/api/v2/application/monitoring")
    assert body == {
        "problems": 1,
        "details": [
            {
                "source": "dsmrhub.processing",
                "description": "No readings have been stored yet.",
                "since": None,
            }
        ],
        "healthy": False,
    }
    store(reading(NOW - timedelta(minutes=10), "1"))
    processing_run_pending()
    details = get(api_client, "/api/v2/application/monitoring")["details"]
    stale = [d for d in details if d["description"].startswith("No new reading for 10 minutes")]
    assert stale == [
        {
            "source": "dsmrhub.processing",
            "description": stale[0]["description"],
            "since": "2026-03-03T10:20:00Z",  # the latest reading
        }
    ]
    assert {d["source"] for d in details} == {"dsmrhub.processing"}
    assert all(set(d) == {"source", "description", "since"} for d in details)


@time_machine.travel(NOW, tick=False)
def test_monitoring_without_problems(api_client, processed):
    contract_save(description="2026", start=date(2026, 1, 1), prices={})
    assert get(api_client, "/api/v2/application/monitoring") == {
        "problems": 0,
        "details": [],
        "healthy": True,
    }


# --- consumption/today and electricity-live carry v5's keys ---------------------------------------


PRICES = {
    "electricity_delivered_1_price": D("0.251234"),
    "electricity_delivered_2_price": D("0.204321"),
    "electricity_returned_1_price": D("0.070000"),
    "electricity_returned_2_price": D("0.080000"),
    "gas_price": D("1.123456"),
    "fixed_daily_cost": D("0.246912"),
}


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@time_machine.travel(NOW, tick=False)
def test_today_has_merged_totals_fixed_cost_and_prices_in_force(api_client):
    start = utc(2026, 3, 2, 23)  # local midnight
    # tariff 1 delivered 0.900 kWh/h and returned 0.100 kWh/h before 06:00Z, tariff 2 delivered after
    rows, moment = [], start
    d1 = r1 = d2 = D(0)
    while moment <= NOW:
        rows.append(reading(moment, D(1000) + d1, D(2000) + d2, r1=D(5) + r1, power="0.9"))
        if moment < utc(2026, 3, 3, 6):
            d1, r1 = d1 + D("0.015"), r1 + D("0.001")  # per minute: 0.9 and 0.06 kWh/h
        else:
            d2 += D("0.020")  # 1.2 kWh/h
        moment += timedelta(minutes=1)
    store(*rows)
    processing_run_pending()
    contract_save(description="2026", start=date(2026, 1, 1), prices=PRICES)
    today = get(api_client, "/api/v2/consumption/today")
    e1, r1_today, e2 = d1, r1, d2 - D("0.020")  # the last tariff 2 step comes after the last reading
    e1_cost = cents(
        e1 * PRICES["electricity_delivered_1_price"] - r1_today * PRICES["electricity_returned_1_price"]
    )
    e2_cost = cents(e2 * PRICES["electricity_delivered_2_price"])
    assert today["electricity1"] == float(e1) and today["electricity2"] == float(e2)
    assert today["electricity_merged"] == float(e1 + e2)
    assert today["electricity1_returned"] == float(r1_today) and today["electricity2_returned"] == 0.0
    assert today["electricity_returned_merged"] == float(r1_today)
    assert today["electricity1_cost"] == float(e1_cost) and today["electricity2_cost"] == float(e2_cost)
    assert today["electricity_cost_merged"] == float(e1_cost + e2_cost)
    assert today["fixed_cost"] == float(cents(PRICES["fixed_daily_cost"])) == 0.25  # two decimals
    assert today["total_cost"] == float(
        cents(e1_cost + e2_cost + today_gas_cost(today) + PRICES["fixed_daily_cost"])
    )
    assert {key: today[f"energy_supplier_price_{key.removesuffix('_price')}"] for key in PRICES} == {
        key: float(price) for key, price in PRICES.items()
    }


def today_gas_cost(today: dict) -> Decimal:
    return Decimal(str(today["gas_cost"]))


@time_machine.travel(NOW, tick=False)
def test_today_without_contract_has_zero_prices(api_client, processed):
    today = get(api_client, "/api/v2/consumption/today")
    assert today["fixed_cost"] == 0.0
    assert all(today[f"energy_supplier_price_{key.removesuffix('_price')}"] == 0.0 for key in PRICES)
    assert today["electricity_merged"] == today["electricity1"] + today["electricity2"]


@time_machine.travel(NOW, tick=False)  # a Tuesday, 11:30 in Amsterdam: the peak band
def test_today_prices_in_force_of_a_time_of_use_contract(api_client, processed):
    from dsmrhub.prices.services import contract_spec_parse

    spec = contract_spec_parse(
        {
            "description": "Peak and off-peak",
            "start": "2026-01-01",
            "kind": "bands",
            "gas_price": "1.25",
            "fixed_daily_cost": "0.5",
            "bands": [
                {"name": "peak", "delivered": "0.30", "returned": "0.10", "periods": [PEAK_HOURS]},
                {
                    "name": "off-peak",
                    "delivered": "0.20",
                    "returned": "0.05",
                    "periods": [
                        {"days": "mon-fri", "hours": "23:00-07:00"},
                        {"days": "sat-sun", "hours": "00:00-24:00"},
                    ],
                },
            ],
        }
    )
    contract_save(
        description=spec.description, start=spec.start, prices=spec.prices, kind=spec.kind, bands=spec.bands
    )
    today = get(api_client, "/api/v2/consumption/today")
    prices = {key: value for key, value in today.items() if key.startswith("energy_supplier_price_")}
    assert prices == {
        "energy_supplier_price_electricity_delivered_1": 0.30,
        "energy_supplier_price_electricity_delivered_2": 0.30,
        "energy_supplier_price_electricity_returned_1": 0.10,
        "energy_supplier_price_electricity_returned_2": 0.10,
        "energy_supplier_price_gas": 1.25,
        "energy_supplier_price_fixed_daily_cost": 0.5,
    }
    assert today["fixed_cost"] == 0.5


PEAK_HOURS = {"days": "mon-fri", "hours": "07:00-23:00"}


def telegram_tariff(telegram: str) -> int:
    line = next(line for line in telegram.splitlines() if line.startswith("0-0:96.14.0("))
    return int(line[len("0-0:96.14.0(") : -1])


def test_live_tariff_name_of_a_dutch_meter(api_client):
    for _, telegram in demo_telegrams(2):
        reading_ingest_telegram(telegram=telegram)
    expected = {1: "low", 2: "normal"}[telegram_tariff(telegram)]
    assert get(api_client, "/api/v2/consumption/electricity-live")["tariff_name"] == expected


@pytest.mark.skipif(not (CORPUS / "dsmrreader-fluvius-3phase-1.txt").exists(), reason="corpus missing")
def test_live_tariff_name_of_a_belgian_meter(api_client):
    telegram = (CORPUS / "dsmrreader-fluvius-3phase-1.txt").read_bytes().decode("latin-1")
    reading_ingest_telegram(telegram=telegram)
    # Belgium: tariff 1 is the day tariff, 2 the night tariff
    expected = {1: "day", 2: "night"}[telegram_tariff(telegram)]
    assert get(api_client, "/api/v2/consumption/electricity-live")["tariff_name"] == expected == "night"


def test_live_tariff_name_is_null_when_the_tariff_is_unknown(api_client):
    store(reading(utc(2026, 3, 2, 11), "1"))
    assert get(api_client, "/api/v2/consumption/electricity-live")["tariff_name"] is None
    MeterStatistics.store(timestamp=utc(2026, 3, 2, 11), electricity_tariff=2)
    assert get(api_client, "/api/v2/consumption/electricity-live")["tariff_name"] == "normal"


# --- types as v5 clients parse them ---------------------------------------------------------------


CURRENTS = {
    "phase_power_current_l1": "2.500",
    "phase_power_current_l2": "1.499",
    "phase_power_current_l3": "0",
}


def whole_amps(text: str) -> int:
    return int(D(text).quantize(D(1), rounding=ROUND_HALF_UP))


def test_phase_currents_are_integers_in_readings_and_consumption(api_client):
    moment = utc(2026, 3, 2, 11, 0, 0)
    response = api_client.post(
        READINGS,
        {
            "timestamp": moment.isoformat(),
            "electricity_currently_delivered": "1.5",
            "electricity_currently_returned": "0",
            "electricity_delivered_1": "2000",
            "electricity_delivered_2": "3000",
            "electricity_returned_1": "0",
            "electricity_returned_2": "0",
            **CURRENTS,
        },
    )
    assert response.status_code == 201, response.content
    expected = {name: whole_amps(value) for name, value in CURRENTS.items()}
    assert {name: response.json()[name] for name in CURRENTS} == expected
    listed = get(api_client, READINGS)["results"][0]
    assert {name: listed[name] for name in CURRENTS} == expected
    assert all(type(listed[name]) is int for name in CURRENTS)
    assert DsmrReading.objects.get().phase_power_current_l1 == D("2.500")  # stored as sent
    processing_run_pending()
    minute = get(api_client, "/api/v2/consumption/electricity")["results"][0]
    assert {name: minute[name] for name in CURRENTS} == expected


def test_phase_currents_absent_stay_null(api_client):
    store(reading(utc(2026, 3, 2, 11), "1"))
    body = get(api_client, READINGS)["results"][0]
    assert [body[name] for name in CURRENTS] == [None, None, None]


@time_machine.travel(NOW, tick=False)
def test_day_statistics_money_has_two_decimals(api_client, processed):
    contract_save(description="2026", start=date(2026, 1, 1), prices=PRICES)
    day = get(api_client, "/api/v2/statistics/day", {"day": "2026-03-02"})["results"][0]
    assert day["fixed_cost"] == str(cents(PRICES["fixed_daily_cost"])) == "0.25"
    for name in ("electricity1_cost", "electricity2_cost", "gas_cost", "fixed_cost", "total_cost"):
        assert len(day[name].split(".")[1]) == 2, (name, day[name])
    # the total adds the unrounded fixed cost, once (as DSMR-reader does)
    e1_cost = cents(D(day["electricity1"]) * PRICES["electricity_delivered_1_price"])
    gas_cost = cents(D(day["gas"]) * PRICES["gas_price"])
    assert D(day["total_cost"]) == cents(e1_cost + gas_cost + PRICES["fixed_daily_cost"])


# --- imported history -----------------------------------------------------------------------------


def test_imported_statistics_are_marked(api_client, processed):
    zero = D("0.000")
    statistics_import(
        days=[
            ImportedDay(
                day=date(2026, 2, 1),
                electricity1=D("3.000"),
                electricity2=D("4.000"),
                electricity1_returned=zero,
                electricity2_returned=zero,
                gas=D("1.500"),
                electricity1_reading=D("900.000"),
                electricity2_reading=D("800.000"),
                electricity1_returned_reading=zero,
                electricity2_returned_reading=zero,
            )
        ],
        hours=[
            ImportedHour(
                hour_start=datetime(2026, 2, 1, 11, tzinfo=UTC),
                electricity1=D("0.300"),
                electricity2=zero,
                electricity1_returned=zero,
                electricity2_returned=zero,
            )
        ],
    )
    days = get(api_client, "/api/v2/statistics/day", {"day__lte": "2026-03-02"})["results"]
    assert (days[0]["day"], days[0]["imported"], days[0]["electricity2"]) == ("2026-02-01", True, "4.000")
    assert [d["imported"] for d in days[1:]] == [False] * (len(days) - 1) and days[-1]["day"] == "2026-03-02"
    hours = get(api_client, "/api/v2/statistics/hour", {"hour_start": "2026-02-01T11:00:00Z"})["results"]
    assert [(h["electricity1"], h["imported"]) for h in hours] == [("0.300", True)]
