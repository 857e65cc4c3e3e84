"""Ingest throughput: demo telegrams through the ingest service into a fresh SQLite file."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

ROUNDS = 3
TELEGRAMS = 4000


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
    rates = []
    for round_ in range(ROUNDS):  # the disk makes single runs noisy: report the median of three
        first = start + timedelta(days=round_)
        telegrams = [meter.telegram_at(first + timedelta(seconds=n)) for n in range(TELEGRAMS)]
        began = time.perf_counter()
        for telegram in telegrams:
            reading_ingest_telegram(telegram=telegram)
        rates.append(TELEGRAMS / (time.perf_counter() - began))
    return {
        "ingest-service-sqlite-telegrams-per-s": {
            "value": statistics.median(rates),
            "unit": f"telegrams/s (median of {ROUNDS} x {TELEGRAMS}, one transaction each)",
        },
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.1f} {figure['unit']}")
