"""A Python client generated from the served schema (openapi-python-client) imports cleanly and calls
every operation of the schema against a live server, each answer parsed into the documented model.

A new operation without required arguments is called as it is; one that needs arguments fails this
test until ``ARGUMENTS`` says what to send, so no operation goes uncalled.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from dsmrhub.processing.contracts import contract_save
from tests.helpers import demo_telegrams

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "dsmrhub_generated_client"
START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 21:00 local time
STEP = timedelta(minutes=10)
TELEGRAMS = 100  # until 12:30 UTC the next day: a finished day (the first one, from 21:00) and today
NOW = START + STEP * TELEGRAMS  # "today" has readings
DAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_setup, django_db_blocker) -> ModuleType:
    """The client package generated from the schema the app serves, imported from a temporary folder."""
    from django.test import Client

    folder = tmp_path_factory.mktemp("client")
    with django_db_blocker.unblock():
        schema = Client().get("/api/v2/schema", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    (folder / "schema.json").write_text(json.dumps(schema.json()))
    (folder / "config.yaml").write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--meta", "none"]
        + ["--path", str(folder / "schema.json"), "--config", str(folder / "config.yaml")]
        + ["--output-path", str(folder / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output, output  # "some pieces may be missing": every schema part must generate
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _operations(schema: dict) -> list[tuple[str, str, str, str]]:
    """(tag, operationId, method, path) of every operation in the schema, in the schema's order."""
    return [
        (operation["tags"][0], operation["operationId"], method, path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def _module(generated: ModuleType, tag: str, operation_id: str) -> ModuleType:
    return importlib.import_module(f"{generated.__name__}.api.{tag.replace('-', '_')}.{operation_id}")


def _models(generated: ModuleType) -> ModuleType:
    return importlib.import_module(f"{generated.__name__}.models")


def _reading(models: ModuleType, moment: datetime) -> Any:
    return models.DsmrReadingRequest(
        timestamp=moment,
        electricity_delivered_1="1000.000",
        electricity_returned_1="0.000",
        electricity_delivered_2="2000.000",
        electricity_returned_2="0.000",
        electricity_currently_delivered="0.500",
        electricity_currently_returned="0.000",
    )


def _label(operation: tuple[str, str, str, str]) -> str:
    """ "METHOD /path", as the schema names an operation (its operationId may change with the schema)."""
    return f"{operation[2].upper()} {operation[3]}"


# What to send to an operation (by its "METHOD /path") that has required arguments or a body; ``made``
# holds what earlier operations answered (e.g. the reading that the delete-by-id operation removes).
ARGUMENTS: dict[str, Callable[[ModuleType, dict[str, Any]], dict[str, Any]]] = {
    "POST /api/v1/datalogger/dsmrreading": lambda models, made: {
        "body": models.V1DataloggerDsmrreadingCreateBody(telegram=made["telegram"])
    },
    "POST /api/v2/datalogger/dsmrreading": lambda models, made: {
        "body": _reading(models, made["own_reading"])
    },
    "DELETE /api/v2/datalogger/dsmrreading/{reading_id}": lambda models, made: {
        "reading_id": made["created_id"]
    },
    "DELETE /api/v2/datalogger/dsmrreading": lambda models, made: {"timestamp": made["own_reading"]},
    "PATCH /api/v2/datalogger/meter-statistics": lambda models, made: {
        "body": models.PatchedMeterStatisticsRequest(dsmr_version="50")
    },
    "GET /api/v2/consumption/devices/{channel}": lambda models, made: {"channel": 1},
    "GET /api/v2/costs": lambda models, made: {"from_": DAY, "to": DAY},
    "GET /api/v2/costs/compare": lambda models, made: {
        "from_": DAY,
        "to": DAY,
        "contract": [made["contract"]],
    },
    "POST /api/v2/costs/compare": lambda models, made: {
        "body": models.CompareBodyRequest.from_dict(
            {"from": DAY.isoformat(), "to": DAY.isoformat(), "contracts": [made["contract"]]}
        )
    },
}
# Run after every other operation: they remove what the others read.
LAST = ("DELETE /api/v2/datalogger/dsmrreading/{reading_id}", "DELETE /api/v2/datalogger/dsmrreading")


@time_machine.travel(NOW, tick=True)
def test_a_generated_client_calls_every_operation(generated, live_server, api_key):
    from django.test import Client

    schema = Client().get("/api/v2/schema", HTTP_ACCEPT="application/json").json()
    models = _models(generated)
    client = generated.AuthenticatedClient(base_url=live_server.url, token=api_key, prefix="Token")
    contract = contract_save(
        description="Fixed",
        start=date(2026, 1, 1),
        prices={"electricity_delivered_1_price": Decimal("0.25"), "fixed_daily_cost": Decimal("0.4")},
    ).contract
    telegrams = demo_telegrams(TELEGRAMS, start=START, step=STEP)
    made: dict[str, Any] = {"contract": contract.pk, "own_reading": START - timedelta(days=30)}

    v1 = _module(generated, "v1", "v1_datalogger_dsmrreading_create")
    for _, telegram in telegrams:
        made["telegram"] = telegram
        stored = v1.sync_detailed(
            client=client, **ARGUMENTS["POST /api/v1/datalogger/dsmrreading"](models, made)
        )
        assert stored.status_code == 201, stored.content
    call_command("process")

    operations = sorted(_operations(schema), key=lambda operation: _label(operation) in LAST)
    called = []
    for tag, operation_id, method, path in operations:
        module = _module(generated, tag, operation_id)
        arguments = ARGUMENTS.get(_label((tag, operation_id, method, path)), lambda models, made: {})(
            models, made
        )
        response = module.sync_detailed(client=client, **arguments)
        summary = f"{method.upper()} {path}: {response.status_code} {response.content[:300]!r}"
        assert 200 <= response.status_code < 300, summary
        if response.content:  # every documented body parses into its model, not into the Error model
            assert response.parsed is not None, summary
            assert type(response.parsed).__name__ != "Error", summary
        if _label((tag, operation_id, method, path)) == "POST /api/v2/datalogger/dsmrreading":
            made["created_id"] = response.parsed.id
            # The range delete removes a second copy: the first one is deleted by its id.
            again = module.sync_detailed(
                client=client, body=_reading(models, made["own_reading"] + timedelta(1))
            )
            assert again.status_code == 201, again.content
            made["own_reading"] = again.parsed.timestamp
        called.append(operation_id)

    assert sorted(called) == sorted(operation[1] for operation in _operations(schema))
    readings = _module(generated, "datalogger", "datalogger_dsmrreading_list").sync(client=client, limit=500)
    assert readings.count == TELEGRAMS  # both of the client's own readings are gone again
    days = _module(generated, "statistics", "statistics_day_list").sync(client=client).results
    assert [day.day for day in days] == [DAY]
    hours = _module(generated, "statistics", "statistics_hour_list").sync(client=client, limit=500).results
    first_day = [hour for hour in hours if hour.hour_start < datetime(2026, 3, 1, 23, 0, tzinfo=UTC)]
    assert len(first_day) == 3  # 21:00, 22:00 and 23:00 local time
    assert Decimal(days[0].electricity1) + Decimal(days[0].electricity2) > 0
    for field in ("electricity1", "electricity2"):  # the typed answers add up: the day is its hours
        assert Decimal(getattr(days[0], field)) == sum(Decimal(getattr(hour, field)) for hour in first_day)


def test_the_generated_package_has_a_module_per_operation(generated):
    from django.test import Client

    schema = Client().get("/api/v2/schema", HTTP_ACCEPT="application/json").json()
    for tag, operation_id, _, _ in _operations(schema):
        module = _module(generated, tag, operation_id)
        assert callable(module.sync_detailed), operation_id
    assert Path(generated.__file__).parent.joinpath("models").is_dir()
