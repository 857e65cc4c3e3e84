"""``dsmrhub contract add|list|remove|compare``: the CLI over ``processing.contracts`` (same checks and
repricing) and ``processing.compare`` (what other contracts would have cost)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import ContractError, band_periods_text, contract_parts, contract_spec_parse
from dsmrhub.processing.compare import Comparison, compare_tariff, comparison_json, contracts_compare
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
        add = actions.add_parser(
            "add",
            help="add a contract; it may not overlap another",
            description="A fixed contract from the options, or any kind (fixed, bands, dynamic) from --spec.",
        )
        add.add_argument(
            "--spec",
            type=_spec,
            help="the contract as JSON (a file, or the text itself): kind, bands, terms, prices "
            "(the README's 'Contract kinds'); the options below are then not used",
        )
        add.add_argument("--description")
        add.add_argument("--start", type=_date, help="first day (YYYY-MM-DD, from 2000-01-01)")
        add.add_argument(
            "--end", type=_date, help="last day, inclusive, at most 2099-12-31 (default: open-ended)"
        )
        for option in PRICES:
            add.add_argument(f"--{option.replace('_', '-')}", dest=option, type=_number, default=Decimal(0))
        actions.add_parser("list", help="list the contracts")
        remove = actions.add_parser("remove", help="remove a contract")
        remove.add_argument("id", type=int)
        compare = actions.add_parser(
            "compare",
            help="what contracts would have cost over your own history, per month",
            description="Price your own history with each CONTRACT (a stored contract's id, a JSON file, "
            "or JSON text) and show it per month next to the contracts in force.",
        )
        compare.add_argument("--from", dest="first", required=True, type=_date, help="first day (YYYY-MM-DD)")
        compare.add_argument("--to", dest="last", required=True, type=_date, help="last day (YYYY-MM-DD)")
        compare.add_argument("--json", action="store_true", help="print JSON (for scripts)")
        compare.add_argument("contracts", nargs="*", metavar="CONTRACT", type=_contract_arg)

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            for contract in EnergyContract.objects.all():
                prices = "  ".join(f"{option}={getattr(contract, field)}" for option, field in PRICES.items())
                end = contract.end or "open end"
                what = f"{contract.description}  {contract.kind}"
                self.stdout.write(f"{contract.pk}  {contract.start} – {end}  {what}  {prices}")
                bands, terms = contract_parts(contract)
                for band in bands:
                    prices = f"delivered={band.delivered_price} returned={band.returned_price}"
                    self.stdout.write(f"    band {band.name}: {prices}  {band_periods_text(band.periods)}")
                for term in terms:
                    formula = f"(market + {term.markup} + {term.tax}) × (1 + {term.vat_percent}%)"
                    self.stdout.write(f"    {term.commodity}: {formula}")
            return
        if action == "compare":
            self._compare(**options)
            return
        try:
            if action == "add" and options["spec"] is not None:
                spec = contract_spec_parse(options["spec"])
                change = contract_save(
                    description=spec.description,
                    start=spec.start,
                    end=spec.end,
                    prices=spec.prices,
                    kind=spec.kind,
                    holidays_country=spec.holidays_country,
                    bands=spec.bands,
                    terms=spec.terms,
                )
                self.stdout.write(f"added contract {change.contract.pk}: {change.contract}")
            elif action == "add":
                for name in ("description", "start"):
                    if options[name] is None:
                        raise CommandError(f"--{name} is required (or give the contract as --spec)")
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

    def _compare(self, *, first: date, last: date, contracts: list[Any], **options) -> None:
        try:
            tariffs = [compare_tariff(value, number=n) for n, value in enumerate(contracts, start=1)]
            comparison = contracts_compare(first=first, last=last, tariffs=tariffs)
        except ContractError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(comparison_json(comparison), indent=2))
            return
        self.stdout.write(_table(comparison))
        totals = [c.total.total_cost if c.total else None for c in comparison.contracts]
        known = [(t, c.label) for t, c in zip(totals, comparison.contracts, strict=True) if t is not None]
        if len(known) > 1:
            cheapest = min(known)
            self.stdout.write(f"cheapest: {cheapest[1]} ({cheapest[0]})")


def _cell(value: Decimal | None, missing: int) -> str:
    return f"missing {missing}" if value is None else f"{value:.2f}"  # periods without a price


def _table(comparison: Comparison) -> str:
    """Months down, contracts across: total cost per month, then the totals (missing prices say so)."""
    heads = ["month", *(c.label[:24] for c in comparison.contracts)]
    rows = []
    for index, month in enumerate(comparison.months):
        row = [month.strftime("%Y-%m")]
        for column in comparison.contracts:
            cost = column.months[index]
            row.append(_cell(cost.total_cost, cost.missing))
        rows.append(row)
    rows.append(
        ["total"]
        + [_cell(c.total.total_cost, c.total.missing) if c.total else "-" for c in comparison.contracts]
    )
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    lines = [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [heads, *rows]
    ]
    if not comparison.months:
        lines.append(f"no consumption from {comparison.first} through {comparison.last}")
    return "\n".join(lines)


def _spec(text: str) -> Any:
    """--spec: a JSON file or the JSON text itself."""
    source = text
    if not text.lstrip().startswith("{"):
        try:
            source = Path(text).read_text()
        except OSError as error:
            raise CommandError(f"cannot read {text}: {error.strerror}") from None
    try:
        return json.loads(source)
    except json.JSONDecodeError as error:
        raise CommandError(f"not JSON ({error.msg}, line {error.lineno}): {text[:60]}") from None


def _contract_arg(text: str) -> Any:
    """CONTRACT: a stored contract's id, or a JSON spec (a file or the text itself)."""
    return text if text.isdigit() else _spec(text)
