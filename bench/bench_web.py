"""Page speed: every web page and the dashboard's JSON route, server time, with one-second readings stored.
Each page has a budget of 300 ms at a year of one-second data (BENCH_YEAR=1).

Default: 7 days of one-second readings up to now (about 0.6 million); BENCH_YEAR=1 stores a full year
(about 31.5 million readings; several GB of disk, ~6 minutes to build); BENCH_DAYS=N any other length.
The data are built like bench_processing's (its generator, then a rebuild of every derived table).

The measurement runs in a child process with a database of its own, so it does not depend on what the
other benchmark modules (which share one Django setup) left in theirs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

REPEATS = 15  # requests per URL; the median is reported (and the slowest, to show the spread)
TARGET_MS = 300  # server time of one page (issues 15 and 17)


def _days() -> int:
    return 365 if os.environ.get("BENCH_YEAR") == "1" else int(os.environ.get("BENCH_DAYS", "7"))


def _timed(client, url: str) -> tuple[float, float]:
    """(median, max) in ms of REPEATS requests, after one warm-up request."""
    assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings), max(timings)


def _measure() -> dict[str, dict]:
    """In the child: build the data, then time the dashboard's URLs."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsmrhub.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bench.bench_processing import _generate
    from dsmrhub.processing.contracts import contract_save
    from dsmrhub.processing.services import processing_rebuild
    from dsmrhub.readings.models import MeterStatistics

    call_command("migrate", verbosity=0)
    days = _days()
    now = int(time.time())
    first, last = now - days * 86_400, now - 1
    contract_save(
        description="bench",
        start=date.today() - timedelta(days=days + 2),
        prices={
            "electricity_delivered_1_price": Decimal("0.25"),
            "electricity_delivered_2_price": Decimal("0.22"),
            "gas_price": Decimal("1.10"),
            "fixed_daily_cost": Decimal("0.80"),
        },
    )
    began = time.perf_counter()
    _generate(first, last)
    rebuilt = processing_rebuild()
    built = time.perf_counter() - began
    MeterStatistics.objects.update_or_create(
        pk=1, defaults={"timestamp": datetime.fromtimestamp(last, UTC), "electricity_tariff": 2}
    )

    client = Client()
    live = client.get("/dashboard/live").json()
    assert live["latest"] and live["today"] and live["power"]["t"], "the dashboard has no data to show"
    newest = live["power"]["t"][-1]
    gas_newest = live["gas"]["t"][-1] if live["gas"]["t"] else ""
    stored = f"{days} days of 1 s readings stored ({rebuilt.readings:,} readings)"
    today = date.today()
    month, year = today.strftime("%Y-%m"), today.strftime("%Y")
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    urls = {
        "dashboard-page": "/",
        "dashboard-page-24h": "/?hours=24",
        "dashboard-live-full": "/dashboard/live",
        "dashboard-live-poll": f"/dashboard/live?since={newest}&gas_since={gas_newest}",
        "archive-day": f"/archive/?period=day&date={today}",
        "archive-week": f"/archive/?period=week&date={today}",
        "archive-month": f"/archive/?period=month&date={month}",
        "archive-year": f"/archive/?period=year&date={year}",
        "trends": "/trends/",
        "trends-compare-months": f"/trends/?a={month}&b={last_month}",
        "compare": "/compare/",
        "capacity": "/capacity/",
        "contracts": "/contracts/",
        "meter": "/meter/",
        "status": "/status/",
        "export": "/export/",
    }
    figures: dict[str, dict] = {
        "web-bench-build-seconds": {"value": built, "unit": f"s to generate and process {days} days"},
    }
    for name, url in urls.items():
        median, slowest = _timed(client, url)
        figures[f"web-{name}-median-ms"] = {"value": median, "unit": f"ms ({stored})"}
        figures[f"web-{name}-max-ms"] = {"value": slowest, "unit": f"ms, slowest of {REPEATS}"}
    medians = {k: v["value"] for k, v in figures.items() if k.endswith("-median-ms")}
    slowest_page = max(medians, key=medians.get)
    figures["web-slowest-median-vs-target"] = {
        "value": medians[slowest_page] / TARGET_MS,
        "unit": f"× the {TARGET_MS} ms budget per page (below 1 is within it; slowest: {slowest_page})",
    }
    return figures


def run() -> dict[str, dict]:
    with tempfile.TemporaryDirectory(prefix="dsmrhub-bench-web-") as data_dir:
        env = {**os.environ, "DSMRHUB_DATA_DIR": data_dir, "DSMRHUB_LOG_LEVEL": "WARNING"}
        env.pop("DSMRHUB_DATABASE_URL", None)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        child = subprocess.run(
            [sys.executable, "-m", "bench.bench_web", "--child"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=3 * 3600,
        )
    if child.returncode != 0:
        raise RuntimeError(f"bench_web child failed:\n{child.stderr[-4000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        print(json.dumps(_measure()))
    else:
        for name, figure in run().items():
            print(f"{name}: {figure['value']:,.2f} {figure['unit']}")
