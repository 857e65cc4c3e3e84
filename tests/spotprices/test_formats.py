"""Parsing our CSV, ENTSO-E's day-ahead XML and EnergyZero's JSON into price periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.spotprices.formats import (
    prices_parse_csv,
    prices_parse_energyzero,
    prices_parse_entsoe,
    prices_parse_file,
)
from dsmrhub.spotprices.services import PriceInputError, PricePeriod
from tests.spotprices.conftest import FIXTURES

D = Decimal
Q = timedelta(minutes=15)
H = timedelta(hours=1)


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# ------------------------------------------------------------------------------------------------- CSV


def test_csv_with_offsets_units_and_currency():
    text = (
        "start,end,commodity,price,unit,currency\n"
        "2026-10-25T02:00+02:00,2026-10-25T02:15+02:00,electricity_delivered,87.431,MWh,EUR\n"
        "2026-10-25T02:00+01:00,2026-10-25T02:15+01:00,electricity_returned,-0.0125,kWh,\n"
        "2026-10-25T06:00+01:00,2026-10-26T06:00+01:00,gas,0.4823,m3,eur\n"
    )
    assert prices_parse_csv(text) == [
        # the first 02:00 of the 25-hour day is 00:00 UTC, the second 01:00 UTC
        PricePeriod("electricity_delivered", utc(10, 25, 0), utc(10, 25, 0) + Q, D("87.431") / 1000),
        PricePeriod("electricity_returned", utc(10, 25, 1), utc(10, 25, 1) + Q, D("-0.0125")),
        PricePeriod("gas", utc(10, 25, 5), utc(10, 26, 5), D("0.4823")),
    ]
    assert D("87.431") / 1000 == D("0.087431")  # exact: Decimal division by a power of ten


def test_csv_minimal_header_any_order():
    periods = prices_parse_csv("price,commodity,end,start\n0.25,gas,2026-01-02T00:00Z,2026-01-01T00:00Z\n")
    assert periods == [
        PricePeriod("gas", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), D("0.25"))
    ]


ROW = "2026-01-01T00:00+01:00,2026-01-01T01:00+01:00"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty CSV"),
        ("start,end,commodity,cost\n", "line 1: unknown column 'cost'"),
        ("start,end,commodity\n", "line 1: missing column 'price'"),
        ("start,end,commodity,price\n", "no prices"),
        (f"start,end,commodity,price\n{ROW},water,0.1\n", "line 2: unknown commodity 'water'"),
        (
            f"start,end,commodity,price,unit\n{ROW},electricity_delivered,0.1,GJ\n",
            "line 2: unknown unit 'GJ'",
        ),
        (f"start,end,commodity,price,unit\n{ROW},gas,0.1,kWh\n", "unit 'kWh' does not fit gas"),
        (f"start,end,commodity,price,currency\n{ROW},gas,0.1,USD\n", "currency 'USD' is not supported"),
        (f"start,end,commodity,price\n{ROW},gas,ten\n", "price 'ten' is not a number"),
        (f"start,end,commodity,price\n{ROW},gas,0.1,extra\n", "line 2: 5 fields, the header has 4"),
        ("start,end,commodity,price\n2026-01-01T00:00,2026-01-01T01:00,gas,0.1\n", "has no UTC offset"),
        ("start,end,commodity,price\nyesterday,2026-01-01T01:00Z,gas,0.1\n", "not an ISO 8601 time"),
        ("start,end,commodity,price\n2026-01-01T01:00Z,2026-01-01T01:00Z,gas,0.1\n", "is not after start"),
    ],
)
def test_csv_errors_are_one_line(text, says):
    with pytest.raises(PriceInputError, match=says) as error:
        prices_parse_csv(text)
    assert "\n" not in str(error.value)


# --------------------------------------------------------------------------------------------- ENTSO-E

NS = "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3"


def entsoe(*series: str, kind: str = "A44", ns: str = NS, root: str = "Publication_MarketDocument") -> str:
    return f'<?xml version="1.0"?><{root} xmlns="{ns}"><type>{kind}</type>{"".join(series)}</{root}>'


def timeseries(start: str, end: str, resolution: str, points: dict[int, str], *, curve: str = "A01",
               currency: str = "EUR", unit: str = "MWH") -> str:  # fmt: skip
    body = "".join(
        f"<Point><position>{pos}</position><price.amount>{price}</price.amount></Point>"
        for pos, price in points.items()
    )
    return (
        f"<TimeSeries><currency_Unit.name>{currency}</currency_Unit.name>"
        f"<price_Measure_Unit.name>{unit}</price_Measure_Unit.name><curveType>{curve}</curveType>"
        f"<Period><timeInterval><start>{start}</start><end>{end}</end></timeInterval>"
        f"<resolution>{resolution}</resolution>{body}</Period></TimeSeries>"
    )


def hour(resolution: str, points: dict[int, str], **options: str) -> str:
    """A time series for the hour 2026-01-01T23:00Z – 2026-01-02T00:00Z."""
    return timeseries("2026-01-01T23:00Z", "2026-01-02T00:00Z", resolution, points, **options)


def delivered(periods: list[PricePeriod]) -> list[tuple[datetime, datetime, Decimal]]:
    assert [p for p in periods if p.commodity == "electricity_returned"] == [
        PricePeriod("electricity_returned", p.start, p.end, p.price)
        for p in periods
        if p.commodity == "electricity_delivered"
    ]  # the market price holds both ways
    return [(p.start, p.end, p.price) for p in periods if p.commodity == "electricity_delivered"]


def test_entsoe_fixture_a03_quarter_hours_on_a_23_hour_day():
    periods = delivered(
        prices_parse_entsoe((FIXTURES / "entsoe_a44_nl_2026-03-29_pt15m_a03.xml").read_bytes())
    )
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)  # local midnight of 2026-03-29 (CET); the day has 23 hours
    assert len(periods) == 23 * 4
    assert [p[0] for p in periods] == [start + n * Q for n in range(92)]
    assert all(end - begin == Q for begin, end, _ in periods)
    price = {n + 1: p[2] for n, p in enumerate(periods)}  # by position
    # positions 1 and 5 are listed (92.15, 86.60); 2–4 are left out and repeat position 1
    assert [price[n] for n in (1, 2, 3, 4, 5)] == [D("0.09215")] * 4 + [D("0.0866")]
    # positions 9 (83.22) and 13 (83.77) are listed, 10–12 and 14–16 left out
    assert [price[n] for n in range(9, 17)] == [D("0.08322")] * 4 + [D("0.08377")] * 4
    assert price[49] == price[52] == D("-0.01275")  # noon, hour 13 local: a negative price
    assert price[92] == D("97.44") / 1000  # the last position is listed


def test_entsoe_a01_lists_every_position_and_a_gap_is_an_error():
    ok = entsoe(timeseries("2026-01-01T23:00Z", "2026-01-02T01:00Z", "PT60M", {1: "10.5", 2: "-1.25"}))
    assert delivered(prices_parse_entsoe(ok)) == [
        (datetime(2026, 1, 1, 23, tzinfo=UTC), datetime(2026, 1, 2, 0, tzinfo=UTC), D("0.0105")),
        (datetime(2026, 1, 2, 0, tzinfo=UTC), datetime(2026, 1, 2, 1, tzinfo=UTC), D("-0.00125")),
    ]
    gap = entsoe(timeseries("2026-01-01T23:00Z", "2026-01-02T02:00Z", "PT60M", {1: "10.5", 3: "11"}))
    with pytest.raises(PriceInputError, match="position 2 is missing"):
        prices_parse_entsoe(gap)
    filled = entsoe(
        timeseries("2026-01-01T23:00Z", "2026-01-02T02:00Z", "PT60M", {1: "10.5", 3: "11"}, curve="A03")
    )
    assert [p[2] for p in delivered(prices_parse_entsoe(filled))] == [D("0.0105"), D("0.0105"), D("0.011")]


def test_entsoe_finest_resolution_wins_where_series_overlap():
    hourly = timeseries("2026-01-01T23:00Z", "2026-01-02T01:00Z", "PT60M", {1: "40", 2: "80"})
    quarter = timeseries(
        "2026-01-01T23:00Z", "2026-01-02T00:00Z", "PT15M", {1: "10", 2: "20", 3: "30", 4: "40"}
    )
    periods = delivered(prices_parse_entsoe(entsoe(hourly, quarter)))
    t = datetime(2026, 1, 1, 23, tzinfo=UTC)
    # the first hour from the quarter-hour series; the second hour only the hourly series has
    assert periods == [
        (t, t + Q, D("0.01")), (t + Q, t + 2 * Q, D("0.02")), (t + 2 * Q, t + 3 * Q, D("0.03")),
        (t + 3 * Q, t + H, D("0.04")), (t + H, t + 2 * H, D("0.08")),
    ]  # fmt: skip


def test_entsoe_a_second_auction_sequence_does_not_override_the_first():
    tag = "classificationSequence_AttributeInstanceComponent.position"
    first = hour("PT60M", {1: "50"}).replace("<TimeSeries>", f"<TimeSeries><{tag}>1</{tag}>")
    second = hour("PT60M", {1: "70"}).replace("<TimeSeries>", f"<TimeSeries><{tag}>2</{tag}>")
    for document in (entsoe(first, second), entsoe(second, first)):
        assert [p[2] for p in delivered(prices_parse_entsoe(document))] == [D("0.05")]


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("not xml at all", "not an XML document"),
        ("<html><body>Service unavailable</body></html>", "root element 'html'"),
        (entsoe(ns="urn:example:other"), "not an ENTSO-E price document"),
        (entsoe(kind="A65"), "type A65, expected A44"),
        (entsoe(), "without prices"),
        (entsoe(hour("PT60M", {1: "1"}, currency="PLN")), "currency PLN"),
        (entsoe(hour("PT60M", {1: "1"}, unit="KWH")), "unknown unit 'KWH'"),
        (entsoe(hour("P1D", {1: "1"})), "unsupported resolution 'P1D'"),
        (entsoe(hour("PT60M", {2: "1"})), "position 2 outside 1–1"),
        (entsoe(hour("PT30M", {2: "1"}, curve="A03")), "no price for position 1"),
        (entsoe(hour("PT60M", {1: "x"})), "not a number"),
        (
            entsoe(
                timeseries("2026-01-01T23:00Z", "2026-01-02T00:00Z", "PT60M", {1: "1"}),
                timeseries("2026-01-01T23:00Z", "2026-01-02T00:00Z", "PT60M", {1: "2"}),
            ),
            "two different prices",
        ),
        ((FIXTURES / "entsoe_acknowledgement_no_data.xml").read_text(), "sent no prices: .*No matching data"),
    ],
)  # fmt: skip
def test_entsoe_errors(document, says):
    with pytest.raises(PriceInputError, match=says) as error:
        prices_parse_entsoe(document)
    assert "\n" not in str(error.value)


def test_file_detection():
    xml = (FIXTURES / "entsoe_a44_nl_2026-03-29_pt15m_a03.xml").read_bytes()
    assert prices_parse_file(xml)[0] == "ENTSO-E XML"
    kind, periods = prices_parse_file(
        b"\xef\xbb\xbfstart,end,commodity,price\n2026-01-01T00:00Z,2026-01-01T01:00Z,gas,1\n"
    )
    assert kind == "CSV" and len(periods) == 1
    with pytest.raises(PriceInputError, match="not a UTF-8 CSV"):
        prices_parse_file(b"\xff\xfe\x00binary")


# ------------------------------------------------------------------------------------------ EnergyZero


def test_energyzero_fixture_electricity_and_gas():
    body = (FIXTURES / "energyzero_electricity_2026-12-04.json").read_bytes()
    periods = delivered(prices_parse_energyzero(body, commodity="electricity_delivered"))
    start = datetime(2026, 12, 3, 23, tzinfo=UTC)  # local midnight of 2026-12-04 (CET)
    assert [(p[0], p[1]) for p in periods] == [(start + n * H, start + (n + 1) * H) for n in range(24)]
    assert (periods[0][2], periods[18][2], periods[23][2]) == (D("0.0912"), D("0.18943"), D("0.09874"))
    assert all(isinstance(p[2], Decimal) for p in periods)

    gas = prices_parse_energyzero((FIXTURES / "energyzero_gas_2026-12-04.json").read_bytes(), commodity="gas")
    assert {p.commodity for p in gas} == {"gas"} and len(gas) == 24
    # the gas day starts at 06:00 local (05:00 UTC): the hours before it have the previous day's price
    assert [p.price for p in gas[:8]] == [D("0.4617")] * 7 + [D("0.4823")]


def test_energyzero_repeated_entries_count_once_and_conflicts_are_errors():
    entry = '{"price": 0.1, "readingDate": "2026-12-03T23:00:00Z"}'
    body = f'{{"Prices": [{entry}, {entry}], "intervalType": 4}}'
    assert len(prices_parse_energyzero(body, commodity="gas")) == 1
    conflict = f'{{"Prices": [{entry}, {entry.replace("0.1", "0.2")}], "intervalType": 4}}'
    with pytest.raises(PriceInputError, match="two different prices"):
        prices_parse_energyzero(conflict, commodity="gas")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("<html>502 Bad Gateway</html>", "not JSON"),
        ('{"error": "bad_request"}', "no list of Prices"),
        ('{"Prices": [], "intervalType": 5}', "intervalType 5"),
        (
            '{"Prices": [{"price": "0.1", "readingDate": "2026-12-03T23:00:00Z"}], "intervalType": 4}',
            "not a number",
        ),
        ('{"Prices": [{"price": 0.1}], "intervalType": 4}', "no readingDate"),
        (
            '{"Prices": [{"price": 0.1, "readingDate": "2026-12-03T23:00:00"}], "intervalType": 4}',
            "no UTC offset",
        ),
    ],
)
def test_energyzero_malformed(body, says):
    with pytest.raises(PriceInputError, match=says):
        prices_parse_energyzero(body, commodity="electricity_delivered")
