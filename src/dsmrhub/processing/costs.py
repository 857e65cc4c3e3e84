"""The cost engine: what electricity and gas cost per quarter hour, hour, day, month and year, for every
contract kind, from the quarter-hour energy (``processing.quarters``) and the gas hours.

Energy is read once per range (``usage_load``: one set-based pass over the minute rows for the quarters,
one query for the gas hours) and priced by any number of tariffs (``costs_by_period``): the contract in
force each day, or one contract over the whole range (a comparison). Pricing is exact Decimal arithmetic
per quarter in Python (35,040 quarters a year); the rules and the one rounding place are in
``prices.costs`` (``electricity_amounts``, ``gas_amount``, ``costs_round``).

What a period carries:

- quarter and hour: the energy costs (gas of an hour is booked in its first quarter);
- day: adds the contract's fixed cost per day, for each day with data;
- month, year and total (the whole range): add the prorated fixed cost per month and the capacity tariff
  of each month.

A quarter with energy but no market price (a dynamic contract, a gap in the series) makes its period's
costs missing (None, with the count of such quarters and gas hours in ``missing``), never zero. A period
without a contract in force costs 0.00, as the day statistics always did.

Capacity tariff: a month's peak is the meter's own 1-0:1.6.0 month maximum (Belgian e-MUCS meters;
``readings.peaks.meter_month_peaks``) when it sent one, else our highest quarter-hour average delivered
power ((Δdelivered_1 + Δdelivered_2) × 4 kW, from our quarters); month periods show both when both are known
(``capacity_peak_meter``, ``capacity_peak_computed``). The rolling 12-month average is taken over the months
with a peak (``prices.costs.capacity_month_amount``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from dsmrhub.prices.costs import (
    NO_COSTS,
    ZERO,
    Costs,
    MarketSeries,
    capacity_month_amount,
    capacity_peak_kw,
    costs_round,
    electricity_amounts,
    gas_amount,
    monthly_fixed_share,
    tariffs_for_days,
)
from dsmrhub.prices.models import ContractKind
from dsmrhub.prices.tariffs import Tariff
from dsmrhub.processing.gas import gas_hours
from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.periods import HOUR, day_end, day_start, local_zone
from dsmrhub.processing.quarters import QuarterEnergy, quarter_energy
from dsmrhub.readings.peaks import meter_month_peaks

PERIODS = ("quarter", "hour", "day", "month", "year", "total")  # total: the whole range as one period
QUARTER = 900


@dataclass(frozen=True, slots=True)
class Usage:
    """The energy of the local days [first, last]: quarters (oldest first) and gas hours (start, m3)."""

    first: date
    last: date
    quarters: list[QuarterEnergy]
    gas_hours: list[tuple[int, Decimal]]
    # month (first day) → the highest quarter-hour average delivered power, kW (our quarters), for the
    # months of the range and the 11 before (the capacity tariff's rolling window); filled when asked for
    month_peaks: dict[date, Decimal] = field(default_factory=dict)
    # month → the meter's own peak (1-0:1.6.0 / 0-0:98.1.0), kW, where it sent one
    meter_peaks: dict[date, Decimal] = field(default_factory=dict)

    def peak(self, month: date) -> Decimal | None:
        """The peak a month is billed on: the meter's own, else ours."""
        return self.meter_peaks.get(month, self.month_peaks.get(month))


def _month(day: date) -> date:
    return day.replace(day=1)


def _months_back(month: date, count: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - count, 12)
    return date(year, index + 1, 1)


def month_peaks_compute(quarters: list[QuarterEnergy]) -> dict[date, Decimal]:
    """Local month (first day) → its highest quarter-hour average delivered power in kW."""
    zone = local_zone()
    peaks: dict[date, Decimal] = {}
    for quarter in quarters:
        month = _month(datetime.fromtimestamp(quarter.start, zone).date())
        power = capacity_peak_kw(quarter.delivered_1 + quarter.delivered_2)
        if power > peaks.get(month, Decimal(-1)):
            peaks[month] = power
    return peaks


def usage_load(*, first: date, last: date, peaks: bool = False, now: datetime | None = None) -> Usage:
    """Read the energy of the local days [first, last] (up to now: today is live). ``peaks``: also the
    monthly peaks of the 11 months before ``first`` (for the capacity tariff)."""
    start, end = day_start(first), day_end(last)
    moment = int((now or datetime.now(UTC)).timestamp())
    end = min(end, -(-moment // QUARTER) * QUARTER)  # the running quarter (live) included
    quarters = quarter_energy(start=start, end=end) if end > start else []
    # Gas per local hour at either gas resolution (processing.gas: a meter-resolution value stamped at
    # midnight closes the day before, as in the statistics).
    hours = gas_hours(start=start, end=end) if end > start else {}
    usage = Usage(
        first=first,
        last=last,
        quarters=quarters,
        gas_hours=[(hour, hours[hour][1]) for hour in sorted(hours)],
    )
    if peaks:
        earlier = day_start(_months_back(_month(first), 11))
        before = quarter_energy(start=earlier, end=start) if earlier < start else []
        usage.month_peaks.update(month_peaks_compute(before))
        usage.month_peaks.update(month_peaks_compute(quarters))
        for peak in meter_month_peaks(first=_months_back(_month(first), 11), last=last):
            usage.meter_peaks[peak.month] = peak.value
    return usage


@dataclass(frozen=True, slots=True)
class PeriodCost:
    """One period's energy and costs (euros, rounded once: ``prices.costs.costs_round``).

    Costs are None when ``missing`` > 0: that many quarters (or gas hours) had energy but no market price.
    ``capacity_peak``: the month's billed peak (kW) in month periods with a capacity tariff, else None;
    ``capacity_peak_meter``/``capacity_peak_computed``: the meter's own and ours, where known (they can
    differ: the meter's quarters are its own clock's, and ours start at the first reading).
    """

    start: datetime  # local, aware
    delivered: Decimal  # kWh
    returned: Decimal  # kWh
    gas: Decimal  # m3
    electricity1_cost: Decimal | None
    electricity2_cost: Decimal | None
    gas_cost: Decimal | None
    fixed_cost: Decimal | None
    capacity_cost: Decimal | None
    total_cost: Decimal | None
    missing: int
    capacity_peak: Decimal | None = None
    capacity_peak_meter: Decimal | None = None
    capacity_peak_computed: Decimal | None = None

    @property
    def electricity_cost(self) -> Decimal | None:
        if self.electricity1_cost is None or self.electricity2_cost is None:
            return None
        return self.electricity1_cost + self.electricity2_cost


class _Bucket:
    __slots__ = (
        "start",
        "delivered",
        "returned",
        "gas",
        "e1",
        "e2",
        "gas_cost",
        "fixed",
        "capacity",
        "missing",
        "peak",
        "peak_meter",
        "peak_computed",
    )

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.delivered = self.returned = self.gas = ZERO
        self.e1 = self.e2 = self.gas_cost = self.fixed = self.capacity = ZERO
        self.missing = 0
        self.peak: Decimal | None = None
        self.peak_meter: Decimal | None = None
        self.peak_computed: Decimal | None = None

    def result(self, *, partial: bool = False) -> PeriodCost:
        costs = costs_round(
            electricity1=self.e1,
            electricity2=self.e2,
            gas=self.gas_cost,
            fixed=self.fixed,
            capacity=self.capacity,
        )
        known = partial or not self.missing
        return PeriodCost(
            start=self.start,
            delivered=self.delivered,
            returned=self.returned,
            gas=self.gas,
            electricity1_cost=costs.electricity1 if known else None,
            electricity2_cost=costs.electricity2 if known else None,
            gas_cost=costs.gas if known else None,
            fixed_cost=costs.fixed,
            capacity_cost=costs.capacity if known else None,
            total_cost=costs.total if known else None,
            missing=self.missing,
            capacity_peak=self.peak,
            capacity_peak_meter=self.peak_meter,
            capacity_peak_computed=self.peak_computed,
        )


def _period_start(period: str, day: date) -> int:
    """The first second of the local day, month or year containing ``day``."""
    if period == "month":
        day = day.replace(day=1)
    elif period == "year":
        day = date(day.year, 1, 1)
    return day_start(day)


def costs_by_period(
    *,
    usage: Usage,
    period: str,
    tariff: Tariff | None = None,
    in_force: Mapping[date, Tariff] | None = None,
    market: MarketSeries | None = None,
    partial: bool = False,
) -> list[PeriodCost]:
    """The costs of ``usage`` per ``period`` (one of ``PERIODS``), oldest first, periods with data only.

    ``tariff``: price the whole range with this one contract (a comparison); otherwise each day with the
    contract in force (``in_force``, default: the stored contracts). ``market``: the market prices of the
    range (loaded when None). ``partial``: costs of the priced quarters even where some are missing
    (only for the day statistics, whose columns cannot be empty; ``missing`` still counts them).
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}: one of {', '.join(PERIODS)}")
    if tariff is None and in_force is None:
        in_force = tariffs_for_days(first=usage.first, last=usage.last)
    if market is None:
        market = MarketSeries(start=day_start(usage.first), end=day_end(usage.last))
    zone = local_zone()
    buckets: dict[int, _Bucket] = {}  # keyed by Unix seconds: the repeated local hour stays two hours
    days: dict[date, Tariff | None] = {}  # days with data → their tariff

    def bucket(moment: int, day: date) -> _Bucket:
        """The bucket of the quarter or hour starting at ``moment`` (aligned), on local ``day``."""
        if period == "total":
            key = day_start(usage.first)
        elif period in ("quarter", "hour"):
            key = moment
        else:
            key = _period_start(period, day)
        found = buckets.get(key)
        if found is None:
            found = buckets[key] = _Bucket(datetime.fromtimestamp(key, zone))
        return found

    def tariff_of_day(day: date) -> Tariff | None:
        return tariff if tariff is not None else in_force.get(day)

    for quarter in usage.quarters:
        local = datetime.fromtimestamp(quarter.start, zone)
        day = local.date()
        moment = quarter.start - quarter.start % HOUR if period == "hour" else quarter.start
        target = bucket(moment, day)
        target.delivered += quarter.delivered_1 + quarter.delivered_2
        target.returned += quarter.returned_1 + quarter.returned_2
        contract = tariff_of_day(day)
        days.setdefault(day, contract)
        if contract is None:
            continue
        amounts = electricity_amounts(
            tariff=contract,
            moment=quarter.start,
            local=local,
            delivered_1=quarter.delivered_1,
            delivered_2=quarter.delivered_2,
            returned_1=quarter.returned_1,
            returned_2=quarter.returned_2,
            market=market,
        )
        if amounts is None:
            target.missing += 1
        else:
            target.e1 += amounts[0]
            target.e2 += amounts[1]
    for start, m3 in usage.gas_hours:
        day = datetime.fromtimestamp(start, zone).date()
        target = bucket(start, day)
        target.gas += m3
        contract = tariff_of_day(day)
        days.setdefault(day, contract)
        if contract is None:
            continue
        amount = gas_amount(tariff=contract, moment=start, m3=m3, market=market)
        if amount is None:
            target.missing += 1
        else:
            target.gas_cost += amount
    if period not in ("quarter", "hour"):
        for day, contract in days.items():
            if contract is None:
                continue
            target = bucket(day_start(day), day)
            target.fixed += contract.prices["fixed_daily_cost"]
            if period != "day":
                target.fixed += monthly_fixed_share(tariff=contract, day=day)
        if period in ("month", "year", "total"):
            _capacity(bucket=bucket, days=days, usage=usage)
    return [buckets[key].result(partial=partial) for key in sorted(buckets)]


def _capacity(
    *, bucket: Callable[[int, date], _Bucket], days: dict[date, Tariff | None], usage: Usage
) -> None:
    """Add each month's capacity cost (the tariff in force on the month's last day with data)."""
    last_day: dict[date, date] = {}
    for day in days:
        month = _month(day)
        last_day[month] = max(day, last_day.get(month, day))
    for month, day in sorted(last_day.items()):
        contract = days[day]
        billed = usage.peak(month)
        if contract is None or not contract.prices["capacity_price"] or billed is None:
            continue
        window = [
            peak
            for peak in (usage.peak(_months_back(month, back)) for back in range(11, -1, -1))
            if peak is not None
        ]
        target = bucket(day_start(day), day)
        target.capacity += capacity_month_amount(tariff=contract, peaks_kw=window)
        target.peak = billed if target.peak is None else max(target.peak, billed)
        target.peak_meter = usage.meter_peaks.get(month)
        target.peak_computed = usage.month_peaks.get(month)


def costs_for_range(
    *, first: date, last: date, period: str, tariff: Tariff | None = None, now: datetime | None = None
) -> list[PeriodCost]:
    """Load and price the local days [first, last] in one call (the API and the pages)."""
    usage = usage_load(first=first, last=last, peaks=period in ("month", "year", "total"), now=now)
    return costs_by_period(usage=usage, period=period, tariff=tariff)


def day_costs_of(
    *, first: date, last: date, days: Mapping[date, Mapping[str, Decimal]], now: datetime | None = None
) -> dict[date, Costs]:
    """Costs of the day statistics rows ``days`` (day → the statistics' use fields) in [first, last]:
    the same fields as ever (tariff 1, tariff 2, gas, fixed per day, total), by the engine.

    A fixed contract prices the day's totals (its price does not change within a day, so this equals the
    sum over its quarters); time-of-use and dynamic days are priced per quarter from ``quarter_energy``.
    Returns day → ``prices.costs.Costs``; days of a dynamic contract with missing market prices are priced
    for the quarters that have one (the day statistics' cost columns cannot say "missing"; the engine's
    own periods do).
    """
    in_force = tariffs_for_days(first=first, last=last)
    result = {}
    timed = sorted(day for day in days if day in in_force and in_force[day].kind != ContractKind.FIXED)
    for day, use in days.items():
        contract = in_force.get(day)
        if contract is None:
            result[day] = NO_COSTS
        elif contract.kind == ContractKind.FIXED:
            p = contract.prices
            result[day] = costs_round(
                electricity1=use["electricity1"] * p["electricity_delivered_1_price"]
                - use["electricity1_returned"] * p["electricity_returned_1_price"],
                electricity2=use["electricity2"] * p["electricity_delivered_2_price"]
                - use["electricity2_returned"] * p["electricity_returned_2_price"],
                gas=use["gas"] * p["gas_price"],
                fixed=p["fixed_daily_cost"],
            )
    for first_timed, last_timed in _runs(timed):
        usage = usage_load(first=first_timed, last=last_timed, now=now)
        for row in costs_by_period(usage=usage, period="day", in_force=in_force, partial=True):
            day = row.start.date()
            if day in days and day not in result:
                result[day] = Costs(
                    row.electricity1_cost, row.electricity2_cost, row.gas_cost, row.fixed_cost, row.total_cost
                )
    for day in timed:  # a day without quarters (imported history): its gas and fixed cost only
        if day not in result:
            p = in_force[day].prices
            result[day] = costs_round(
                electricity1=ZERO,
                electricity2=ZERO,
                gas=days[day]["gas"] * p["gas_price"],
                fixed=p["fixed_daily_cost"],
            )
    return result


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[list[date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


USE_FIELDS = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")


def day_statistics_price(rows: Sequence[DayStatistics]) -> None:
    """Set the cost columns of day statistics rows (new or stored; not saved here) by the engine: the
    same columns as ever, for every contract kind (``day_costs_of``)."""
    if not rows:
        return
    days = {row.day: {name: getattr(row, name) for name in USE_FIELDS} for row in rows}
    costs = day_costs_of(first=min(days), last=max(days), days=days)
    for row in rows:
        found = costs[row.day]
        row.electricity1_cost, row.electricity2_cost = found.electricity1, found.electricity2
        row.gas_cost, row.fixed_cost, row.total_cost = found.gas, found.fixed, found.total


def day_costs(*, day: date, use: Mapping[str, Decimal], now: datetime | None = None) -> Costs:
    """The costs of one day's use up to ``now`` (``use``: the day statistics' use fields), by the engine:
    for today's live figures (``consumption_today``), priced like the day statistics."""
    return day_costs_of(first=day, last=day, days={day: use}, now=now)[day]


@dataclass(frozen=True, slots=True)
class CurrentPrice:
    """What a kWh costs now under the contract in force (€ per kWh, the contract's formula applied).

    ``delivered``/``returned``: None when unknown (a dynamic contract without a market price now, a fixed
    contract while the meter's tariff is unknown). ``until``: when this price ends (the market period, the
    band's quarter run, or None for a fixed contract). ``next_delivered``: the price from ``until`` on.
    """

    contract: str
    kind: str
    band: str | None
    delivered: Decimal | None
    returned: Decimal | None
    until: datetime | None
    next_delivered: Decimal | None


def _unit_prices(tariff: Tariff, moment: int, market: MarketSeries, tariff_register: int | None):
    """(delivered, returned, band name) € per kWh at ``moment``: the engine's rule for 1 kWh each way."""
    one = Decimal(1)
    local = datetime.fromtimestamp(moment, local_zone())
    if tariff.kind == ContractKind.FIXED and tariff_register not in (1, 2):
        return None, None, None
    register = tariff_register or 1
    delivered = electricity_amounts(
        tariff=tariff,
        moment=moment,
        local=local,
        delivered_1=one if register == 1 else ZERO,
        delivered_2=one if register == 2 else ZERO,
        returned_1=ZERO,
        returned_2=ZERO,
        market=market,
    )
    returned = electricity_amounts(
        tariff=tariff,
        moment=moment,
        local=local,
        delivered_1=ZERO,
        delivered_2=ZERO,
        returned_1=one if register == 1 else ZERO,
        returned_2=one if register == 2 else ZERO,
        market=market,
    )
    band = tariff.band_at(local).name if tariff.kind == ContractKind.BANDS else None
    return (
        None if delivered is None else sum(delivered, ZERO),
        None if returned is None else -sum(returned, ZERO),
        band,
    )


def price_now(*, now: datetime | None = None, tariff_register: int | None = None) -> CurrentPrice | None:
    """The price per kWh now and next (None without a contract today). ``tariff_register``: the meter's
    0-0:96.14.0 (1 or 2), which a fixed contract's price depends on."""
    now = now or datetime.now(UTC)
    today = now.astimezone(local_zone()).date()
    tariff = tariffs_for_days(first=today, last=today).get(today)
    if tariff is None:
        return None
    moment = int(now.timestamp())
    quarter = moment - moment % QUARTER
    market = MarketSeries(start=quarter, end=quarter + 2 * 86_400)
    delivered, returned, band = _unit_prices(tariff, quarter, market, tariff_register)
    until = None
    if tariff.kind != ContractKind.FIXED:
        step = quarter + QUARTER
        limit = quarter + 2 * 86_400
        while step < limit and _unit_prices(tariff, step, market, tariff_register)[:3] == (
            delivered,
            returned,
            band,
        ):
            step += QUARTER
        until = datetime.fromtimestamp(step, UTC) if step < limit else None
    next_delivered = (
        _unit_prices(tariff, int(until.timestamp()), market, tariff_register)[0] if until else None
    )
    return CurrentPrice(
        contract=tariff.label,
        kind=tariff.kind,
        band=band,
        delivered=delivered,
        returned=returned,
        until=until,
        next_delivered=next_delivered,
    )


def cost_per_hour_now(
    *, now: datetime, tariff_register: int | None, delivered_kw: Decimal, returned_kw: Decimal
) -> Decimal | None:
    """What an hour at this power costs at the price now (any contract kind; None when the price is
    unknown): the engine's rule for kW × 1 h, rounded like a period's electricity (``costs_round``)."""
    price = price_now(now=now, tariff_register=tariff_register)
    if price is None or price.delivered is None or price.returned is None:
        return None
    amount = delivered_kw * price.delivered - returned_kw * price.returned
    return costs_round(electricity1=amount, electricity2=ZERO, gas=ZERO, fixed=ZERO).electricity1
