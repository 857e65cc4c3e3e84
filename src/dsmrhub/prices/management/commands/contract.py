"""``dsmrhub contract add|list|remove``: the CLI over ``processing.contracts`` (same checks and repricing)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import ContractError
from dsmrhub.processing.contracts import contract_delete, contract_save

PRICES = {  # option → model field
    "electricity_delivered_1": "electricity_delivered_1_price",
    "electricity_delivered_2": "electricity_delivered_2_price",
    "electricity_returned_1": "electricity_returned_1_price",
    "electricity_returned_2": "electricity_returned_2_price",
    "gas": "gas_price",
    "fixed_daily_cost": "fixed_daily_cost",
}
OPTIONS = {"start": "--start", "end": "--end"} | {
    field: f"--{option.replace('_', '-')}" for option, field in PRICES.items()
}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _number(text: str) -> Decimal:
    """Parse only; whether the price is allowed is the service's call."""
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CommandError(f"not a number: {text!r}") from None


class Command(BaseCommand):
    help = "Add, list or remove energy contracts (prices per kWh, per m3 and per day)."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add a contract; it may not overlap another")
        add.add_argument("--description", required=True)
        add.add_argument("--start", required=True, type=_date, help="first day (YYYY-MM-DD, from 2000-01-01)")
        add.add_argument(
            "--end", type=_date, help="last day, inclusive, at most 2099-12-31 (default: open-ended)"
        )
        for option in PRICES:
            add.add_argument(f"--{option.replace('_', '-')}", dest=option, type=_number, default=Decimal(0))
        actions.add_parser("list", help="list the contracts")
        remove = actions.add_parser("remove", help="remove a contract")
        remove.add_argument("id", type=int)

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            for contract in EnergyContract.objects.all():
                prices = "  ".join(f"{option}={getattr(contract, field)}" for option, field in PRICES.items())
                end = contract.end or "open end"
                self.stdout.write(
                    f"{contract.pk}  {contract.start} – {end}  {contract.description}  {prices}"
                )
            return
        try:
            if action == "add":
                change = contract_save(
                    description=options["description"],
                    start=options["start"],
                    end=options["end"],
                    prices={field: options[option] for option, field in PRICES.items()},
                )
                self.stdout.write(f"added contract {change.contract.pk}: {change.contract}")
            else:
                change = contract_delete(contract_id=options["id"])
                self.stdout.write(f"removed contract {options['id']}: {change.contract}")
        except ContractError as error:
            option = OPTIONS.get(error.field or "")
            raise CommandError(f"{option}: {error}" if option else str(error)) from None
        self.stdout.write(f"recomputed the costs of {change.days_repriced} days")
