"""Datalogger figures: the full path (replay → framing → parse → store) on SQLite, the bulk importer,
and API v1 through the production server (sequential and 4 concurrent keep-alive clients)."""

from __future__ import annotations

import gzip
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

DSMRHUB = [sys.executable, "-m", "dsmrhub.cli"]
KEY = "bench-key-0123456789abcdef"


def _telegrams(count: int, start: datetime) -> list[str]:
    from dsmrhub.datalogger.demo import DemoMeter

    meter = DemoMeter(seed=1)
    return [meter.telegram_at(start + timedelta(seconds=n)) for n in range(count)]


def _env(data: Path) -> dict[str, str]:
    env = {**os.environ, "DSMRHUB_DATA_DIR": str(data), "DSMRHUB_LOG_LEVEL": "WARNING"}
    env.pop("DSMRHUB_DATABASE_URL", None)
    return env


def _timed(env: dict[str, str], *args: str) -> float:
    began = time.perf_counter()
    subprocess.run([*DSMRHUB, *args], env=env, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - began


def _post_many(port: int, telegrams: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {KEY}", "Content-Type": "application/x-www-form-urlencoded"}
    for telegram in telegrams:
        conn.request("POST", "/api/v1/datalogger/dsmrreading", urlencode({"telegram": telegram}), headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 201, response.status
    conn.close()


def run() -> dict[str, dict]:
    root = Path(tempfile.mkdtemp(prefix="dsmrhub-bench-dl-"))
    figures: dict[str, dict] = {}
    start = datetime(2026, 1, 1, tzinfo=UTC)

    replay = root / "replay"
    replay.mkdir()
    env = _env(replay)
    subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=300)
    capture = replay / "capture.txt"
    count = 10_000
    capture.write_text("".join(_telegrams(count, start)))
    startup = _timed(env, "datalogger-settings")  # Django start-up, subtracted below
    seconds = _timed(env, "datalogger", "--source", f"replay:{capture}?speed=0") - startup
    figures["datalogger-replay-sqlite-telegrams-per-s"] = {"value": count / seconds, "unit": "telegrams/s"}

    imported = root / "import"
    imported.mkdir()
    env = _env(imported)
    subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=300)
    packed = imported / "capture.txt.gz"
    count = 30_000
    with gzip.open(packed, "wt") as handle:
        handle.write("".join(_telegrams(count, start)))
    seconds = _timed(env, "import", str(packed), "--quiet") - startup
    figures["import-sqlite-telegrams-per-s"] = {"value": count / seconds, "unit": "telegrams/s"}

    served = root / "api"
    served.mkdir()
    env = _env(served)
    subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=300)
    subprocess.run([*DSMRHUB, "api", "enable", "--key", KEY], env=env, check=True, capture_output=True)
    from tests.processes import free_port, wait_for_http

    port = free_port()
    server = subprocess.Popen([*DSMRHUB, "serve", "--bind", f"127.0.0.1:{port}"], env=env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/")
        telegrams = _telegrams(6000, start + timedelta(days=30))
        began = time.perf_counter()
        _post_many(port, telegrams[:2000])
        figures["api-v1-sequential-requests-per-s"] = {
            "value": 2000 / (time.perf_counter() - began),
            "unit": "requests/s",
        }
        parts = [telegrams[2000 + n * 1000 : 3000 + n * 1000] for n in range(4)]
        threads = [threading.Thread(target=_post_many, args=(port, part)) for part in parts]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        figures["api-v1-4-clients-requests-per-s"] = {
            "value": 4000 / (time.perf_counter() - began),
            "unit": "requests/s",
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.1f} {figure['unit']}")
