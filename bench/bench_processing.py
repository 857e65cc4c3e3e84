"""Processing speed: rebuild of one-second readings, live pass cost, API latency, bytes per reading.

Default: 7 days of one-second readings (about 0.6 million; a few minutes at most). BENCH_YEAR=1 generates
a full year (about 31.5 million readings; several GB of disk, ~10 minutes); BENCH_DAYS=N sets
any other length. Without BENCH_YEAR the year figure is an extrapolation and is named so.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

YEAR_SECONDS = 365 * 86_400
LIVE_SECONDS = 300  # simulated seconds of live operation at 1 telegram/s
API_REPEATS = 40


def _setup() -> None:
    data_dir = tempfile.mkdtemp(prefix="dsmrhub-bench-processing-")
    os.environ["DSMRHUB_DATA_DIR"] = data_dir
    os.environ.pop("DSMRHUB_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsmrhub.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _generate(first: int, last: int) -> None:
    """One reading per second in [first, last], generated inside SQLite (Python would be slower)."""
    from django.db import connection, transaction

    day = 86_400
    for low in range(first, last + 1, day):
        high = min(low + day - 1, last)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "WITH RECURSIVE s(t) AS (SELECT %s UNION ALL SELECT t + 1 FROM s WHERE t < %s) "
                "INSERT INTO readings_dsmrreading (timestamp, electricity_delivered_1, "
                "electricity_returned_1, "
                "electricity_delivered_2, electricity_returned_2, electricity_currently_delivered, "
                "electricity_currently_returned, phase_currently_delivered_l1, phase_currently_delivered_l2, "
                "phase_currently_delivered_l3, phase_voltage_l1, phase_voltage_l2, phase_voltage_l3, "
                "extra_device_timestamp, extra_device_delivered) "
                "SELECT t, 1000000 + (t - %s) * 3 / 36, 0, 2000000 + (t - %s) * 2 / 36, 0, "
                "200 + t * 7919 % 1000, 0, 100 + t % 300, 50 + t % 200, 50 + t % 100, "
                "2300 + t % 20, 2310 + t % 15, 2290 + t % 25, "
                "t / 300 * 300, 500000 + (t / 300 * 300 - %s) / 30 "
                "FROM s",
                [low, high, first, first, first],
            )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM processing_pendingminute")


def _used_bytes() -> int:
    """Bytes of the SQLite file in use (free pages left by the emptied change marks not counted)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA freelist_count")
        pages -= cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0]


def _live(start: int) -> float:
    """CPU seconds per wall second used by processing while readings arrive at 1/s (passes every 2 s)."""
    from decimal import Decimal

    from dsmrhub.processing.services import processing_run_pending
    from dsmrhub.readings.models import DsmrReading

    cpu = 0.0
    last = DsmrReading.objects.order_by("-timestamp").first()
    for n in range(1, LIVE_SECONDS + 1):
        moment = datetime.fromtimestamp(start + n, UTC)
        DsmrReading.objects.create(
            timestamp=moment,
            electricity_delivered_1=last.electricity_delivered_1 + Decimal("0.001") * n,
            electricity_returned_1=0,
            electricity_delivered_2=last.electricity_delivered_2,
            electricity_returned_2=0,
            electricity_currently_delivered=Decimal("0.500"),
            electricity_currently_returned=0,
            extra_device_timestamp=datetime.fromtimestamp((start + n) // 300 * 300, UTC),
            extra_device_delivered=last.extra_device_delivered,
        )
        if n % 2 == 0:
            began = time.process_time()
            processing_run_pending()
            cpu += time.process_time() - began
    return cpu / LIVE_SECONDS


def _p95_ms(client, url: str) -> float:
    timings = []
    for _ in range(API_REPEATS):
        began = time.perf_counter()
        response = client.get(url, HTTP_AUTHORIZATION="Token bench-key-0123456789abcdef")
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:200])
    return statistics.quantiles(timings, n=20)[18]


def run() -> dict[str, dict]:
    _setup()
    from django.test import Client

    from dsmrhub.api.services import api_settings_update
    from dsmrhub.processing.services import processing_rebuild

    days = 365 if os.environ.get("BENCH_YEAR") == "1" else int(os.environ.get("BENCH_DAYS", "7"))
    now = int(time.time())
    first, last = now - days * 86_400, now - LIVE_SECONDS - 1
    empty = _used_bytes()
    began = time.perf_counter()
    _generate(first, last)
    generated = time.perf_counter() - began
    readings_bytes = _used_bytes() - empty  # the readings table: it has no other index than its rowid
    result = processing_rebuild()
    rate = result.readings / result.seconds
    figures = {
        "processing-generate-readings-per-s": {"value": result.readings / generated, "unit": "readings/s"},
        "processing-rebuild-readings": {"value": float(result.readings), "unit": "readings"},
        "processing-rebuild-readings-per-s": {"value": rate, "unit": "readings/s"},
        "processing-rebuild-seconds": {"value": result.seconds, "unit": f"s for {days} days"},
    }
    if days >= 365:
        figures["processing-rebuild-year-seconds"] = {"value": result.seconds, "unit": "s (measured)"}
    else:
        figures["processing-rebuild-year-seconds-extrapolated"] = {
            "value": YEAR_SECONDS / rate,
            "unit": f"s (extrapolated linearly from {days} days)",
        }
    figures["readings-bytes-per-reading"] = {
        "value": readings_bytes / result.readings,
        "unit": "bytes (SQLite table, no extra index)",
    }
    figures["processing-live-cpu-percent"] = {
        "value": 100 * _live(last),
        "unit": "% of one core at 1 telegram/s",
    }

    api_settings_update(allow=True, auth_key="bench-key-0123456789abcdef")
    client = Client()
    month_start = datetime.fromtimestamp(last, UTC) - timedelta(days=min(30, days - 1))
    month = f"{month_start:%Y-%m-%dT%H:%M:%SZ}"
    end = f"{datetime.fromtimestamp(last, UTC):%Y-%m-%dT%H:%M:%SZ}"
    urls = {
        "latest-reading": "/api/v2/datalogger/dsmrreading?ordering=-timestamp&limit=1",
        "readings-first-page": "/api/v2/datalogger/dsmrreading",
        "readings-month-page": f"/api/v2/datalogger/dsmrreading?timestamp__gte={month}&timestamp__lte={end}",
        "statistics-hour-month": f"/api/v2/statistics/hour?hour_start__gte={month}&hour_start__lte={end}",
        "consumption-today": "/api/v2/consumption/today",
    }
    for name, url in urls.items():
        figures[f"api-p95-{name}-ms"] = {
            "value": _p95_ms(client, url),
            "unit": f"ms ({days} days stored)",
        }
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.2f} {figure['unit']}")
