"""Parser throughput: dsmrhub's one-pass parser against the dsmr_parser package, plus the framer.

Both parsers parse the corpus's CRC-valid DSMR 4 and 5 telegrams (tests/fixtures/telegrams when
../shared/telegrams is absent) over and over with CRC checking on, in alternating rounds so a
busy machine slows both alike. Rates are per second of this process's CPU time, which other load
on a shared machine distorts less than wall time. Run: ``python -m bench.bench_parser``.

The parser keeps what each line contributed (a meter repeats most lines telegram after telegram), and
this loop parses the same few telegrams over and over, so nearly every line is known: that is the
steady state of a datalogger or an import. "fresh lines" clears those caches before each telegram:
the rate for telegrams none of whose lines were seen before.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from dsmrhub.telegram import TelegramError, TelegramFramer, parse_telegram
from dsmrhub.telegram import parser as telegram_parser

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DSMRHUB_TELEGRAM_CORPUS", REPO.parent / "shared" / "telegrams"))
FIXTURES = REPO / "tests" / "fixtures" / "telegrams"
SECONDS_PER_PARSER = 2.0
ROUNDS = 8


def load_telegrams() -> list[tuple[str, bytes]]:
    """(dsmr_parser spec name, telegram bytes) for every CRC-valid DSMR 4/5 telegram."""
    manifest = CORPUS / "manifest.json"
    if manifest.is_file():
        found = []
        for entry in json.loads(manifest.read_text(encoding="utf-8")):
            if entry["kind"] != "telegram" or not entry["crc"].get("valid"):
                continue
            specs = [a["spec"] for a in entry["dsmr_parser"]["attempts"] if a.get("parsed")]
            if specs and specs[0] in ("V4", "V5"):
                found.append((specs[0], (CORPUS / entry["file"]).read_bytes()))
        if found:
            return found
    found = []
    for path in sorted(FIXTURES.glob("*.txt")):
        try:
            variant = parse_telegram(path.read_bytes()).variant
        except TelegramError:
            continue
        if variant in ("dsmr4", "dsmr5"):
            found.append(("V5" if variant == "dsmr5" else "V4", path.read_bytes()))
    return found


def _rate(work: Callable[[], int], seconds: float) -> tuple[int, float]:
    done, began = 0, time.process_time()
    while True:
        done += work()
        elapsed = time.process_time() - began
        if elapsed >= seconds:
            return done, elapsed


def run() -> dict[str, dict]:
    from dsmr_parser import telegram_specifications
    from dsmr_parser.parsers import TelegramParser

    telegrams = load_telegrams()
    ours_input = [data for _, data in telegrams]
    parsers = {name: TelegramParser(getattr(telegram_specifications, name)) for name in ("V4", "V5")}
    theirs_input = [(parsers[spec], data.decode("latin-1")) for spec, data in telegrams]

    def ours() -> int:
        for data in ours_input:
            parse_telegram(data)
        return len(ours_input)

    def ours_fresh() -> int:
        for data in ours_input:
            for cache in line_caches:  # emptied, not dropped: the caches a running parser keeps
                cache.clear()
            telegram_parser._mbus_cache.clear()
            telegram_parser._logs.clear()
            parse_telegram(data)
        return len(ours_input)

    def theirs() -> int:
        for parser, text in theirs_input:
            parser.parse(text)
        return len(theirs_input)

    ours(), theirs()  # warm up caches and lazily built tables
    line_caches = list(telegram_parser._line_caches.values())
    totals = {"ours": [0, 0.0], "ours_fresh": [0, 0.0], "theirs": [0, 0.0]}
    for _ in range(ROUNDS):
        for name, work in (("ours", ours), ("ours_fresh", ours_fresh), ("theirs", theirs)):
            done, elapsed = _rate(work, SECONDS_PER_PARSER / ROUNDS)
            totals[name][0] += done
            totals[name][1] += elapsed
    our_rate = totals["ours"][0] / totals["ours"][1]
    fresh_rate = totals["ours_fresh"][0] / totals["ours_fresh"][1]
    their_rate = totals["theirs"][0] / totals["theirs"][1]

    stream = b"".join(data + b"\r\n" for data in ours_input) * max(1, 2_000_000 // sum(map(len, ours_input)))
    chunks = [stream[offset : offset + 4096] for offset in range(0, len(stream), 4096)]

    def frame() -> int:
        framer = TelegramFramer()
        for chunk in chunks:
            framer.feed(chunk)
        framer.flush()
        return len(stream)

    framed, elapsed = _rate(frame, 1.0)
    return {
        "parser-dsmrhub-telegrams-per-s": {"value": our_rate, "unit": "telegrams/s"},
        "parser-dsmr_parser-telegrams-per-s": {"value": their_rate, "unit": "telegrams/s"},
        "parser-speedup-vs-dsmr_parser": {"value": our_rate / their_rate, "unit": "x"},
        "parser-dsmrhub-fresh-lines-telegrams-per-s": {"value": fresh_rate, "unit": "telegrams/s"},
        "parser-fresh-lines-speedup-vs-dsmr_parser": {"value": fresh_rate / their_rate, "unit": "x"},
        "parser-telegrams-in-benchmark": {"value": float(len(telegrams)), "unit": "telegrams"},
        "framer-mb-per-s": {"value": framed / elapsed / 1e6, "unit": "MB/s"},
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.1f} {figure['unit']}")
