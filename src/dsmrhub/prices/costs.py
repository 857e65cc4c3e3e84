"""The cost rules and contract look-ups that processing builds on.

``prices`` sits below ``processing`` (docs/architecture.md, the package graph): processing prices its day
statistics with these rules and reprices them after a contract change (``processing.contracts``). Only the
entry points of ``prices`` (the admin and the ``contract`` command) call up into processing.

Exactness and the one rounding place: every amount below is an exact Decimal product of kWh or m3
(3 places) and a price (6 places), summed exactly over a period. Rounding happens once, when a period's
figures are produced (``costs_round``): each part (electricity tariff 1, tariff 2, gas, capacity) is
rounded half up to cents (``round_cents``), the fixed costs stay unrounded, and the total is the rounded sum
of those. A month is rounded from its exact sum, not summed from rounded days, so a month can differ from the
sum of its days by a cent or two. The one inexact step: a fixed cost per month is prorated by the days of the
month in the contract (``monthly_fixed_share``), to 28 significant digits, before the month's rounding.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Max, Q, Sum

from dsmrhub.prices.models import ContractKind, EnergyContract, TermCommodity
from dsmrhub.prices.services import MORE_PRICE_FIELDS, PRICE_FIELDS, ContractSpec, contract_parts
from dsmrhub.prices.tariffs import Tariff, tariff_make
from dsmrhub.spotprices.models import MarketPrice

CENT = Decimal("0.01")
ZERO = Decimal("0")


def round_cents(amount: Decimal) -> Decimal:
    """R: round half up to cents (for negative amounts: half away from zero)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Costs:
    electricity1: Decimal
    electricity2: Decimal
    gas: Decimal
    fixed: Decimal  # the contract's fixed daily cost, unrounded
    total: Decimal
    capacity: Decimal = ZERO * CENT  # the capacity tariff (months only)


NO_COSTS = Costs(ZERO * CENT, ZERO * CENT, ZERO * CENT, ZERO, ZERO * CENT)


def costs_round(
    *, electricity1: Decimal, electricity2: Decimal, gas: Decimal, fixed: Decimal, capacity: Decimal = ZERO
) -> Costs:
    """The one rounding place: exact sums of a period → its costs (see the module's doc)."""
    e1, e2, gas_cost = round_cents(electricity1), round_cents(electricity2), round_cents(gas)
    capacity_cost = round_cents(capacity)
    total = round_cents(e1 + e2 + gas_cost + fixed + capacity_cost)
    return Costs(e1, e2, gas_cost, fixed, total, capacity_cost)


def costs_compute(
    *,
    contract: EnergyContract | None,
    electricity1: Decimal,
    electricity2: Decimal,
    electricity1_returned: Decimal,
    electricity2_returned: Decimal,
    gas: Decimal,
    fixed_days: int = 1,
) -> Costs:
    """A fixed contract over a period of ``fixed_days`` days: per tariff R(delivered × price − returned ×
    price); gas R(m3 × price); total R(sum + fixed cost). (Time-of-use and dynamic contracts are priced per
    quarter hour by ``processing.costs``; their gas and fixed parts follow this rule too.)"""
    if contract is None:
        return NO_COSTS
    c = contract
    return costs_round(
        electricity1=electricity1 * c.electricity_delivered_1_price
        - electricity1_returned * c.electricity_returned_1_price,
        electricity2=electricity2 * c.electricity_delivered_2_price
        - electricity2_returned * c.electricity_returned_2_price,
        gas=gas * c.gas_price,
        fixed=c.fixed_daily_cost * fixed_days,
    )


def cost_per_hour(
    *, contract: EnergyContract, tariff: int, delivered_kw: Decimal, returned_kw: Decimal
) -> Decimal:
    """What an hour at this power costs on ``tariff`` (1 or 2): the day rule applied to kW × 1 h."""
    use = {
        "electricity1": ZERO,
        "electricity2": ZERO,
        "electricity1_returned": ZERO,
        "electricity2_returned": ZERO,
    }
    use[f"electricity{tariff}"], use[f"electricity{tariff}_returned"] = delivered_kw, returned_kw
    costs = costs_compute(contract=contract, gas=ZERO, fixed_days=0, **use)
    return costs.electricity1 + costs.electricity2  # the other tariff's part is 0.00


def gas_cost(*, contract: EnergyContract, m3: Decimal) -> Decimal:
    """R(m3 × gas price), as for a day."""
    return costs_compute(
        contract=contract,
        electricity1=ZERO,
        electricity2=ZERO,
        electricity1_returned=ZERO,
        electricity2_returned=ZERO,
        gas=m3,
        fixed_days=0,
    ).gas


def contract_for_day(*, day: date) -> EnergyContract | None:
    return EnergyContract.objects.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day).first()


def contracts_for_days(*, first: date, last: date) -> dict[date, EnergyContract]:
    """The contract of every day in [first, last] that has one (one query)."""
    by_day: dict[date, EnergyContract] = {}
    contracts = EnergyContract.objects.filter(Q(end__isnull=True) | Q(end__gte=first), start__lte=last)
    for contract in contracts:
        day = max(contract.start, first)
        end = min(contract.end or last, last)
        while day <= end:
            by_day[day] = contract
            if day == date.max:
                break
            day += timedelta(days=1)
    return by_day


def contracts_fingerprint() -> str:
    """Changes whenever a contract is added, changed or removed.

    Every change through ``prices.services`` reprices at once and stores this; the processor compares it
    to catch changes made around the services (``loaddata``, SQL) and then reprices every stored day.
    With a dynamic contract, stored market prices count too: an import or fetch reprices the days.
    """
    agg = EnergyContract.objects.aggregate(
        n=Count("id"), last=Max("updated_at"), ids=Sum("id"), top=Max("id")
    )
    last = agg["last"].isoformat() if agg["last"] else ""
    fingerprint = f"{agg['n']}:{agg['ids'] or 0}:{agg['top'] or 0}:{last}"
    if EnergyContract.objects.filter(kind=ContractKind.DYNAMIC).exists():
        fingerprint += f"|{market_prices_fingerprint()}"  # new market prices reprice dynamic days
    return fingerprint


# --- contract kinds: tariffs, quarter-hour amounts, market prices, capacity --------------------------------

TARIFF_PRICE_FIELDS = PRICE_FIELDS + MORE_PRICE_FIELDS


def tariff_of(contract: EnergyContract) -> Tariff:
    """A stored contract as the engine prices with it (its bands and terms loaded)."""
    bands, terms = contract_parts(contract)
    return tariff_make(
        label=contract.description,
        kind=contract.kind,
        start=contract.start,
        end=contract.end,
        prices={name: getattr(contract, name) for name in TARIFF_PRICE_FIELDS},
        holidays_country=contract.holidays_country,
        bands=tuple(bands),
        terms={term.commodity: term for term in terms},
        contract_id=contract.pk,
    )


def tariff_from_spec(spec: ContractSpec, *, label: str | None = None) -> Tariff:
    """A contract entered ad hoc (``prices.services.contract_spec_parse``) as the engine prices with it;
    prices not given have the model's defaults."""
    defaults = {
        name: Decimal(str(EnergyContract._meta.get_field(name).default)) for name in TARIFF_PRICE_FIELDS
    }
    return tariff_make(
        label=label or spec.description,
        kind=spec.kind,
        start=spec.start,
        end=spec.end,
        prices={**defaults, **spec.prices},
        holidays_country=spec.holidays_country,
        bands=spec.bands,
        terms={term.commodity: term for term in spec.terms},
    )


def tariffs_for_days(*, first: date, last: date) -> dict[date, Tariff]:
    """The tariff of every day in [first, last] that has a contract."""
    tariffs: dict[int, Tariff] = {}
    by_day: dict[date, Tariff] = {}
    for day, contract in contracts_for_days(first=first, last=last).items():
        if contract.pk not in tariffs:
            tariffs[contract.pk] = tariff_of(contract)
        by_day[day] = tariffs[contract.pk]
    return by_day


class MarketSeries:
    """The market prices of a range, looked up by moment (Unix seconds): the stored period containing it.

    Returned electricity is priced from the ``electricity_returned`` series where it has a price, else from
    ``electricity_delivered`` (day-ahead markets publish one price; a separate feed-in series is used when
    imported). A moment without a price is missing (None), never zero.
    """

    def __init__(self, *, start: int, end: int) -> None:
        self._rows: dict[str, tuple[list[int], list[int], list[Decimal]]] = {}
        self._at: dict[str, dict[int, Decimal]] = {}  # period start → price: the common exact hit
        places = MarketPrice._meta.get_field("price").decimal_places
        table = connection.ops.quote_name(MarketPrice._meta.db_table)
        with connection.cursor() as cursor:  # the columns' integers: no per-row field conversion
            cursor.execute(
                f'SELECT commodity, start, "end", price FROM {table} WHERE start < %s AND "end" > %s '
                "ORDER BY commodity, start",
                [end, start],
            )
            rows = cursor.fetchall()
        for commodity, first, last, price in rows:
            starts, ends, prices = self._rows.setdefault(commodity, ([], [], []))
            value = Decimal(int(price)).scaleb(-places)
            starts.append(first)
            ends.append(last)
            prices.append(value)
            self._at.setdefault(commodity, {})[first] = value

    def price(self, commodity: str, moment: int) -> Decimal | None:
        exact = self._at.get(commodity, {}).get(moment)
        if exact is not None:
            return exact
        series = self._rows.get(commodity)
        if series is None:
            return None
        starts, ends, prices = series
        index = bisect_right(starts, moment) - 1
        if index >= 0 and moment < ends[index]:
            return prices[index]
        return None

    def returned_price(self, moment: int) -> Decimal | None:
        price = self.price(TermCommodity.ELECTRICITY_RETURNED, moment)
        return self.price(TermCommodity.ELECTRICITY_DELIVERED, moment) if price is None else price


def electricity_amounts(
    *,
    tariff: Tariff,
    moment: int,
    local: datetime,
    delivered_1: Decimal,
    delivered_2: Decimal,
    returned_1: Decimal,
    returned_2: Decimal,
    market: MarketSeries | None,
) -> tuple[Decimal, Decimal] | None:
    """Exact (tariff 1, tariff 2) amounts of one quarter hour starting at ``moment`` (``local``: the same
    moment in the local zone); None when a dynamic contract has no market price for energy it must price.

    Fixed: the meter's tariff register picks the price. Bands and dynamic: one price per direction for the
    quarter, applied to both registers (the split by register is kept for the day statistics' fields).
    Returned energy is credited: a negative price (or market price) makes returning cost money.
    """
    if tariff.kind == ContractKind.FIXED:
        p = tariff.prices
        return (
            delivered_1 * p["electricity_delivered_1_price"] - returned_1 * p["electricity_returned_1_price"],
            delivered_2 * p["electricity_delivered_2_price"] - returned_2 * p["electricity_returned_2_price"],
        )
    if tariff.kind == ContractKind.BANDS:
        band = tariff.band_at(local)
        delivered_price, returned_price = band.delivered_price, band.returned_price
    else:
        delivered_price = returned_price = ZERO
        if delivered_1 or delivered_2:
            market_price = market.price(TermCommodity.ELECTRICITY_DELIVERED, moment) if market else None
            if market_price is None:
                return None
            delivered_price = tariff.terms[TermCommodity.ELECTRICITY_DELIVERED].unit_price(market_price)
        if returned_1 or returned_2:
            market_price = market.returned_price(moment) if market else None
            if market_price is None:
                return None
            returned_price = tariff.terms[TermCommodity.ELECTRICITY_RETURNED].unit_price(market_price)
    return (
        delivered_1 * delivered_price - returned_1 * returned_price,
        delivered_2 * delivered_price - returned_2 * returned_price,
    )


def gas_amount(*, tariff: Tariff, moment: int, m3: Decimal, market: MarketSeries | None) -> Decimal | None:
    """Exact amount of ``m3`` gas used in the hour starting at ``moment``: the gas price, or for a dynamic
    contract with a gas term the market gas price (of the period containing the hour) by that term."""
    term = tariff.terms.get(TermCommodity.GAS) if tariff.kind == ContractKind.DYNAMIC else None
    if term is None or not m3:
        return m3 * tariff.prices["gas_price"]
    market_price = market.price(TermCommodity.GAS, moment) if market else None
    return None if market_price is None else m3 * term.unit_price(market_price)


def monthly_fixed_share(*, tariff: Tariff, day: date) -> Decimal:
    """The part of the contract's fixed monthly cost that falls on ``day`` (prorated by the month's days)."""
    monthly = tariff.prices["fixed_monthly_cost"]
    if not monthly:
        return ZERO
    return monthly / calendar.monthrange(day.year, day.month)[1]


def capacity_peak_kw(quarter_kwh: Decimal) -> Decimal:
    """A quarter hour's average delivered power: kWh in 15 minutes × 4 = kW."""
    return quarter_kwh * 4


def capacity_month_amount(*, tariff: Tariff, peaks_kw: list[Decimal]) -> Decimal:
    """Exact capacity cost of one month: the average of the monthly peaks of the rolling 12 months ending
    with it (``peaks_kw``: the months with data, at most 12, this month last), each at least the contract's
    minimum (the regulator's 2.5 kW), × the price per kW per year / 12."""
    price = tariff.prices["capacity_price"]
    if not price or not peaks_kw:
        return ZERO
    minimum = tariff.prices["capacity_minimum"]
    lifted = [max(peak, minimum) for peak in peaks_kw[-12:]]
    return sum(lifted, ZERO) / len(lifted) * price / 12


def market_prices_fingerprint() -> str:
    """Changes whenever market prices are stored, replaced or removed (dynamic contracts' days reprice)."""
    agg = MarketPrice.objects.aggregate(n=Count("id"), top=Max("id"), ids=Sum("id"), last=Max("fetched_at"))
    last = agg["last"].isoformat() if agg["last"] else ""
    return f"{agg['n']}:{agg['ids'] or 0}:{agg['top'] or 0}:{last}"
