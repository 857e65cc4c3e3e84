"""`make bench`: run every benchmark module, print each figure, write them all to bench-results.json.

Each module runs in a process of its own (``python -m bench --one MODULE FILE``): its own Django setup,
data dir and database, so a module never meets the rows or the settings of one before it (the year of
generated readings used to collide with readings an earlier module stored). A module that fails is named
at the end and makes the run fail; the others' figures are still written.

Variables: ``BENCH_LONG=1`` adds the long runs: the year of readings (``BENCH_YEAR=1``), the footprint over
10 minutes (``BENCH_FOOTPRINT_SECONDS=600``) and the month-long soak (``bench.bench_soak``, a month of
one-second telegrams replayed fast); see each module for its own variables.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

MODULES = [
    "bench.bench_parser",
    "bench.bench_noise",
    "bench.bench_ingest",
    "bench.bench_datalogger",
    "bench.bench_processing",
    "bench.bench_costs",
    "bench.bench_switching",
    "bench.bench_mqtt",
    "bench.bench_web",
    "bench.bench_footprint",
]
LONG_MODULES = ["bench.bench_soak"]
LONG_ENV = {"BENCH_YEAR": "1", "BENCH_FOOTPRINT_SECONDS": "600"}
RESULTS = Path("bench-results.json")


def _long() -> bool:
    return os.environ.get("BENCH_LONG", "").strip() not in ("", "0")


def run_one(name: str, out: Path) -> None:
    """In the child: run one module, print its figures, write them to ``out``."""
    module = importlib.import_module(name)
    figures = module.run()
    for figure, data in figures.items():
        print(f"{figure}: {data['value']:,.2f} {data['unit']}", flush=True)
    out.write_text(json.dumps(figures))


def main(names: list[str]) -> int:
    long = _long()
    env = {**os.environ, **(LONG_ENV if long else {})}
    figures: dict[str, dict] = {}
    failed: list[str] = []
    for name in names or MODULES + (LONG_MODULES if long else []):
        print(f"== {name}", flush=True)
        with tempfile.TemporaryDirectory(prefix="dsmrhub-bench-") as scratch:
            out = Path(scratch) / "figures.json"
            done = subprocess.run([sys.executable, "-m", "bench", "--one", name, str(out)], env=env)
            if done.returncode != 0 or not out.exists():
                failed.append(name)
                continue
            figures.update(json.loads(out.read_text()))
    RESULTS.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(figures)} figures to {RESULTS}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        run_one(sys.argv[2], Path(sys.argv[3]))
    else:
        sys.exit(main(sys.argv[1:]))
