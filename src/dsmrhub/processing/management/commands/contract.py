from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import ContractError, contract_create, contract_delete
from dsmrhub.processing.services import costs_refresh

PRICES = {
    "electricity_delivered_1": "electricity_delivered_1_price",
    "electricity_delivered_2": "electricity_delivered_2_price",
    "electricity_returned_1": "electricity_returned_1_price",
    "electricity_returned_2": "electricity_returned_2_price",
    "gas": "gas_price",
    "fixed_daily_cost": "fixed_daily_cost",
}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _price(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"not a price: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise CommandError(f"a price must be zero or more: {text!r}")
    return value


class Command(BaseCommand):
    help = "Add, list or remove energy contracts (prices per kWh, per m3 and per day)."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add a contract; it may not overlap another")
        add.add_argument("--description", required=True)
        add.add_argument("--start", required=True, type=_date, help="first day (YYYY-MM-DD)")
        add.add_argument("--end", type=_date, help="last day, inclusive (default: open-ended)")
        for option in PRICES:
            add.add_argument(f"--{option.replace('_', '-')}", dest=option, type=_price, default=Decimal(0))
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
                contract = contract_create(
                    description=options["description"],
                    start=options["start"],
                    end=options["end"],
                    **{field: options[option] for option, field in PRICES.items()},
                )
                self.stdout.write(f"added contract {contract.pk}: {contract}")
            else:
                contract = contract_delete(contract_id=options["id"])
                self.stdout.write(f"removed contract {options['id']}: {contract}")
        except ContractError as error:
            raise CommandError(str(error)) from None
        days = costs_refresh(first_day=contract.start, last_day=contract.end)
        self.stdout.write(f"recomputed the costs of {days} days")
