"""Contract changes applied to the derived data: save or delete a contract and reprice its days at once;
and each contract with the use and costs over its period.

What a contract is and which changes are valid belong to ``prices`` (model, cost rules,
``contract_validate``); repricing day statistics is processing's work, so the service that does both lives
here and ``prices`` imports nothing of processing. The contracts page, the admin and the ``contract``
command all call it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dsmrhub.prices.models import ContractKind, EnergyContract
from dsmrhub.prices.services import ContractError, contract_parts, contract_parts_store, contract_validate
from dsmrhub.prices.tariffs import BandSpec, TermSpec
from dsmrhub.processing.selectors import day_statistics_totals
from dsmrhub.processing.services import costs_refresh
from dsmrhub.processing.sql import lock_derived_data


@dataclass(frozen=True, slots=True)
class ContractChange:
    contract: EnergyContract
    days_repriced: int  # day statistics whose costs were recomputed


def _missing(contract_id: int) -> ContractError:
    return ContractError(_("There is no contract %(id)s.") % {"id": contract_id})


def _span(*periods: tuple[date, date | None]) -> tuple[date, date | None]:
    """The smallest range covering every period (None: open-ended)."""
    ends = [end for _, end in periods]
    last = None if None in ends else max(end for end in ends if end is not None)
    return min(start for start, _ in periods), last


def contract_save(
    *,
    contract_id: int | None = None,
    description: str,
    start: date,
    end: date | None = None,
    prices: Mapping[str, Any],
    kind: str | None = None,
    holidays_country: str | None = None,
    bands: Sequence[BandSpec] | None = None,
    terms: Sequence[TermSpec] | None = None,
) -> ContractChange:
    """Add (``contract_id`` None) or change a contract and reprice the days of its old and new period.

    Prices, kind, holidays country, bands and terms not given keep their value (a new contract: 0, fixed,
    none). Validation, the write and the repricing are one transaction under the derived-data lock, so two
    concurrent changes cannot both pass the overlap check.
    """
    with transaction.atomic():
        lock_derived_data()
        stored = None
        if contract_id is not None:
            stored = EnergyContract.objects.select_for_update().filter(pk=contract_id).first()
            if stored is None:
                raise _missing(contract_id)
        kind = kind or (stored.kind if stored else ContractKind.FIXED)
        if holidays_country is None:
            holidays_country = stored.holidays_country if stored else ""
        if kind != ContractKind.BANDS and bands is None:
            bands = []  # parts of another kind are dropped with it
        if kind != ContractKind.DYNAMIC and terms is None:
            terms = []
        if stored is not None and (bands is None or terms is None):
            stored_bands, stored_terms = contract_parts(stored)
            bands = stored_bands if bands is None else bands
            terms = stored_terms if terms is None else terms
        bands, terms = list(bands or []), list(terms or [])
        contract_validate(
            contract_id=contract_id,
            description=description,
            start=start,
            end=end,
            prices=prices,
            kind=kind,
            holidays_country=holidays_country,
            bands=bands,
            terms=terms,
        )
        if stored is None:
            contract = EnergyContract(description=description.strip(), start=start, end=end)
            periods = [(start, end)]
        else:
            contract = stored
            periods = [(start, end), (contract.start, contract.end)]
            contract.description, contract.start, contract.end = description.strip(), start, end
        contract.kind, contract.holidays_country = kind, holidays_country
        for name, value in prices.items():
            setattr(contract, name, Decimal(str(value)))
        contract.save()
        contract_parts_store(contract=contract, bands=bands, terms=terms)
        first, last = _span(*periods)
        days = costs_refresh(first_day=first, last_day=last)
    contract.refresh_from_db()
    return ContractChange(contract=contract, days_repriced=days)


def contract_delete(*, contract_id: int) -> ContractChange:
    """Remove a contract; the days it covered cost 0.00 from now on (repriced at once)."""
    with transaction.atomic():
        lock_derived_data()
        contract = EnergyContract.objects.select_for_update().filter(pk=contract_id).first()
        if contract is None:
            raise _missing(contract_id)
        contract.delete()
        days = costs_refresh(first_day=contract.start, last_day=contract.end)
    contract.pk = contract_id  # Django clears it on delete; callers name the removed contract
    return ContractChange(contract=contract, days_repriced=days)


@dataclass(frozen=True, slots=True)
class ContractTotals:
    """A contract and the sums of the day statistics in its period (days with data only)."""

    contract: EnergyContract
    days: int
    electricity1: Decimal
    electricity2: Decimal
    electricity1_returned: Decimal
    electricity2_returned: Decimal
    gas: Decimal
    electricity1_cost: Decimal
    electricity2_cost: Decimal
    gas_cost: Decimal
    fixed_cost: Decimal
    total_cost: Decimal
    costs_missing: int = 0  # periods whose cost is unknown: the cost sums leave those days out

    @property
    def electricity(self) -> Decimal:
        return self.electricity1 + self.electricity2

    @property
    def electricity_returned(self) -> Decimal:
        return self.electricity1_returned + self.electricity2_returned

    @property
    def electricity_cost(self) -> Decimal:
        return self.electricity1_cost + self.electricity2_cost


def contract_totals(*, contract: EnergyContract) -> ContractTotals:
    """Sum the day statistics of ``contract``'s period in one aggregate query."""
    return ContractTotals(contract=contract, **day_statistics_totals(first=contract.start, last=contract.end))


def contracts_with_totals() -> list[ContractTotals]:
    """Every contract, newest first, with its totals (one aggregate query per contract)."""
    return [contract_totals(contract=c) for c in EnergyContract.objects.order_by("-start")]
