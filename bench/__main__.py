"""`make bench`: run every benchmark module, print each figure, write them all to bench-results.json."""

from __future__ import annotations

import importlib
import json
import sys
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
]
RESULTS = Path("bench-results.json")


def main(names: list[str]) -> None:
    figures: dict[str, dict] = {}
    for name in names or MODULES:
        print(f"== {name}", flush=True)
        module = importlib.import_module(name)
        for figure, data in module.run().items():
            print(f"{figure}: {data['value']:,.2f} {data['unit']}", flush=True)
            figures[figure] = data
    RESULTS.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(figures)} figures to {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
