"""Readings for the dashboard tests: a household with solar panels on a known schedule, and the figures the
dashboard must show for it, worked out from the schedule (never read from the code under test).

Every reading is 10 s past a half hour (the meter's own clock; a real meter sends every second) and adds
half an hour of use at the rates of its local day: so a day (readings in (midnight, next midnight]) has 24
hours of use, and today up to a reading at hh:30:10 has (hh + 1) hours. Gas is stamped every half hour (like a
DSMR 5 meter's five-minute values) and rises by half of ``GAS_PER_HOUR`` per stamp: today's gas counts the
stamps after midnight (00:30 … hh:30), hh + ½ hours, and the gas hour hh (only its stamp hh:30 so far) is
still running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import MeterStatistics
from tests.processing.builders import reading, store

D = Decimal
AMS = ZoneInfo("Europe/Amsterdam")
STEP = timedelta(minutes=30)
OFFSET = timedelta(seconds=10)
GAS_PER_HOUR = D("0.100")

# kWh per hour (delivered tariff 1, tariff 2, returned tariff 1): earlier days and today
EARLIER = (D("0.2"), D("0.1"), D("0.05"))
TODAY = (D("0.4"), D("0.1"), D("0.05"))

PRICES = {
    "electricity_delivered_1_price": D("0.25"),
    "electricity_delivered_2_price": D("0.20"),
    "electricity_returned_1_price": D("0.10"),
    "electricity_returned_2_price": D("0.10"),
    "gas_price": D("1.00"),
    "fixed_daily_cost": D("0.50"),
}


def R(amount: Decimal) -> Decimal:
    """Half up (away from zero) to cents, written out here."""
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def kwh(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.001"), rounding=ROUND_HALF_UP)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=AMS)


@dataclass(frozen=True)
class Schedule:
    first: datetime  # the first reading (UTC)
    last: datetime  # the latest reading (UTC)
    today: date

    @property
    def hours_today(self) -> int:
        """Hours of use today: one per two readings after local midnight."""
        return round((self.last - local_midnight(self.today).astimezone(UTC) - OFFSET) / STEP + 1) // 2


def readings_store(*, today: date, last_local: time, days_before: int, contract: bool = True) -> Schedule:
    """Readings from noon ``days_before`` days before ``today`` up to ``last_local`` (hh:30) today, plus 10 s;
    with ``contract`` the fixed contract ``PRICES`` from long before. Processed."""
    first = (local_midnight(today - timedelta(days=days_before)) + timedelta(hours=12) + OFFSET).astimezone(
        UTC
    )
    last = (datetime.combine(today, last_local, tzinfo=AMS) + OFFSET).astimezone(UTC)
    position = [D(1000), D(2000), D(0)]
    gas = D(500)
    rows = []
    moment = first
    while moment <= last:
        rates = TODAY if moment.astimezone(AMS).date() == today and moment > first else EARLIER
        if moment > first:
            position = [p + rate / 2 for p, rate in zip(position, rates, strict=True)]
        stamp = moment.replace(second=0)
        if moment > first:
            gas += GAS_PER_HOUR / 2
        rows.append(
            reading(
                moment,
                str(position[0]),
                str(position[1]),
                r1=str(position[2]),
                power="0.400",
                returned="0.050",
                gas=(stamp, str(gas)),
            )
        )
        moment += STEP
    store(*rows)
    MeterStatistics.store(timestamp=last, electricity_tariff=1)
    if contract:
        contract_save(description="fixed", start=today - timedelta(days=400), prices=PRICES)
    processing_run_pending()
    return Schedule(first=first, last=last, today=today)


def expected_today(schedule: Schedule) -> dict[str, Decimal]:
    """Today's figures of the schedule, by hand."""
    hours = D(schedule.hours_today)
    d1, d2, r1 = (rate * hours for rate in TODAY)
    gas = GAS_PER_HOUR * (hours - D("0.5"))
    e1 = R(d1 * PRICES["electricity_delivered_1_price"] - r1 * PRICES["electricity_returned_1_price"])
    e2 = R(d2 * PRICES["electricity_delivered_2_price"])
    gas_cost = R(gas * PRICES["gas_price"])
    return {
        "electricity1": kwh(d1),
        "electricity2": kwh(d2),
        "electricity": kwh(d1 + d2),
        "electricity_returned": kwh(r1),
        "net": kwh(d1 + d2 - r1),
        "gas": kwh(gas),
        "electricity1_cost": e1,
        "electricity2_cost": e2,
        "electricity_cost": e1 + e2,
        "gas_cost": gas_cost,
        "fixed_cost": R(PRICES["fixed_daily_cost"]),
        "total_cost": R(e1 + e2 + gas_cost + PRICES["fixed_daily_cost"]),
        "compensation": R(r1 * PRICES["electricity_returned_1_price"]),
    }


def expected_earlier_day() -> dict[str, Decimal]:
    """A whole earlier day: 24 hours at the earlier rates."""
    d1, d2, r1 = (rate * 24 for rate in EARLIER)
    gas = GAS_PER_HOUR * 24
    e1 = R(d1 * PRICES["electricity_delivered_1_price"] - r1 * PRICES["electricity_returned_1_price"])
    e2 = R(d2 * PRICES["electricity_delivered_2_price"])
    return {
        "electricity": d1 + d2,
        "electricity_returned": r1,
        "gas": gas,
        "total_cost": R(e1 + e2 + R(gas * PRICES["gas_price"]) + PRICES["fixed_daily_cost"]),
    }
