"""Which contracts are valid: one validation for the contracts page, the ``contract`` command and the admin.

They call ``contract_validate`` to show errors, and ``processing.contracts.contract_save``/``contract_delete``
to store a change (validated again under the lock) and reprice its days at once. The cost rules live in
``prices.costs``. Nothing in ``prices`` imports processing (docs/architecture.md, the package graph).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext as _

from dsmrhub.prices.models import EnergyContract

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
