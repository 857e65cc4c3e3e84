"""Price files and answers in, ``PricePeriod`` lists out: our CSV, ENTSO-E's day-ahead XML, EnergyZero's JSON.

Parsers only read and convert; whether prices may be stored is ``services.market_prices_store``'s call.
Every problem is a ``PriceInputError`` with a one-line reason.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from dsmrhub.spotprices.models import Commodity
from dsmrhub.spotprices.services import PriceInputError, PricePeriod

# ---------------------------------------------------------------------------------------------------- CSV

CSV_REQUIRED = ("start", "end", "commodity", "price")
CSV_OPTIONAL = ("unit", "currency")
# unit → (commodities it fits, divisor to € per kWh or m³); an empty unit is the commodity's own
CSV_UNITS: dict[str, tuple[frozenset[str], Decimal]] = {
    "kwh": (frozenset({Commodity.ELECTRICITY_DELIVERED, Commodity.ELECTRICITY_RETURNED}), Decimal(1)),
    "mwh": (frozenset({Commodity.ELECTRICITY_DELIVERED, Commodity.ELECTRICITY_RETURNED}), Decimal(1000)),
    "m3": (frozenset({Commodity.GAS}), Decimal(1)),
    "m³": (frozenset({Commodity.GAS}), Decimal(1)),
}
CURRENCIES = ("EUR",)


def _timestamp(text: str, *, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PriceInputError(f"{where}: {text!r} is not an ISO 8601 time") from None
    if timezone.is_naive(moment):
        raise PriceInputError(f"{where}: {text!r} has no UTC offset (write e.g. 2026-01-01T00:00+01:00)")
    return moment


def _decimal(text: str, *, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise PriceInputError(f"{where}: price {text!r} is not a number") from None
    if not value.is_finite():
        raise PriceInputError(f"{where}: price {text!r} is not a number")
    return value


def prices_parse_csv(text: str) -> list[PricePeriod]:
    """``start,end,commodity,price[,unit][,currency]`` rows: times ISO 8601 with offset, price € per kWh/m³
    (or per ``unit``: kWh, MWh, m3), currency EUR."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise PriceInputError("empty CSV: expected a header start,end,commodity,price")
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in CSV_REQUIRED + CSV_OPTIONAL]
    if unknown:
        raise PriceInputError(
            f"line 1: unknown column {unknown[0]!r} (columns: {', '.join(CSV_REQUIRED + CSV_OPTIONAL)})"
        )
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        raise PriceInputError(f"line 1: missing column {missing[0]!r} (header: start,end,commodity,price)")
    if len(set(columns)) != len(columns):
        raise PriceInputError("line 1: a column appears twice")
    periods = []
    for row in reader:
        where = f"line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise PriceInputError(f"{where}: {len(row)} fields, the header has {len(columns)}")
        values = dict(zip(columns, (cell.strip() for cell in row), strict=True))
        commodity = values["commodity"]
        if commodity not in Commodity.values:
            raise PriceInputError(
                f"{where}: unknown commodity {commodity!r} (one of {', '.join(Commodity.values)})"
            )
        currency = values.get("currency", "") or "EUR"
        if currency.upper() not in CURRENCIES:
            raise PriceInputError(f"{where}: currency {currency!r} is not supported (prices are in EUR)")
        unit = values.get("unit", "").lower()
        price = _decimal(values["price"], where=where)
        if unit:
            if unit not in CSV_UNITS:
                raise PriceInputError(f"{where}: unknown unit {values['unit']!r} (kWh, MWh or m3)")
            fits, divisor = CSV_UNITS[unit]
            if commodity not in fits:
                raise PriceInputError(f"{where}: unit {values['unit']!r} does not fit {commodity}")
            price = price / divisor  # exact: a division by a power of ten only moves the decimal point
        start = _timestamp(values["start"], where=f"{where} start")
        end = _timestamp(values["end"], where=f"{where} end")
        if end <= start:
            raise PriceInputError(f"{where}: end {values['end']} is not after start {values['start']}")
        periods.append(PricePeriod(commodity, start, end, price))
    if not periods:
        raise PriceInputError("the CSV has a header but no prices")
    return periods


# ------------------------------------------------------------------------------------------------ ENTSO-E

ENTSOE_NAMESPACE = "urn:iec62325.351:tc57wg16:451-3:publicationdocument:"
DAY_AHEAD_DOCUMENT = "A44"
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")
# the day-ahead market price holds both ways: stored for delivered and for returned electricity
MARKET_COMMODITIES = (Commodity.ELECTRICITY_DELIVERED, Commodity.ELECTRICITY_RETURNED)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: ElementTree.Element, *path: str, where: str) -> str:
    node: ElementTree.Element | None = element
    for name in path:
        node = _child(node, name) if node is not None else None
    if node is None or not (node.text or "").strip():
        raise PriceInputError(f"ENTSO-E document: {where} has no {'/'.join(path)}")
    return node.text.strip()


def _resolution(text: str, *, where: str) -> timedelta:
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise PriceInputError(f"ENTSO-E document: {where}: unsupported resolution {text!r}")
    step = timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))
    if step not in (timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)):
        raise PriceInputError(f"ENTSO-E document: {where}: unsupported resolution {text!r}")
    return step


def _entsoe_period(period: ElementTree.Element, *, curve: str, where: str) -> tuple[timedelta, list]:
    """One <Period>: its resolution and [(start, end, €/MWh)] for every position."""
    start = _timestamp(_text(period, "timeInterval", "start", where=where), where=where)
    end = _timestamp(_text(period, "timeInterval", "end", where=where), where=where)
    step = _resolution(_text(period, "resolution", where=where), where=where)
    count, remainder = divmod(end - start, step)
    if remainder or count <= 0:
        raise PriceInputError(f"ENTSO-E document: {where}: {start} – {end} is not a whole number of {step}")
    amounts: dict[int, Decimal] = {}
    for point in _children(period, "Point"):
        try:
            position = int(_text(point, "position", where=where))
        except ValueError:
            raise PriceInputError(f"ENTSO-E document: {where}: a position is not a number") from None
        if not 1 <= position <= count:
            raise PriceInputError(f"ENTSO-E document: {where}: position {position} outside 1–{count}")
        if position in amounts:
            raise PriceInputError(f"ENTSO-E document: {where}: position {position} appears twice")
        amounts[position] = _decimal(_text(point, "price.amount", where=where), where=where)
    if 1 not in amounts:
        raise PriceInputError(f"ENTSO-E document: {where}: no price for position 1")
    if curve == "A01" and len(amounts) != count:
        absent = min(set(range(1, count + 1)) - amounts.keys())
        raise PriceInputError(
            f"ENTSO-E document: {where}: position {absent} is missing (curve type A01 lists every position)"
        )
    rows = []
    amount = amounts[1]
    for position in range(1, count + 1):
        amount = amounts.get(position, amount)  # A03: an absent position repeats the one before
        rows.append((start + (position - 1) * step, start + position * step, amount))
    return step, rows


def prices_parse_entsoe(text: str | bytes) -> list[PricePeriod]:
    """An ENTSO-E Publication_MarketDocument of day-ahead prices (type A44, € per MWh) as € per kWh.

    Curve type A01 lists every position; A03 leaves out a position whose price equals the one before.
    Where series of different resolutions cover the same time (PT60M next to PT15M), the finest is kept.
    """
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise PriceInputError(f"not an XML document: {error}") from None
    name = _local(root.tag)
    if name == "Acknowledgement_MarketDocument":
        reason = " ".join((node.text or "").strip() for node in root.iter() if _local(node.tag) == "text")
        raise PriceInputError(f"ENTSO-E sent no prices: {reason or 'acknowledgement without a reason'}")
    if name != "Publication_MarketDocument" or not root.tag.startswith("{" + ENTSOE_NAMESPACE):
        raise PriceInputError(f"not an ENTSO-E price document (root element {name!r})")
    kind = _text(root, "type", where="the document")
    if kind != DAY_AHEAD_DOCUMENT:
        raise PriceInputError(
            f"ENTSO-E document of type {kind}, expected {DAY_AHEAD_DOCUMENT} (day-ahead prices)"
        )
    by_step: dict[timedelta, dict[datetime, tuple[datetime, Decimal, int]]] = {}
    for number, series in enumerate(_children(root, "TimeSeries"), start=1):
        where = f"time series {number}"
        currency = _text(series, "currency_Unit.name", where=where)
        if currency != "EUR":
            raise PriceInputError(f"ENTSO-E document: {where}: currency {currency} (prices are in EUR)")
        unit = _text(series, "price_Measure_Unit.name", where=where)
        if unit != "MWH":
            raise PriceInputError(f"ENTSO-E document: {where}: unknown unit {unit!r} (expected MWH)")
        curve_node = _child(series, "curveType")
        curve = (curve_node.text or "").strip() if curve_node is not None else "A01"
        if curve not in ("A01", "A03"):
            raise PriceInputError(f"ENTSO-E document: {where}: unsupported curve type {curve}")
        # zones with more than one day-ahead auction number them; the first (lowest) is the market price
        sequence_node = _child(series, "classificationSequence_AttributeInstanceComponent.position")
        sequence_text = (sequence_node.text or "").strip() if sequence_node is not None else "1"
        sequence = int(sequence_text) if sequence_text.isdigit() else 1
        for period in _children(series, "Period"):
            step, rows = _entsoe_period(period, curve=curve, where=where)
            seen = by_step.setdefault(step, {})
            for start, end, amount in rows:
                if start in seen and seen[start][1] != amount:
                    if seen[start][2] < sequence:
                        continue
                    if seen[start][2] == sequence:
                        raise PriceInputError(
                            f"ENTSO-E document: two different prices for {start.isoformat()} ({where})"
                        )
                seen[start] = (end, amount, sequence)
    # where series of different resolutions cover the same time, the finest is kept
    kept: list[tuple[datetime, datetime, Decimal]] = []
    for step in sorted(by_step):
        finer = sorted(
            kept
        )  # not overlapping each other: only the last one starting before ``end`` can overlap
        starts = [row[0] for row in finer]
        for start, (end, amount, _) in sorted(by_step[step].items()):
            before = bisect.bisect_left(starts, end) - 1
            if before < 0 or finer[before][1] <= start:
                kept.append((start, end, amount))
    if not kept:
        raise PriceInputError("ENTSO-E document without prices")
    thousand = Decimal(1000)
    return [
        PricePeriod(commodity, start, end, amount / thousand)
        for start, end, amount in sorted(kept)
        for commodity in MARKET_COMMODITIES
    ]


# --------------------------------------------------------------------------------------------- EnergyZero

ENERGYZERO_HOUR = 4  # intervalType of hourly prices


def prices_parse_energyzero(body: str | bytes, *, commodity: str) -> list[PricePeriod]:
    """EnergyZero's ``/v1/energyprices`` answer:
    ``{"Prices": [{"price": …, "readingDate": "…Z"}], "intervalType": 4, …}``,
    prices in € per kWh or m³ (asked without VAT). Identical repeated entries count once."""
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise PriceInputError(f"EnergyZero answer is not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("Prices"), list):
        raise PriceInputError("EnergyZero answer has no list of Prices")
    if data.get("intervalType") != ENERGYZERO_HOUR:
        raise PriceInputError(
            f"EnergyZero answer with intervalType {data.get('intervalType')}, expected 4 (hours)"
        )
    step = timedelta(hours=1)
    prices: dict[datetime, Decimal] = {}
    for number, entry in enumerate(data["Prices"], start=1):
        where = f"EnergyZero price {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("readingDate"), str):
            raise PriceInputError(f"{where}: no readingDate")
        price = entry.get("price")
        if isinstance(price, int) and not isinstance(price, bool):
            price = Decimal(price)
        if not isinstance(price, Decimal) or not price.is_finite():
            raise PriceInputError(f"{where}: price {price!r} is not a number")
        start = _timestamp(entry["readingDate"], where=where)
        if start in prices and prices[start] != price:
            raise PriceInputError(f"{where}: two different prices for {start.isoformat()}")
        prices[start] = price
    commodities = MARKET_COMMODITIES if commodity == Commodity.ELECTRICITY_DELIVERED else (commodity,)
    return [
        PricePeriod(each, start, start + step, price)
        for start, price in sorted(prices.items())
        for each in commodities
    ]


def prices_parse_file(content: bytes) -> tuple[str, list[PricePeriod]]:
    """A file of prices, by its content: XML (ENTSO-E) or CSV. The format's name and the periods."""
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return "ENTSO-E XML", prices_parse_entsoe(content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise PriceInputError("not a UTF-8 CSV file nor an XML document") from None
    return "CSV", prices_parse_csv(text)
