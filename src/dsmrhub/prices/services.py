"""Contract changes: one validation and one save/delete that reprices the affected days at once.

The web form, the ``contract`` command and the admin all call ``contract_validate`` (to show errors) and
``contract_save``/``contract_delete`` (which validate again under the lock, store, and reprice).
The cost rules themselves live in ``prices.costs``, below processing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MinValueValidator
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.services import costs_refresh
from dsmrhub.processing.sql import lock_derived_data

PRICE_FIELDS = (
    "electricity_delivered_1_price",
    "electricity_delivered_2_price",
    "electricity_returned_1_price",
    "electricity_returned_2_price",
    "gas_price",
    "fixed_daily_cost",
)
# Contract days must lie in this range (or the end be empty: open-ended). Meters with a P1 port date from
# 2008, so 2000 leaves room for any imported history; a last day beyond 2099 is a typo or a stand-in for
# "no end" (9999-12-31), and the day after such a date no longer exists for Python's date type.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


class ContractError(ValueError):
    """A contract change that cannot be made; the message says why, in the active language (dates as
    YYYY-MM-DD, the same on pages, in the admin and on the command line).

    ``field``: the field at fault (a model field name; None: the contract as a whole);
    ``overlaps``: the contract in the way, for an overlap.
    """

    def __init__(
        self, message: str, *, field: str | None = None, overlaps: EnergyContract | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.overlaps = overlaps


@dataclass(frozen=True, slots=True)
class ContractChange:
    contract: EnergyContract
    days_repriced: int  # day statistics whose costs were recomputed


def _price_check(name: str, value: Any) -> None:
    field = EnergyContract._meta.get_field(name)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ContractError(_("Enter a number."), field=name) from None
    if not number.is_finite():
        raise ContractError(_("Enter a number."), field=name)
    try:
        DecimalValidator(field.max_digits, field.decimal_places)(number)
        MinValueValidator(Decimal(0))(number)
    except ValidationError as error:
        raise ContractError(" ".join(error.messages), field=name) from None


def _overlapping(*, start: date, end: date | None, contract_id: int | None) -> EnergyContract | None:
    others = EnergyContract.objects.filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        others = others.filter(start__lte=end)
    if contract_id is not None:
        others = others.exclude(pk=contract_id)
    return others.order_by("start").first()


def contract_validate(
    *,
    contract_id: int | None = None,
    description: str,
    start: date,
    end: date | None,
    prices: Mapping[str, Any],
) -> None:
    """Raise ``ContractError`` for the first thing wrong with this contract (``contract_id``: the one being
    changed, None for a new one): description, prices (zero or more, 6 decimals), dates (in range, end not
    before start) and overlap. A contract holds the prices of every commodity, so contracts may not overlap
    at all (an overlap for one commodity is one for all)."""
    if not description.strip():
        raise ContractError(_("A contract needs a description."), field="description")
    unknown = sorted(set(prices) - set(PRICE_FIELDS))
    if unknown:
        raise ContractError(f"unknown price fields: {', '.join(unknown)}")
    for name in PRICE_FIELDS:
        if name in prices:
            _price_check(name, prices[name])
    for name, day in (("start", start), ("end", end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise ContractError(
                _("Choose a day from %(first)s through %(last)s (leave the last day empty for no end).")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
                field=name,
            )
    if end is not None and end < start:
        raise ContractError(_("The last day lies before the first day."), field="end")
    other = _overlapping(start=start, end=end, contract_id=contract_id)
    if other is not None:
        raise ContractError(
            _(
                "This period overlaps the contract “%(description)s” (%(start)s – %(end)s); "
                "contracts may not overlap."
            )
            % {
                "description": other.description,
                "start": other.start.isoformat(),
                "end": other.end.isoformat() if other.end else _("open end"),
            },
            overlaps=other,
        )


def contract_day_after(contract: EnergyContract) -> date | None:
    """The first day a next contract can start on; None when ``contract`` is open-ended or ends at (or
    beyond, if stored before the range was enforced) the last allowed day."""
    if contract.end is None or not FIRST_DAY <= contract.end < LAST_DAY:
        return None
    return contract.end + timedelta(days=1)


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
) -> ContractChange:
    """Add (``contract_id`` None) or change a contract and reprice the days of its old and new period.

    Prices not given keep their value (a new contract: 0). Validation, the write and the repricing are one
    transaction under the derived-data lock, so two concurrent changes cannot both pass the overlap check.
    """
    with transaction.atomic():
        lock_derived_data()
        contract_validate(
            contract_id=contract_id, description=description, start=start, end=end, prices=prices
        )
        if contract_id is None:
            contract = EnergyContract(description=description.strip(), start=start, end=end)
            periods = [(start, end)]
        else:
            contract = EnergyContract.objects.select_for_update().filter(pk=contract_id).first()
            if contract is None:
                raise _missing(contract_id)
            periods = [(start, end), (contract.start, contract.end)]
            contract.description, contract.start, contract.end = description.strip(), start, end
        for name, value in prices.items():
            setattr(contract, name, Decimal(str(value)))
        contract.save()
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
