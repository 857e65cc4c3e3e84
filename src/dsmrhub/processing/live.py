"""The live figures: the latest reading's power, tariff and cost per hour, and the latest gas hour.

One selector for the API (``electricity-live``, ``gas-live``, the status capabilities) and the dashboard
header, so both show the same numbers; they only format them.

Watts: DSMR-reader's API answers whole watts, so power in kW becomes W as ROUND_HALF_UP(kW × 1000).
Readings store kW with 3 decimals, so today this is exact; the rule only decides if that ever changes
(and then 0.0005 kW rounds up, as money does, instead of being cut off by ``int()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from dsmrhub.prices.costs import contract_for_day, cost_per_hour, gas_cost
from dsmrhub.prices.models import ContractKind
from dsmrhub.processing.costs import cost_per_hour_now
from dsmrhub.processing.models import GasConsumption
from dsmrhub.processing.periods import local_zone
from dsmrhub.processing.quarantine import placeable_readings
from dsmrhub.readings.models import MeterStatistics

PHASES = (1, 2, 3)
TARIFFS = (1, 2)  # the meter's 0-0:96.14.0; any other value (or none yet) is an unknown tariff


def watts(kilowatts: Decimal) -> int:
    """kW → whole W, half up (see the module's doc)."""
    return int((kilowatts * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _watts_or_none(kilowatts: Decimal | None) -> int | None:
    return None if kilowatts is None else watts(kilowatts)


def has_returned(*, returned_1: Decimal, returned_2: Decimal, currently_returned: Decimal) -> bool:
    """The meter returns electricity: a returned register has advanced past zero, or it returns right now."""
    return bool(returned_1 > 0 or returned_2 > 0 or currently_returned > 0)


@dataclass(frozen=True, slots=True)
class PhaseFigures:
    phase: int
    delivered: int | None  # W
    returned: int | None  # W
    voltage: Decimal | None  # V


@dataclass(frozen=True, slots=True)
class ElectricityLive:
    timestamp: datetime
    delivered: int  # W
    returned: int  # W
    phases: tuple[PhaseFigures, ...]  # L1, L2, L3 (values None where the meter has none)
    tariff: int | None  # 1 or 2; None: unknown
    cost_per_hour: Decimal | None  # at the current tariff; None without a contract today or a known tariff
    has_returned: bool

    @property
    def powered_phases(self) -> tuple[int, ...]:
        return tuple(p.phase for p in self.phases if p.delivered is not None)

    @property
    def voltage_phases(self) -> tuple[int, ...]:
        return tuple(p.phase for p in self.phases if p.voltage is not None)


@dataclass(frozen=True, slots=True)
class GasLive:
    timestamp: datetime  # the hour's read_at
    delivered: Decimal  # m3 in that hour
    cost: Decimal | None  # None when that day has no contract


def electricity_live_figures(*, now: datetime | None = None) -> ElectricityLive | None:
    """The latest reading's figures (None without readings), priced by the contract of ``now``'s local day."""
    now = now or timezone.now()
    latest = placeable_readings().order_by("-timestamp").first()
    if latest is None:
        return None
    tariff = MeterStatistics.row().values_list("electricity_tariff", flat=True).first()
    tariff = tariff if tariff in TARIFFS else None
    contract = contract_for_day(day=now.astimezone(local_zone()).date())
    cost = None
    if contract is not None and contract.kind != ContractKind.FIXED:  # bands, dynamic: the price now
        cost = cost_per_hour_now(
            now=now,
            tariff_register=tariff,
            delivered_kw=latest.electricity_currently_delivered,
            returned_kw=latest.electricity_currently_returned,
        )
    elif contract is not None and tariff is not None:
        cost = cost_per_hour(
            contract=contract,
            tariff=tariff,
            delivered_kw=latest.electricity_currently_delivered,
            returned_kw=latest.electricity_currently_returned,
        )
    return ElectricityLive(
        timestamp=latest.timestamp,
        delivered=watts(latest.electricity_currently_delivered),
        returned=watts(latest.electricity_currently_returned),
        phases=tuple(
            PhaseFigures(
                phase=p,
                delivered=_watts_or_none(getattr(latest, f"phase_currently_delivered_l{p}")),
                returned=_watts_or_none(getattr(latest, f"phase_currently_returned_l{p}")),
                voltage=getattr(latest, f"phase_voltage_l{p}"),
            )
            for p in PHASES
        ),
        tariff=tariff,
        cost_per_hour=cost,
        has_returned=has_returned(
            returned_1=latest.electricity_returned_1,
            returned_2=latest.electricity_returned_2,
            currently_returned=latest.electricity_currently_returned,
        ),
    )


def gas_live_figures() -> GasLive | None:
    """The latest gas hour and its cost (that hour's local day's contract); None without gas hours."""
    latest = GasConsumption.objects.order_by("-read_at").first()
    if latest is None:
        return None
    contract = contract_for_day(day=latest.read_at.astimezone(local_zone()).date())
    cost = None if contract is None else gas_cost(contract=contract, m3=latest.currently_delivered)
    return GasLive(timestamp=latest.read_at, delivered=latest.currently_delivered, cost=cost)
