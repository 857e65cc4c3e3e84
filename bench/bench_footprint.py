"""Footprint of `dsmrhub run` on a Raspberry Pi's terms: disk writes per telegram and memory (issue 18).

`dsmrhub run --source demo` (the demo meter, one telegram a second, SQLite in a fresh data dir, MQTT and
price fetching off as after install) runs for a warm-up and then for the measured span; figures are taken
from outside the processes (``bench/footprint.py``): ``write_bytes`` of /proc/PID/io per part, divided by the
readings stored in the span, and the proportional set size (Pss of /proc/PID/smaps_rollup) per part and
in total, at the start and the end of the span (flat over time?).

Variables: ``BENCH_FOOTPRINT_SECONDS`` (the measured span; 300 by default, 600 with ``BENCH_LONG=1``: the
10 minutes the issue names), ``BENCH_FOOTPRINT_WARMUP`` (seconds before it, 30), ``BENCH_FOOTPRINT_SRC``: the
``src`` directory of another checkout to measure instead of this one (the before-state: a worktree of an
older commit), as the same benchmark measured the same way.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.footprint import Run, free_port, readings_count, sample, writes_between

DEFAULT_SECONDS = 300.0
WARMUP = 30.0


def _env() -> dict[str, str]:
    env = {"DSMRHUB_LOG_LEVEL": "WARNING"}
    source = os.environ.get("BENCH_FOOTPRINT_SRC", "").strip()
    if source:
        env["PYTHONPATH"] = str(Path(source).resolve())
    return env


def run() -> dict[str, dict]:
    span = float(os.environ.get("BENCH_FOOTPRINT_SECONDS") or DEFAULT_SECONDS)
    warmup = float(os.environ.get("BENCH_FOOTPRINT_WARMUP") or WARMUP)
    data = Path(tempfile.mkdtemp(prefix="dsmrhub-bench-footprint-")) / "data"
    bind = f"127.0.0.1:{free_port()}"
    process = Run(data, "--source", "demo", "--demo-backfill-hours", "0", "--bind", bind, env=_env())
    try:
        process.wait_for_readings(1, timeout=180)
        time.sleep(warmup)  # every part started and settled (imports, first passes, first checkpoint)
        first, stored_first = sample(process.process.pid), readings_count(process.database)
        time.sleep(span)
        last, stored_last = sample(process.process.pid), readings_count(process.database)
    finally:
        process.stop()
    telegrams = max(1, stored_last - stored_first)
    writes = writes_between(first, last)
    pss_first, pss_last = first.by_part(first.pss), last.by_part(last.pss)
    minutes = f"{span / 60:g} min"
    figures = {
        "footprint-disk-writes-per-telegram": {
            "value": sum(writes.values()) / 1024 / telegrams,
            "unit": f"KB per telegram, all of `dsmrhub run`, 1 telegram/s for {minutes} ({telegrams} stored)",
        },
        "footprint-pss-total": {
            "value": sum(pss_last.values()) / 1024,
            "unit": f"MB proportional set size, {len(last.parts)} processes, after {minutes}",
        },
        "footprint-pss-growth": {
            "value": (sum(pss_last.values()) - sum(pss_first.values())) / 1024,
            "unit": f"MB over the {minutes}",
        },
        "footprint-open-files": {"value": sum(last.files.values()), "unit": "descriptors, all processes"},
    }
    for part in sorted(writes):
        figures[f"footprint-disk-writes-per-telegram-{part}"] = {
            "value": writes[part] / 1024 / telegrams,
            "unit": "KB per telegram",
        }
    for part in sorted(pss_last):
        count = sum(1 for name in last.parts.values() if name == part)
        figures[f"footprint-pss-{part}"] = {
            "value": pss_last[part] / 1024,
            "unit": f"MB ({count} process{'es' if count > 1 else ''})",
        }
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.2f} {figure['unit']}")
