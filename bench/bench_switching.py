"""Switching from DSMR-reader: readings/s of `import-dsmrreader` from a local PostgreSQL into a fresh SQLite,
against the same rows stored by dsmrhub's own bulk path (the one check, then ``readings_store_checked``).

A DSMR-reader v5.11 database (the schema from ../shared/interop/dsmr-reader) gets READINGS generated rows,
made in PostgreSQL with generate_series and shaped like a meter's: a telegram every 10 s, the low-tariff
register counting at night and the normal one by day (a new position almost every telegram, as a real
meter's), a gas value every 5 minutes, per-phase powers, voltages and currents. Each measurement runs in a
process of its own with its own data dir (a fresh SQLite database, migrated before the clock starts):

- import: ``dsmrreader_import`` as the command runs it (reading with COPY on a snapshot, checking, storing,
  the change triggers marking minutes for processing), timed from the first reading to the last;
- own bulk path: the same rows read from PostgreSQL first (not timed), then checked and stored by
  ``readings_check_values_many`` + ``readings_store_checked`` in the importer's batch size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READINGS = int(os.environ.get("DSMRHUB_BENCH_SWITCHING_READINGS", "1000000"))
SERVER = os.environ.get("DSMRHUB_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
SCHEMA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "interop"
    / "dsmr-reader"
    / "dsmr-reader-5.11-schema.sql"
)

GENERATE = """
INSERT INTO dsmr_datalogger_dsmrreading (
    timestamp, electricity_delivered_1, electricity_returned_1, electricity_delivered_2,
    electricity_returned_2,
    electricity_currently_delivered, electricity_currently_returned, extra_device_timestamp,
    extra_device_delivered, processed, phase_currently_delivered_l1, phase_currently_delivered_l2,
    phase_currently_delivered_l3, phase_currently_returned_l1, phase_currently_returned_l2,
    phase_currently_returned_l3, phase_voltage_l1, phase_voltage_l2, phase_voltage_l3,
    phase_power_current_l1, phase_power_current_l2, phase_power_current_l3)
SELECT timestamptz '2024-01-01 00:00:00+00' + n * interval '10 seconds',
       round(1000 + low * 0.0013, 3), 300.123, round(2000 + (n - low) * 0.0011, 3), 400.456,
       watt / 1000.0, 0, timestamptz '2024-01-01 00:00:00+00' + (n / 30 * 30) * interval '10 seconds',
       round(5000 + (n / 30) * 0.004, 3), true,
       round(watt * 0.5 / 1000.0, 3), round(watt * 0.3 / 1000.0, 3), round(watt * 0.2 / 1000.0, 3), 0, 0, 0,
       228.0 + (n % 40) * 0.1, 229.5, 231.0, n % 7, 1, 0
FROM (
    SELECT n, 200 + (n * 7919) % 1800 AS watt,
           -- low-tariff telegrams before n: 00:00-07:00 and 23:00-24:00 of each day (8640 telegrams a day)
           (n / 8640) * 2880 + least(n % 8640, 2520) + greatest(0, n % 8640 - 8280) AS low
    FROM generate_series(0::bigint, %s - 1) AS n
) AS g
"""


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _source(name: str) -> str:
    import psycopg

    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    url = f"{SERVER}/{name}"
    subprocess.run(
        ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(SCHEMA)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(GENERATE.replace("%s", str(READINGS)))
        conn.execute("ANALYZE dsmr_datalogger_dsmrreading")
    return url


def _child(kind: str, url: str) -> dict:
    """In a process of its own: a fresh SQLite, then one measurement."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if kind == "import":
        from dsmrhub.switching.services import dsmrreader_import

        marks: list[tuple[int, float]] = []
        summary = dsmrreader_import(
            url=url, progress=lambda done, total, seconds: marks.append((done, seconds))
        )
        assert summary.readings_stored == READINGS, summary.lines()
        return {"readings": READINGS, "seconds": marks[-1][1] - marks[0][1]}
    from dsmrhub.readings.bulk import readings_check_values_many, readings_store_checked
    from dsmrhub.readings.models import DsmrReading
    from dsmrhub.switching import dsmrreader
    from dsmrhub.switching.services import BATCH, _values

    source = dsmrreader.source_open(url=url)
    batches = [
        [_values(row) for row in rows] for rows in dsmrreader.readings_stream(source, since=None, batch=BATCH)
    ]
    source.close()
    began = time.perf_counter()
    for values in batches:
        readings_store_checked(checked=readings_check_values_many(values))
    seconds = time.perf_counter() - began
    assert DsmrReading.objects.count() == READINGS
    return {"readings": READINGS, "seconds": seconds}


def _measure(kind: str, url: str) -> dict:
    data_dir = tempfile.mkdtemp(prefix=f"dsmrhub-bench-switching-{kind}-")
    env = {**os.environ, "DSMRHUB_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "dsmrhub.settings"}
    env.pop("DSMRHUB_DATABASE_URL", None)
    env["DSMRHUB_LOG_LEVEL"] = "WARNING"
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_switching", "--child", kind, url],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> dict[str, dict]:
    if not SCHEMA.exists():
        print(f"bench_switching: {SCHEMA} not found; skipped")
        return {}
    name = f"dsmrreader_bench_{os.getpid()}"
    began = time.perf_counter()
    try:
        url = _source(name)
        print(f"  source: {READINGS:,} generated readings in {time.perf_counter() - began:.1f} s", flush=True)
        imported = _measure("import", url)
        bulk = _measure("bulk", url)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    import_rate = imported["readings"] / imported["seconds"]
    bulk_rate = bulk["readings"] / bulk["seconds"]
    return {
        "import-dsmrreader-readings-per-s": {
            "value": import_rate,
            "unit": f"readings/s ({READINGS:,} from local PostgreSQL into fresh SQLite: read, check, store)",
        },
        "import-dsmrreader-own-bulk-readings-per-s": {
            "value": bulk_rate,
            "unit": "readings/s (the same rows, already in memory: check + store by readings.bulk)",
        },
        "import-dsmrreader-vs-own-bulk": {
            "value": import_rate / bulk_rate,
            "unit": "ratio (import / own bulk)",
        },
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(sys.argv[2], sys.argv[3])))
    else:
        for figure, data in run().items():
            print(f"{figure}: {data['value']:,.2f} {data['unit']}")
