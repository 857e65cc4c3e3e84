"""Ingest throughput: demo telegrams through the ingest service into a fresh SQLite file."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta


def run() -> dict[str, dict]:
    data_dir = tempfile.mkdtemp(prefix="dsmrhub-bench-")
    os.environ["DSMRHUB_DATA_DIR"] = data_dir
    os.environ.pop("DSMRHUB_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsmrhub.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from dsmrhub.datalogger.demo import DemoMeter
    from dsmrhub.readings.services import reading_ingest_telegram

    call_command("migrate", verbosity=0)
    meter = DemoMeter(seed=1)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    telegrams = [meter.telegram_at(start + timedelta(seconds=n)) for n in range(3000)]
    began = time.perf_counter()
    for telegram in telegrams:
        reading_ingest_telegram(telegram=telegram)
    elapsed = time.perf_counter() - began
    return {
        "ingest-service-sqlite-telegrams-per-s": {"value": len(telegrams) / elapsed, "unit": "telegrams/s"},
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.1f} {figure['unit']}")
