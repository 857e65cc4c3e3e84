"""What the capacity-tariff page shows (Belgium): each month's peak in kW (the meter's own 1-0:1.6.0 and
ours from the quarter hours, both where they differ), the rolling 12-month average it is billed on, and
the capacity cost in euros, for the months of a contract with a capacity price.

The rules are the cost engine's (``processing.costs``): a month is billed on the meter's peak when it sent
one, else ours (``Usage.peak``); the cost is ``prices.costs.capacity_month_amount`` over the months of the
rolling window that have a peak, with the contract in force on the month's last day with data, rounded
by ``costs_round``. Only the reading of the peaks is faster than the engine's ``costs_for_range``: our
monthly peaks come from the stored complete quarter hours (``processing.quarters.quarter_peaks``, one
aggregate per month, the same quarters and the same × 4 rule as the engine's ``month_peaks_compute``),
not from pricing every quarter of two years, so the page stays fast on years of history. What the engine
adds beyond this is the running quarter hour (not yet complete, so not yet in the stored quarters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from dsmrhub.prices.costs import ZERO, capacity_month_amount, costs_round, tariffs_for_days
from dsmrhub.processing.costs import Usage
from dsmrhub.processing.periods import day_start, from_epoch, local_zone
from dsmrhub.processing.quarters import quarter_peaks
from dsmrhub.readings.peaks import meter_month_peaks

MONTHS = 12  # months shown, the running one last
WINDOW = 12  # the capacity tariff's rolling window
KW = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class CapacityMonth:
    month: date  # first day
    meter_peak: Decimal | None  # kW, the meter's own (1-0:1.6.0 / 0-0:98.1.0)
    our_peak: Decimal | None  # kW, the highest complete quarter hour's average delivered power
    billed_peak: Decimal | None  # the meter's, else ours
    average: Decimal | None  # kW, rolling 12-month average of the billed peaks (each at least the minimum)
    months_in_average: int
    minimum: Decimal | None  # kW, the contract's minimum peak
    price: Decimal | None  # € per kW per year
    cost: Decimal | None  # €, the month's capacity cost; None without a contract with a capacity price

    @property
    def peaks_differ(self) -> bool:
        return self.meter_peak is not None and self.our_peak is not None and self.meter_peak != self.our_peak


@dataclass(frozen=True, slots=True)
class CapacityOverview:
    months: list[CapacityMonth]  # oldest first; months without any peak are left out
    has_contract: bool  # some month is billed by a contract with a capacity price


def _months_back(month: date, count: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - count, 12)
    return date(year, index + 1, 1)


def _our_peaks(months: list[date]) -> tuple[dict[date, Decimal], dict[date, date]]:
    """Month → our peak (kW) and month → its last local day with a quarter, from the stored quarters."""
    peaks: dict[date, Decimal] = {}
    last_days: dict[date, date] = {}
    zone = local_zone()
    for month in months:
        start = from_epoch(day_start(month))
        end = from_epoch(day_start(_months_back(month, -1)) - 900)  # the month's last quarter's start
        found = quarter_peaks(start_gte=start, start_lte=end).aggregate(
            peak=Max("average_delivered"), last=Max("read_at_start")
        )
        if found["peak"] is not None:
            peaks[month] = Decimal(found["peak"]).quantize(KW)
            last = found["last"]
            last_days[month] = (from_epoch(last) if isinstance(last, int) else last).astimezone(zone).date()
    return peaks, last_days


def capacity_overview(*, now: datetime | None = None, months: int = MONTHS) -> CapacityOverview:
    """The last ``months`` months up to now (the running one included): peaks, average and cost."""
    now = now or timezone.now()
    today = now.astimezone(local_zone()).date()
    current = today.replace(day=1)
    shown = [_months_back(current, back) for back in range(months - 1, -1, -1)]
    every = [_months_back(shown[0], back) for back in range(WINDOW - 1, 0, -1)] + shown
    ours, last_days = _our_peaks(every)
    meter = {peak.month: peak.value for peak in meter_month_peaks(first=every[0], last=today)}
    usage = Usage(first=every[0], last=today, quarters=[], gas_hours=[], month_peaks=ours, meter_peaks=meter)
    in_force = tariffs_for_days(first=shown[0], last=today)
    rows = []
    for month in shown:
        billed = usage.peak(month)
        if billed is None:
            continue
        window = [
            peak
            for peak in (usage.peak(_months_back(month, back)) for back in range(WINDOW - 1, -1, -1))
            if peak is not None
        ]
        month_end = min(_months_back(month, -1) - timedelta(days=1), today)
        tariff = in_force.get(min(last_days.get(month, month_end), today))
        price = tariff.prices["capacity_price"] if tariff is not None else None
        if not price:
            rows.append(
                CapacityMonth(month, meter.get(month), ours.get(month), billed, None, 0, None, None, None)
            )
            continue
        amount = capacity_month_amount(tariff=tariff, peaks_kw=window)
        cost = costs_round(
            electricity1=ZERO, electricity2=ZERO, gas=ZERO, fixed=ZERO, capacity=amount
        ).capacity
        # the average the amount is billed on: amount = average × price / 12 (the engine's one rule)
        average = (amount * 12 / price).quantize(KW)
        rows.append(
            CapacityMonth(
                month=month,
                meter_peak=meter.get(month),
                our_peak=ours.get(month),
                billed_peak=billed,
                average=average,
                months_in_average=len(window[-WINDOW:]),
                minimum=tariff.prices["capacity_minimum"],
                price=price,
                cost=cost,
            )
        )
    return CapacityOverview(months=rows, has_contract=any(row.cost is not None for row in rows))
