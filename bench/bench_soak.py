"""Soak: `dsmrhub run` (web server, datalogger, processor, MQTT publisher) on a month of one-second
telegrams replayed as fast as they are stored: memory, open files and disk use at the start and the end.

The telegrams (one demo meter, a month up to now) come over a local TCP socket (`--source socket://…`),
generated while they are sent; the datalogger commits in groups as under `dsmrhub run`. MQTT publishing is
on when a broker answers at 127.0.0.1:1883 (every reading and statistic published), else the publisher
idles. "Start" is when the first ``START_FRACTION`` of the telegrams is stored; "end" when all are
stored, processed and published. Part of ``BENCH_LONG=1 make bench``; ``BENCH_SOAK_DAYS`` sets the
length (default 30 days: 2.6 million telegrams, tens of minutes on the 2-core development machine).
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.footprint import Run, disk_usage, free_port, query, readings_count, sample

DEFAULT_DAYS = 30
START_FRACTION = 0.02
BROKER = ("127.0.0.1", 1883)


def _broker_up() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=1):
            return True
    except OSError:
        return False


class Feeder:
    """Serves ``count`` one-second telegrams from ``start`` to whoever connects (again after a drop)."""

    def __init__(self, start: datetime, count: int) -> None:
        from dsmrhub.datalogger.demo import DemoMeter

        self.meter = DemoMeter(seed=1)
        self.start, self.count, self.sent = start, count, 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.sent < self.count:
            client, _ = self.server.accept()
            try:
                while self.sent < self.count:
                    chunk = "".join(
                        self.meter.telegram_at(self.start + timedelta(seconds=n))
                        for n in range(self.sent, min(self.sent + 100, self.count))
                    ).encode()
                    client.sendall(chunk)
                    self.sent = min(self.sent + 100, self.count)
            except OSError:
                self.sent = max(0, self.sent - 100)  # the datalogger restarted: send that chunk again
            finally:
                if self.sent >= self.count:
                    self.done.set()
                    time.sleep(1)
                client.close()


def _snapshot(run: Run) -> dict:
    taken = sample(run.process.pid)
    return {
        "pss": sum(taken.pss.values()) / 1024,
        "pss_parts": {part: kb / 1024 for part, kb in taken.by_part(taken.pss).items()},
        "files": sum(taken.files.values()),
        "disk": disk_usage(run.data) / 2**20,
        "processes": len(taken.parts),
    }


def run() -> dict[str, dict]:
    days = float(os.environ.get("BENCH_SOAK_DAYS") or DEFAULT_DAYS)
    count = int(days * 86_400)
    start = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0)
    feeder = Feeder(start, count)
    mqtt = _broker_up()
    setup = [("mqtt", "enable", "--host", BROKER[0], "--port", str(BROKER[1]))] if mqtt else []
    data = Path(tempfile.mkdtemp(prefix="dsmrhub-bench-soak-")) / "data"
    args = ("--source", f"socket://127.0.0.1:{feeder.port}", "--bind", f"127.0.0.1:{free_port()}")
    run = Run(data, *args, env={"DSMRHUB_LOG_LEVEL": "WARNING"}, setup=setup)
    began = time.monotonic()
    try:
        run.wait_for_readings(int(count * START_FRACTION), timeout=3600)
        first = _snapshot(run)
        run.wait_for_readings(count, timeout=6 * 3600)
        stored_at = time.monotonic()
        deadline = stored_at + 3600
        while time.monotonic() < deadline:  # processed (and published) to the end
            pending = query(run.database, "SELECT count(*) FROM processing_pendingminute")[0][0]
            outbox = query(run.database, "SELECT count(*) FROM mqtt_outboxmessage")[0][0] if mqtt else 0
            if not pending and not outbox:
                break
            time.sleep(2)
        last = _snapshot(run)
        stored = readings_count(run.database)
    finally:
        run.stop()
    seconds = time.monotonic() - began
    label = f"{days:g} days of one-second telegrams, MQTT {'on' if mqtt else 'off'}"
    figures = {
        "soak-telegrams-stored": {"value": stored, "unit": f"of {count} ({label})"},
        "soak-telegrams-per-s": {"value": stored / (stored_at - began), "unit": "stored per second"},
        "soak-duration": {"value": seconds, "unit": "s, until stored, processed and published"},
        "soak-pss-start": {"value": first["pss"], "unit": f"MB, {first['processes']} processes"},
        "soak-pss-end": {"value": last["pss"], "unit": f"MB, {last['processes']} processes"},
        "soak-open-files-start": {"value": first["files"], "unit": "descriptors"},
        "soak-open-files-end": {"value": last["files"], "unit": "descriptors"},
        "soak-disk-start": {"value": first["disk"], "unit": "MB in the data dir"},
        "soak-disk-end": {"value": last["disk"], "unit": "MB in the data dir"},
    }
    for part, mb in sorted(last["pss_parts"].items()):
        figures[f"soak-pss-end-{part}"] = {
            "value": mb,
            "unit": f"MB (start {first['pss_parts'].get(part, 0):.1f})",
        }
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.2f} {figure['unit']}")
