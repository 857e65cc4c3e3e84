"""GET /api/v2/consumption/quarter-hour-peak-electricity: DSMR-reader v5's fields, filters, ordering and
paging, on processing's quarter statistics (``processing.quarters.quarter_peaks``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from dsmrhub.processing.services import processing_run_pending
from tests.processing.builders import reading, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/api/v2/consumption/quarter-hour-peak-electricity"
START = utc(2026, 3, 2, 10)
QUARTERS = 8  # 10:00Z … 11:45Z complete; readings go on into the running quarter 12:00–12:15
NOW = START + timedelta(hours=2, minutes=5)
# Wh per minute in each quarter (tariff 1 in even quarters, tariff 2 in odd ones); quarters 2 and 5 tie
WH_PER_MINUTE = [10, 25, 40, 5, 60, 40, 15, 30, 50]


def quarter_of(moment: datetime) -> int:
    return int((moment - START).total_seconds()) // 900


@pytest.fixture
def quarters():
    rows, moment, d1, d2 = [], START, 1000_000, 2000_000  # positions in Wh
    while moment <= NOW:
        rows.append(reading(moment, D(d1).scaleb(-3), D(d2).scaleb(-3)))
        q = quarter_of(moment)
        if q % 2:
            d2 += WH_PER_MINUTE[q]
        else:
            d1 += WH_PER_MINUTE[q]
        moment += timedelta(minutes=1)
    store(*rows)
    with time_machine.travel(NOW, tick=False):
        processing_run_pending()


def expected(q: int) -> dict:
    start = START + timedelta(minutes=15 * q)
    kwh = D(WH_PER_MINUTE[q] * 15).scaleb(-3)  # the quarter's delivered energy
    return {
        "id": int(start.timestamp()),
        "read_at_start": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "read_at_end": f"{start + timedelta(minutes=15):%Y-%m-%dT%H:%M:%SZ}",
        "average_delivered": str((kwh * 4).quantize(D("0.001"))),  # kW
    }


def get(api_client, **params) -> dict:
    response = api_client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_every_complete_quarter_with_its_average(api_client, quarters):
    body = get(api_client, limit=100)
    assert body["count"] == QUARTERS and body["previous"] is None and body["next"] is None
    assert body["results"] == [expected(q) for q in range(QUARTERS)]


def test_default_paging_like_the_other_lists(api_client, quarters):
    body = get(api_client, limit=3, offset=3)
    assert body["count"] == QUARTERS
    assert body["results"] == [expected(q) for q in (3, 4, 5)]
    assert (
        "offset=6" in body["next"] and "offset=0" in body["previous"] or body["previous"].endswith("limit=3")
    )


def test_start_filters(api_client, quarters):
    body = get(
        api_client, read_at_start__gte="2026-03-02T10:30:00Z", read_at_start__lte="2026-03-02T11:00:00Z"
    )
    assert body["results"] == [expected(q) for q in (2, 3, 4)]
    # v5's documented form: "Y-m-d HH:MM:SS" in the local zone (11:30 Amsterdam = 10:30Z)
    local = get(
        api_client, read_at_start__gte="2026-03-02 11:30:00", read_at_start__lte="2026-03-02 11:30:00"
    )
    assert local["results"] == [expected(2)]
    # a bound between quarter starts: the quarters that start inside the range
    assert get(api_client, read_at_start__gte="2026-03-02T10:30:00.5Z")["results"][0] == expected(3)


def test_average_filters_and_ordering(api_client, quarters):
    averages = {q: D(expected(q)["average_delivered"]) for q in range(QUARTERS)}
    body = get(api_client, average_delivered__gte="2.4", ordering="-average_delivered")
    assert [r["average_delivered"] for r in body["results"]] == sorted(
        (str(a) for a in averages.values() if a >= D("2.4")), key=D, reverse=True
    )
    at_most = get(api_client, average_delivered__lte="1.5")["results"]
    assert [r["id"] for r in at_most] == [
        expected(q)["id"] for q in range(QUARTERS) if averages[q] <= D("1.5")
    ]
    # a finer bound than the 3 decimals kept rounds inwards: 2.4001 excludes 2.400
    finer = get(api_client, average_delivered__gte="2.4001")["results"]
    assert all(D(r["average_delivered"]) > D("2.4") for r in finer)
    assert len(finer) == sum(1 for a in averages.values() if a > D("2.4"))


def test_ties_page_in_one_order(api_client, quarters):
    """Quarters 2 and 5 have the same average: paging one by one returns every quarter exactly once."""
    assert expected(2)["average_delivered"] == expected(5)["average_delivered"]
    for ordering in ("average_delivered", "-average_delivered"):
        seen = [
            get(api_client, ordering=ordering, limit=1, offset=i)["results"][0]["id"] for i in range(QUARTERS)
        ]
        assert sorted(seen) == sorted(expected(q)["id"] for q in range(QUARTERS))
    peak = get(api_client, ordering="-average_delivered", limit=1)["results"]
    assert peak == [expected(WH_PER_MINUTE.index(max(WH_PER_MINUTE[:QUARTERS])))]


@pytest.mark.parametrize(
    "query",
    [
        "ordering=delivered_1",
        "ordering=read_at",
        "read_at_start__gte=yesterday",
        "average_delivered__gte=much",
        "average_delivered__lte=1e30",  # found by schemathesis: was a 500
        "average_delivered__gte=NaN",
        "read_at_start=2026-03-02T10:00:00Z",  # v5 has no exact form here
        "read_at__gte=2026-03-02T10:00:00Z",
        "limit=0",
    ],
)
def test_bad_or_unknown_parameters_are_400(api_client, quarters, query):
    response = api_client.get(f"{URL}?{query}")
    assert response.status_code == 400, response.content
    assert response.json()


def test_no_readings_no_quarters(api_client):
    assert get(api_client) == {"count": 0, "next": None, "previous": None, "results": []}


def test_in_the_schema(client):
    schema = client.get("/api/v2/schema", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "read_at_start__gte",
        "read_at_start__lte",
        "average_delivered__gte",
        "average_delivered__lte",
        "ordering",
        "limit",
        "offset",
    }
    assert set(schema["components"]["schemas"]["QuarterPeak"]["properties"]) == {
        "id",
        "read_at_start",
        "read_at_end",
        "average_delivered",
    }
