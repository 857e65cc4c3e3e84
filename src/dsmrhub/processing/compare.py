"""Replay: what other contracts would have cost over the user's own history, month by month, side by side
with the contracts in force. The energy is read once and priced by each contract (``processing.costs``);
a contract is a stored one (priced over the whole range, whatever its own period) or one entered ad hoc
(``prices.services.contract_spec_parse``). Used by ``dsmrhub contract compare`` and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.utils.translation import gettext as _

from dsmrhub.prices.costs import MarketSeries, tariff_from_spec, tariff_of, tariffs_for_days
from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import FIRST_DAY, LAST_DAY, ContractError, contract_spec_parse
from dsmrhub.prices.tariffs import Tariff
from dsmrhub.processing.costs import PeriodCost, costs_by_period, usage_load
from dsmrhub.processing.periods import day_end, day_start

MAX_DAYS = 366 * 10  # a comparison over more than ten years is a typo


@dataclass(frozen=True, slots=True)
class ComparedContract:
    label: str
    contract_id: int | None  # None: entered ad hoc, or the contracts in force
    in_force: bool  # the column of the contracts actually in force each day
    months: list[PeriodCost]
    total: PeriodCost | None  # None without any data in the range


@dataclass(frozen=True, slots=True)
class Comparison:
    first: date
    last: date
    months: list[date]  # the months with data, in order
    contracts: list[ComparedContract]


def compare_tariff(value: Any, *, number: int) -> Tariff:
    """A contract to compare: a stored contract's id (int or digits) or a spec (a mapping: the JSON form).
    Raises ``ContractError`` with a clear reason."""
    if isinstance(value, bool):
        raise ContractError(_("A contract is a contract id or a contract spec."))
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        if not 0 < int(value) < 2**63:
            raise ContractError(_("There is no contract %(id)s.") % {"id": value})
        contract = EnergyContract.objects.filter(pk=int(value)).first()
        if contract is None:
            raise ContractError(_("There is no contract %(id)s.") % {"id": value})
        return tariff_of(contract)
    if isinstance(value, dict):
        spec = contract_spec_parse({"description": f"ad hoc {number}", **value})
        return tariff_from_spec(spec)
    raise ContractError(_("A contract is a contract id or a contract spec."))


def contracts_compare(
    *, first: date, last: date, tariffs: Sequence[Tariff], now: datetime | None = None
) -> Comparison:
    """The contracts in force and each of ``tariffs`` over the local days [first, last], per month."""
    if last < first:
        raise ContractError(_("The last day lies before the first day."), field="end")
    for day in (first, last):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ContractError(
                _("Choose a day from %(first)s through %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
            )
    if (last - first).days >= MAX_DAYS:
        raise ContractError(_("Compare at most ten years at a time."))
    now = now or datetime.now(UTC)
    usage = usage_load(first=first, last=last, peaks=True, now=now)
    market = MarketSeries(start=day_start(first), end=day_end(last))
    in_force = tariffs_for_days(first=first, last=last)
    columns = [(_("in force"), None, None)] + [(t.label, t.contract_id, t) for t in tariffs]
    compared = []
    for label, contract_id, tariff in columns:
        common = {"usage": usage, "tariff": tariff, "in_force": in_force, "market": market}
        months = costs_by_period(period="month", **common)
        totals = costs_by_period(period="total", **common)
        compared.append(
            ComparedContract(
                label=label,
                contract_id=contract_id,
                in_force=tariff is None,
                months=months,
                total=totals[0] if totals else None,
            )
        )
    months = [row.start.date() for row in compared[0].months]
    return Comparison(first=first, last=last, months=months, contracts=compared)


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def period_cost_json(row: PeriodCost) -> dict[str, Any]:
    """A period's figures for JSON (money and energy as decimal strings; missing costs as null)."""
    return {
        "start": row.start.isoformat(),
        "delivered": str(row.delivered),
        "returned": str(row.returned),
        "gas": str(row.gas),
        "electricity_cost": _money(row.electricity_cost),
        "gas_cost": _money(row.gas_cost),
        "fixed_cost": _money(row.fixed_cost),
        "capacity_cost": _money(row.capacity_cost),
        "total_cost": _money(row.total_cost),
        "missing": row.missing,
        "capacity_peak": _money(row.capacity_peak),
        "capacity_peak_meter": _money(row.capacity_peak_meter),
        "capacity_peak_computed": _money(row.capacity_peak_computed),
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "from": comparison.first.isoformat(),
        "to": comparison.last.isoformat(),
        "contracts": [
            {
                "label": c.label,
                "contract_id": c.contract_id,
                "in_force": c.in_force,
                "months": [
                    {"month": row.start.strftime("%Y-%m"), **period_cost_json(row)} for row in c.months
                ],
                "total": period_cost_json(c.total) if c.total else None,
            }
            for c in comparison.contracts
        ],
    }
