"""Cost engine speed: a year of quarter-hour costs recomputed on SQLite (the target: under 10 s).

The year (2025, Europe/Amsterdam: 35,040 quarters) is generated as minute rows (525,600, as processing
leaves them: the engine reads the minute table, never the readings), gas hours (8,760) and a market price
per quarter hour (35,040, about a fifth of them below zero). Measured, each from the database:

- ``costs-year-quarters-dynamic-seconds``: read the year's quarter energy and gas (``usage_load``, with the
  capacity tariff's monthly peaks) and price every quarter with a dynamic contract (``costs_by_period``);
- ``costs-year-quarters-bands-seconds``: the same with a time-of-use contract (holidays as a day type);
- ``costs-year-compare-seconds``: ``contracts_compare`` over the year, three contracts and the one in force;
- ``costs-year-day-statistics-seconds``: repricing 365 day statistics of a dynamic contract
  (``day_costs_of``: what a price import or a contract change does).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, date, datetime

FIRST, LAST = date(2025, 1, 1), date(2025, 12, 31)


def _setup() -> None:
    data_dir = tempfile.mkdtemp(prefix="dsmrhub-bench-costs-")
    os.environ["DSMRHUB_DATA_DIR"] = data_dir
    os.environ.pop("DSMRHUB_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsmrhub.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _generate(start: int, end: int) -> None:
    """Minute rows, gas hours and quarter-hour market prices for [start, end), inside SQLite."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # minute rows: about 0.3 to 3.3 kW on tariff 1 or 2 (by the hour), some return at midday
        cursor.execute(
            "WITH RECURSIVE s(t) AS (SELECT %s UNION ALL SELECT t + 60 FROM s WHERE t < %s) "
            "INSERT INTO processing_electricityconsumption (read_at, delivered_1, returned_1, delivered_2, "
            "returned_2, currently_delivered, currently_returned) "
            "SELECT t, 1000000 + (t - %s) / 60 * 5 + (t - %s) / 3600 * 7, 0 + (t - %s) / 86400 * 900, "
            "2000000 + (t - %s) / 60 * 4, 0, 500, 0 FROM s",
            [start - 60, end, start, start, start, start],
        )
        cursor.execute(
            "WITH RECURSIVE s(t) AS (SELECT %s UNION ALL SELECT t + 3600 FROM s WHERE t < %s) "
            "INSERT INTO processing_gasconsumption (read_at, delivered, currently_delivered) "
            "SELECT t, 500000 + (t - %s) / 3600 * 120, 120 + t % 7 FROM s",
            [start, end - 3600, start],
        )
        cursor.execute(
            "WITH RECURSIVE s(t) AS (SELECT %s UNION ALL SELECT t + 900 FROM s WHERE t < %s) "
            'INSERT INTO spotprices_marketprice (commodity, start, "end", price, source, fetched_at) '
            "SELECT 'electricity_delivered', t, t + 900, (t / 900 * 7919) %% 400000 - 80000, 'bench', "
            "'2025-01-01 00:00:00' FROM s",
            [start, end - 900],
        )


def _timed(function) -> tuple[float, object]:
    began = time.perf_counter()
    result = function()
    return time.perf_counter() - began, result


def run() -> dict[str, dict]:
    _setup()
    from decimal import Decimal

    from dsmrhub.prices.costs import tariff_from_spec
    from dsmrhub.prices.services import contract_spec_parse
    from dsmrhub.processing.compare import contracts_compare
    from dsmrhub.processing.contracts import contract_save
    from dsmrhub.processing.costs import costs_by_period, day_costs_of, usage_load
    from dsmrhub.processing.periods import day_end, day_start

    start, end = day_start(FIRST), day_end(LAST)
    _generate(start, end)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    dynamic = {
        "description": "dynamic",
        "start": "2025-01-01",
        "end": "2025-12-31",
        "kind": "dynamic",
        "fixed_monthly_cost": "5.99",
        "capacity_price": "53.26",
        "terms": {
            "electricity_delivered": {"markup": "0.02", "tax": "0.1088", "vat_percent": "21"},
            "electricity_returned": {"markup": "-0.01"},
        },
    }
    bands = {
        "description": "bands",
        "kind": "bands",
        "holidays_country": "NL",
        "bands": [
            {"name": "peak", "delivered": "0.31", "returned": "0.08",
             "periods": [{"days": "mon-fri", "hours": "07:00-23:00"}]},
            {"name": "off-peak", "delivered": "0.22", "returned": "0.08",
             "periods": [{"days": "mon-fri", "hours": "23:00-07:00"}, {"days": "sat-sun,holiday"}]},
        ],
    }  # fmt: skip
    spec = contract_spec_parse(dynamic)
    contract_save(
        description=spec.description,
        start=spec.start,
        end=spec.end,
        prices=spec.prices,
        kind=spec.kind,
        terms=spec.terms,
    )

    def year_of_quarters(tariff=None):
        usage = usage_load(first=FIRST, last=LAST, peaks=True, now=now)
        return costs_by_period(usage=usage, period="quarter", tariff=tariff)

    dynamic_seconds, quarters = _timed(year_of_quarters)
    assert len(quarters) == 35_040, len(quarters)
    assert not any(q.missing for q in quarters)
    bands_tariff = tariff_from_spec(contract_spec_parse(bands))
    bands_seconds, _ = _timed(lambda: year_of_quarters(bands_tariff))
    fixed = tariff_from_spec(
        contract_spec_parse({"description": "fixed", "electricity_delivered_1_price": "0.27"})
    )
    compare_seconds, comparison = _timed(
        lambda: contracts_compare(
            first=FIRST, last=LAST, tariffs=[bands_tariff, fixed, tariff_from_spec(spec)], now=now
        )
    )
    assert len(comparison.months) == 12
    use = {name: Decimal("10.000") for name in ("electricity1", "electricity2", "electricity1_returned")}
    days = {date.fromordinal(d): {**use, "electricity2_returned": Decimal(0), "gas": Decimal("2.000")}
            for d in range(FIRST.toordinal(), LAST.toordinal() + 1)}  # fmt: skip
    stats_seconds, _ = _timed(lambda: day_costs_of(first=FIRST, last=LAST, days=days))
    return {
        "costs-year-quarters-dynamic-seconds": {
            "value": dynamic_seconds,
            "unit": "s (35,040 quarters, SQLite)",
        },
        "costs-year-quarters-bands-seconds": {"value": bands_seconds, "unit": "s (35,040 quarters, SQLite)"},
        "costs-year-compare-seconds": {
            "value": compare_seconds,
            "unit": "s (in force + 3 contracts, a year)",
        },
        "costs-year-day-statistics-seconds": {
            "value": stats_seconds,
            "unit": "s (365 dynamic days repriced)",
        },
    }


if __name__ == "__main__":
    for figure, data in run().items():
        print(f"{figure}: {data['value']:,.2f} {data['unit']}")
