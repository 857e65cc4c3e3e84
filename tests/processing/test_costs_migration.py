"""processing 0007 (nullable day costs, ``costs_missing``): a day stored before it keeps every value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("processing", "0006_gas_resolution")]
AFTER = [("processing", "0007_day_costs_missing")]
COSTS = {
    "electricity1_cost": Decimal("1.23"),
    "electricity2_cost": Decimal("4.56"),
    "gas_cost": Decimal("7.89"),
    "fixed_cost": Decimal("0.123456"),
    "total_cost": Decimal("13.80"),
}


@pytest.mark.django_db(transaction=True)
def test_a_day_stored_before_the_migration_keeps_its_costs():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("processing", "DayStatistics")
    zero = Decimal("0")
    use = {name: Decimal("10.5") for name in ("electricity1", "electricity2", "electricity1_returned", "gas")}
    readings = {
        name: Decimal("1000")
        for name in (
            "electricity1_reading",
            "electricity2_reading",
            "electricity1_returned_reading",
            "electricity2_returned_reading",
        )
    }
    old.objects.create(day=date(2026, 3, 2), electricity2_returned=zero, **use, **readings, **COSTS)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("processing", "DayStatistics")
    row = new.objects.get(day=date(2026, 3, 2))
    assert {name: getattr(row, name) for name in COSTS} == COSTS
    assert (row.costs_missing, row.electricity1, row.gas_reading) == (0, Decimal("10.5"), None)
    # back to the latest state for the tests after this one
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
