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
costs missing (None, with the count of such quarters and gas hours in ``missing``), never zero: the
electricity costs when electricity could not be priced, the gas cost when gas could not, and the total with
either. A period without a contract in force costs 0.00, as the day statistics always did.

Imported history (``processing.history``: day statistics with ``imported=True``, whose readings are gone)
has no quarters. Such a day is priced from its hour statistics (``UseBlock``: one per hour) plus, when the
hours do not add up to the day, the rest of the day as one block. A block is priced only where the price is
the same over all of it (a fixed contract always; a band that holds the whole hour or day; one market price
over it, e.g. an hourly series); otherwise it counts as missing. Blocks are not split into quarters: with
period "quarter" imported days show nothing, and with period "hour" only their hours (the rest of a day
only shows in days and longer periods).

Capacity tariff: a month's peak is the meter's own 1-0:1.6.0 month maximum (Belgian e-MUCS meters;
``readings.peaks.meter_month_peaks``) when it sent one, else our highest quarter-hour average delivered
power ((Δdelivered_1 + Δdelivered_2) × 4 kW, from our quarters); month periods show both when both are known
(``capacity_peak_meter``, ``capacity_peak_computed``). The rolling 12-month average is taken over the months
with a peak (``prices.costs.capacity_month_amount``). A month with use under a capacity tariff but no peak
(imported history, which has no quarters, without the meter's own peak) has its capacity cost missing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Collection, Mapping, Sequence
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
    round_cents,
    tariffs_for_days,
)
from dsmrhub.prices.models import ContractKind, TermCommodity
from dsmrhub.prices.tariffs import Tariff
from dsmrhub.processing.gas import gas_hours
from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import HOUR, day_end, day_start, from_epoch, local_date, local_zone, to_epoch
from dsmrhub.processing.quarters import QuarterEnergy, quarter_energy
from dsmrhub.readings.peaks import meter_month_peaks

PERIODS = ("quarter", "hour", "day", "month", "year", "total")  # total: the whole range as one period
QUARTER = 900


USE_FIELDS = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")


@dataclass(frozen=True, slots=True)
class UseBlock:
    """Use over [start, end) (Unix seconds) known only as a whole: an imported hour, or the rest of an
    imported day that its hours do not cover. kWh per register, m3 gas."""

    start: int
    end: int
    delivered_1: Decimal
    delivered_2: Decimal
    returned_1: Decimal
    returned_2: Decimal
    gas: Decimal


@dataclass(frozen=True, slots=True)
class Usage:
    """The energy of the local days [first, last]: quarters (oldest first) and gas hours (start, m3); for
    imported days (``imported_days``) their hour and rest-of-day blocks instead (``blocks``)."""

    first: date
    last: date
    quarters: list[QuarterEnergy]
    gas_hours: list[tuple[int, Decimal]]
    blocks: list[UseBlock] = field(default_factory=list)
    imported_days: frozenset[date] = frozenset()
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


def _imported_days(*, first: date, last: date) -> dict[date, dict[str, Decimal]]:
    """The imported day statistics in [first, last]: day → its use fields."""
    rows = DayStatistics.objects.filter(day__gte=first, day__lte=last, imported=True).values(
        "day", *USE_FIELDS
    )
    return {row.pop("day"): row for row in rows}


def _blocks(imported: Mapping[date, Mapping[str, Decimal]]) -> list[UseBlock]:
    """The use blocks of imported days: their hour statistics (imported or own), and the rest of each day
    where its hours do not add up to its day statistics (missing hours, or another program's rounding)."""
    if not imported:
        return []
    hours: dict[date, list[UseBlock]] = {}
    rows = HourStatistics.objects.filter(
        hour_start__gte=from_epoch(day_start(min(imported))),
        hour_start__lt=from_epoch(day_end(max(imported))),
    ).values_list("hour_start", *USE_FIELDS)
    for hour_start, e1, e2, r1, r2, gas in rows:
        start = to_epoch(hour_start)
        day = local_date(start)
        if day in imported:
            hours.setdefault(day, []).append(UseBlock(start, start + HOUR, e1, e2, r1, r2, gas))
    blocks = []
    for day in sorted(imported):
        found = sorted(hours.get(day, []), key=lambda block: block.start)
        blocks += found
        use = imported[day]
        rest = [
            use[name] - sum((getattr(block, attribute) for block in found), ZERO)
            for name, attribute in zip(USE_FIELDS, UseBlock.__slots__[2:], strict=True)
        ]
        if any(rest):
            blocks.append(UseBlock(day_start(day), day_end(day), *rest))
    return blocks


def usage_load(
    *,
    first: date,
    last: date,
    peaks: bool = False,
    now: datetime | None = None,
    imported: Mapping[date, Mapping[str, Decimal]] | None = None,
) -> Usage:
    """Read the energy of the local days [first, last] (up to now: today is live). ``peaks``: also the
    monthly peaks of the 11 months before ``first`` (for the capacity tariff). ``imported``: the imported
    days (day → the day statistics' use fields) to price from their hour statistics instead of quarters;
    None: the stored imported day statistics of the range."""
    start, end = day_start(first), day_end(last)
    moment = int((now or datetime.now(UTC)).timestamp())
    end = min(end, -(-moment // QUARTER) * QUARTER)  # the running quarter (live) included
    quarters = quarter_energy(start=start, end=end) if end > start else []
    # Gas per local hour at either gas resolution (processing.gas: a meter-resolution value stamped at
    # midnight closes the day before, as in the statistics).
    hours = gas_hours(start=start, end=end) if end > start else {}
    gas = [(hour, hours[hour][1]) for hour in sorted(hours)]
    if imported is None:
        imported = _imported_days(first=first, last=last)
    imported = {day: use for day, use in imported.items() if first <= day <= last}
    if imported:
        # An imported day is priced as imported (the readings of its first part may be gone): its quarters
        # and gas hours, if any, would count its use twice.
        spans = sorted((day_start(day), day_end(day)) for day in imported)
        starts = [span[0] for span in spans]

        def outside(moment: int) -> bool:
            index = bisect_right(starts, moment) - 1
            return index < 0 or moment >= spans[index][1]

        quarters = [quarter for quarter in quarters if outside(quarter.start)]
        gas = [(hour, m3) for hour, m3 in gas if outside(hour)]
    usage = Usage(
        first=first,
        last=last,
        quarters=quarters,
        gas_hours=gas,
        blocks=_blocks(imported),
        imported_days=frozenset(imported),
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

    ``missing``: how many quarters, gas hours or imported blocks had use but no price (no market price,
    or an imported hour or day over which the price changes), plus months whose capacity-tariff peak is
    unknown (imported history without the meter's own peak). The costs they make unknown are None: the
    electricity costs, the gas cost or the capacity cost, and the total with any; the fixed cost stays known.
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
        "missing_electricity",
        "missing_gas",
        "missing_capacity",
        "peak",
        "peak_meter",
        "peak_computed",
    )

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.delivered = self.returned = self.gas = ZERO
        self.e1 = self.e2 = self.gas_cost = self.fixed = self.capacity = ZERO
        self.missing_electricity = self.missing_gas = self.missing_capacity = 0
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
        electricity = partial or not self.missing_electricity
        gas = partial or not self.missing_gas
        capacity = partial or not self.missing_capacity
        return PeriodCost(
            start=self.start,
            delivered=self.delivered,
            returned=self.returned,
            gas=self.gas,
            electricity1_cost=costs.electricity1 if electricity else None,
            electricity2_cost=costs.electricity2 if electricity else None,
            gas_cost=costs.gas if gas else None,
            fixed_cost=costs.fixed,
            capacity_cost=costs.capacity if capacity else None,
            total_cost=costs.total if electricity and gas and capacity else None,
            missing=self.missing_electricity + self.missing_gas + self.missing_capacity,
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
    (today's live figures, which say how many are missing; ``missing`` still counts them).
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
            target.missing_electricity += 1
        else:
            target.e1 += amounts[0]
            target.e2 += amounts[1]
    for block in usage.blocks:
        if period == "quarter" or (period == "hour" and block.end - block.start != HOUR):
            continue  # no detail finer than the block (see the module's doc)
        day = datetime.fromtimestamp(block.start, zone).date()
        target = bucket(block.start, day)
        target.delivered += block.delivered_1 + block.delivered_2
        target.returned += block.returned_1 + block.returned_2
        target.gas += block.gas
        contract = tariff_of_day(day)
        days.setdefault(day, contract)
        if contract is None:
            continue
        amounts = _block_electricity(contract, block, market)
        if amounts is None:
            target.missing_electricity += 1
        else:
            target.e1 += amounts[0]
            target.e2 += amounts[1]
        gas_cost = _block_gas(contract, block, market)
        if gas_cost is None:
            target.missing_gas += 1
        else:
            target.gas_cost += gas_cost
    if period not in ("quarter", "hour"):
        for day in sorted(usage.imported_days):  # an imported day without use still has its fixed cost
            days.setdefault(day, tariff_of_day(day))
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
            target.missing_gas += 1
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


def _block_electricity(
    tariff: Tariff, block: UseBlock, market: MarketSeries
) -> tuple[Decimal, Decimal] | None:
    """The exact (tariff 1, tariff 2) amounts of a block: the engine's quarter rule at each quarter start of
    the block applied to the block's whole use, when every quarter gives the same amounts (one price over
    the block); None when they differ or a price is missing. A fixed contract's price does not change
    within a day: its first quarter is the block's."""
    use = (block.delivered_1, block.delivered_2, block.returned_1, block.returned_2)
    if not any(use):
        return ZERO, ZERO
    zone = local_zone()
    found = None
    for moment in range(block.start, block.end, QUARTER):
        amounts = electricity_amounts(
            tariff=tariff,
            moment=moment,
            local=datetime.fromtimestamp(moment, zone),
            delivered_1=use[0],
            delivered_2=use[1],
            returned_1=use[2],
            returned_2=use[3],
            market=market,
        )
        if amounts is None or (found is not None and amounts != found):
            return None
        found = amounts
        if tariff.kind == ContractKind.FIXED:
            break
    return found


def _block_gas(tariff: Tariff, block: UseBlock, market: MarketSeries) -> Decimal | None:
    """The exact gas amount of a block when one gas price holds over all of it (else None)."""
    if not block.gas:
        return ZERO
    if tariff.kind != ContractKind.DYNAMIC or TermCommodity.GAS not in tariff.terms:
        return gas_amount(tariff=tariff, moment=block.start, m3=block.gas, market=market)  # one gas price
    found = None
    for moment in range(block.start, block.end, QUARTER):
        amount = gas_amount(tariff=tariff, moment=moment, m3=block.gas, market=market)
        if amount is None or (found is not None and amount != found):
            return None
        found = amount
    return found


def _capacity(
    *, bucket: Callable[[int, date], _Bucket], days: dict[date, Tariff | None], usage: Usage
) -> None:
    """Add each month's capacity cost (the tariff in force on the month's last day with data)."""
    last_day: dict[date, date] = {}
    for day in days:
        month = _month(day)
        last_day[month] = max(day, last_day.get(month, day))
    imported_months = {_month(day) for day in usage.imported_days}
    for month, day in sorted(last_day.items()):
        contract = days[day]
        if contract is None or not contract.prices["capacity_price"]:
            continue
        billed = usage.peak(month)
        # imported history has no quarters: without the meter's own peak, such a month's peak is unknown
        if billed is None or (month in imported_months and month not in usage.meter_peaks):
            bucket(day_start(day), day).missing_capacity += 1
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


@dataclass(frozen=True, slots=True)
class DayCosts:
    """A day statistics row's cost columns (euros, ``prices.costs.costs_round``). ``missing``: periods with
    use but no price (``PeriodCost.missing``); the costs they make unknown are None (never 0.00)."""

    electricity1: Decimal | None
    electricity2: Decimal | None
    gas: Decimal | None
    fixed: Decimal
    total: Decimal | None
    missing: int = 0


def _day_costs(costs: Costs) -> DayCosts:
    return DayCosts(costs.electricity1, costs.electricity2, costs.gas, costs.fixed, costs.total)


def day_costs_of(
    *,
    first: date,
    last: date,
    days: Mapping[date, Mapping[str, Decimal]],
    now: datetime | None = None,
    imported: Collection[date] = (),
    partial: bool = False,
) -> dict[date, DayCosts]:
    """Costs of the day statistics rows ``days`` (day → the statistics' use fields) in [first, last]:
    the same fields as ever (tariff 1, tariff 2, gas, fixed per day, total), by the engine.

    A fixed contract prices the day's totals (its price does not change within a day, so this equals the
    sum over its quarters); time-of-use and dynamic days are priced per quarter from ``quarter_energy``,
    and the ``imported`` days (history without readings) from their hour statistics (``usage_load``).
    What cannot be priced is None with ``missing`` > 0; ``partial``: the priced part instead (today's
    live figures).
    """
    in_force = tariffs_for_days(first=first, last=last)
    result: dict[date, DayCosts] = {}
    timed = sorted(day for day in days if day in in_force and in_force[day].kind != ContractKind.FIXED)
    for day, use in days.items():
        contract = in_force.get(day)
        if contract is None:
            result[day] = _day_costs(NO_COSTS)
        elif contract.kind == ContractKind.FIXED:
            p = contract.prices
            result[day] = _day_costs(
                costs_round(
                    electricity1=use["electricity1"] * p["electricity_delivered_1_price"]
                    - use["electricity1_returned"] * p["electricity_returned_1_price"],
                    electricity2=use["electricity2"] * p["electricity_delivered_2_price"]
                    - use["electricity2_returned"] * p["electricity_returned_2_price"],
                    gas=use["gas"] * p["gas_price"],
                    fixed=p["fixed_daily_cost"],
                )
            )
    imported = set(imported)
    for first_timed, last_timed in _runs(timed):
        usage = usage_load(
            first=first_timed,
            last=last_timed,
            now=now,
            imported={day: days[day] for day in imported if first_timed <= day <= last_timed},
        )
        for row in costs_by_period(usage=usage, period="day", in_force=in_force, partial=partial):
            day = row.start.date()
            if day in days and day not in result:
                result[day] = DayCosts(
                    row.electricity1_cost,
                    row.electricity2_cost,
                    row.gas_cost,
                    row.fixed_cost,
                    row.total_cost,
                    row.missing,
                )
    for day in timed:  # a day of readings without quarters: electricity use it has cannot be priced
        if day not in result:
            use, p = days[day], in_force[day].prices
            electricity = not any(use[name] for name in USE_FIELDS[:4])
            costs = costs_round(
                electricity1=ZERO,
                electricity2=ZERO,
                gas=use["gas"] * p["gas_price"],
                fixed=p["fixed_daily_cost"],
            )
            known = electricity or partial
            result[day] = DayCosts(
                costs.electricity1 if known else None,
                costs.electricity2 if known else None,
                costs.gas,
                costs.fixed,
                costs.total if known else None,
                0 if electricity else 1,
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


def day_statistics_price(rows: Sequence[DayStatistics]) -> None:
    """Set the cost columns of day statistics rows (new or stored; not saved here) by the engine, for every
    contract kind (``day_costs_of``): null where a price is missing, with ``costs_missing`` counting why."""
    if not rows:
        return
    days = {row.day: {name: getattr(row, name) for name in USE_FIELDS} for row in rows}
    imported = [row.day for row in rows if row.imported]
    costs = day_costs_of(first=min(days), last=max(days), days=days, imported=imported)
    for row in rows:
        found = costs[row.day]
        row.electricity1_cost, row.electricity2_cost = found.electricity1, found.electricity2
        row.gas_cost, row.fixed_cost, row.total_cost = found.gas, found.fixed, found.total
        row.costs_missing = found.missing


def day_costs(*, day: date, use: Mapping[str, Decimal], now: datetime | None = None) -> Costs:
    """The costs of one day's use up to ``now`` (``use``: the day statistics' use fields), by the engine:
    for today's live figures (``consumption_today``), priced like the day statistics but of the priced
    quarters only where market prices are missing (the dashboard says how many: ``costs_by_period``)."""
    found = day_costs_of(first=day, last=day, days={day: use}, now=now, partial=True)[day]
    return Costs(found.electricity1, found.electricity2, found.gas, found.fixed, found.total)


@dataclass(frozen=True, slots=True)
class BandCost:
    """The electricity of one contract's band over a range (``costs_by_band``).

    ``band``: a time-of-use band's name; "1"/"2" for a fixed contract (the meter's tariff register); ""
    for a dynamic contract, and for use of a bands contract that no single band can be given (an imported
    hour across a band change). ``cost``: euros, rounded once (``prices.costs.round_cents``); None when
    ``missing`` > 0 (quarters or imported blocks with use but no price)."""

    contract: str
    kind: str
    band: str
    delivered: Decimal  # kWh
    returned: Decimal  # kWh
    cost: Decimal | None
    missing: int


def costs_by_band(*, first: date, last: date, now: datetime | None = None) -> list[BandCost]:
    """The electricity use and cost per band of the contracts in force over the local days [first, last]
    (days without a contract are left out), by the engine's rules: quarters, and imported history per
    hour. Ordered by contract start, then band as the contract lists them (fixed: "1", "2"; "" last)."""
    usage = usage_load(first=first, last=last, now=now)
    in_force = tariffs_for_days(first=first, last=last)
    market = MarketSeries(start=day_start(first), end=day_end(last))
    zone = local_zone()
    sums: dict[tuple[int, str], list] = {}  # (id of the tariff, band) → [delivered, returned, exact, missing]
    tariffs: dict[int, Tariff] = {}

    def book(
        tariff: Tariff, band: str, delivered: Decimal, returned: Decimal, amount: Decimal | None
    ) -> None:
        tariffs[id(tariff)] = tariff
        row = sums.setdefault((id(tariff), band), [ZERO, ZERO, ZERO, 0])
        row[0] += delivered
        row[1] += returned
        if amount is None:
            row[3] += 1
        else:
            row[2] += amount

    def price(tariff: Tariff, start: int, use: tuple[Decimal, Decimal, Decimal, Decimal], amounts) -> None:
        if not any(use):
            return
        if tariff.kind == ContractKind.FIXED:
            for register in (0, 1):
                if use[register] or use[register + 2]:
                    book(tariff, str(register + 1), use[register], use[register + 2], amounts[register])
            return
        band = ""
        if tariff.kind == ContractKind.BANDS and amounts is not None:
            band = tariff.band_at(datetime.fromtimestamp(start, zone)).name
        total = None if amounts is None else amounts[0] + amounts[1]
        book(tariff, band, use[0] + use[1], use[2] + use[3], total)

    for quarter in usage.quarters:
        local = datetime.fromtimestamp(quarter.start, zone)
        tariff = in_force.get(local.date())
        if tariff is None:
            continue
        use = (quarter.delivered_1, quarter.delivered_2, quarter.returned_1, quarter.returned_2)
        amounts = electricity_amounts(
            tariff=tariff,
            moment=quarter.start,
            local=local,
            delivered_1=use[0],
            delivered_2=use[1],
            returned_1=use[2],
            returned_2=use[3],
            market=market,
        )
        price(tariff, quarter.start, use, amounts)
    for block in usage.blocks:
        tariff = in_force.get(datetime.fromtimestamp(block.start, zone).date())
        if tariff is None:
            continue
        amounts = _block_electricity(tariff, block, market)
        if tariff.kind == ContractKind.BANDS and amounts is not None:
            names = {
                tariff.band_at(datetime.fromtimestamp(moment, zone)).name
                for moment in range(block.start, block.end, QUARTER)
            }
            if len(names) > 1:  # bands with equal prices: priced, but no one band's
                delivered, returned = (
                    block.delivered_1 + block.delivered_2,
                    block.returned_1 + block.returned_2,
                )
                book(tariff, "", delivered, returned, amounts[0] + amounts[1])
                continue
        use = (block.delivered_1, block.delivered_2, block.returned_1, block.returned_2)
        price(tariff, block.start, use, amounts)

    def order(key: tuple[int, str]) -> tuple:
        tariff = tariffs[key[0]]
        names = [band.name for band in tariff.bands] + ["1", "2"]
        return (tariff.start, tariff.contract_id or 0, names.index(key[1]) if key[1] in names else len(names))

    return [
        BandCost(
            contract=tariffs[key[0]].label,
            kind=tariffs[key[0]].kind,
            band=key[1],
            delivered=delivered,
            returned=returned,
            cost=None if missing else round_cents(exact),
            missing=missing,
        )
        for key in sorted(sums, key=order)
        for delivered, returned, exact, missing in [sums[key]]
    ]


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
