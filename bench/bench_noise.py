"""A noisy line: how many valid telegrams are stored of those sent, and what framing costs.

The stream (fixed seed, from ``tests/noise.py``): 720 demo-meter telegrams (DSMR 5, one a second) with
line noise before a third of them (never ending in a line end, so the header is glued to it), 2 % cut
off midway and 1 % with noise inside. "Sent" counts the telegrams that arrive intact.

- stored / sent through the real paths: ``dsmrhub datalogger`` replaying the capture (framer → parse →
  store, SQLite) and ``dsmrhub import``; must be 1.000.
- valid / sent in-process: dsmrhub's framer + parser, the framer of ``BASE`` (main before issue 12,
  read from git) + the same parser, and the peer, dsmr_parser's TelegramBuffer + TelegramParser (V5,
  CRC checked), all on the same bytes in the same reads.
- framer throughput (MB per CPU second) on a clean and on the noisy stream, now and at ``BASE``, and the
  peer's TelegramBuffer on both.

Run: ``python -m bench.bench_noise``.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from tests.noise import chunked, noisy_stream

from dsmrhub.telegram import TelegramError, TelegramFramer, parse_telegram

REPO = Path(__file__).resolve().parents[1]
DSMRHUB = [sys.executable, "-m", "dsmrhub.cli"]
BASE = os.environ.get("BENCH_FRAMER_BASE", "bb8089f")  # main before issue 12's framer
TELEGRAMS = 720
SEED = 12
READ = 4096  # bytes per read for the throughput figures; the stored/sent figures use random reads
SECONDS = 1.0


def _telegrams(count: int) -> list[bytes]:
    from dsmrhub.datalogger.demo import DemoMeter

    meter = DemoMeter(seed=1)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [meter.telegram_at(start + timedelta(seconds=n)).encode() for n in range(count)]


def _framer_at(revision: str) -> ModuleType | None:
    """The framing module as it was at ``revision`` (None without git or that revision)."""
    try:
        source = subprocess.run(
            ["git", "show", f"{revision}:src/dsmrhub/telegram/framing.py"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    name = "dsmrhub.telegram._framing_base"
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    module.__package__ = "dsmrhub.telegram"  # its relative imports resolve to today's package
    sys.modules[name] = module
    exec(compile(source, f"{revision}:framing.py", "exec"), module.__dict__)  # noqa: S102 - our own file
    return module


def _valid_ours(framer, chunks: list[bytes], intact: set[bytes]) -> int:
    found = 0
    for chunk in [*chunks, None]:
        items = framer.feed(chunk) if chunk is not None else framer.flush()
        for item in items:
            if hasattr(item, "data") and item.data in intact:
                try:
                    parse_telegram(item.data)
                except TelegramError:
                    continue
                found += 1
    return found


def _valid_peer(chunks: list[bytes], intact: set[bytes]) -> int:
    from dsmr_parser import telegram_specifications
    from dsmr_parser.clients.telegram_buffer import TelegramBuffer
    from dsmr_parser.exceptions import ParseError
    from dsmr_parser.parsers import TelegramParser

    parser = TelegramParser(telegram_specifications.V5)
    buffer = TelegramBuffer()
    found = 0
    for chunk in chunks:
        buffer.append(chunk.decode("latin-1"))
        for text in buffer.get_all():
            try:
                parser.parse(text)
            except ParseError:
                continue
            found += text.encode("latin-1") in intact
    return found


def _rate(work: Callable[[], int], seconds: float = SECONDS) -> float:
    """Bytes per CPU second of ``work`` (which returns the bytes it handled), in MB/s."""
    work()  # warm up
    done, began = 0, time.process_time()
    while (elapsed := time.process_time() - began) < seconds:
        done += work()
    return done / elapsed / 1e6


def _frame_all(make: Callable[[], object], chunks: list[bytes], size: int) -> Callable[[], int]:
    def work() -> int:
        framer = make()
        for chunk in chunks:
            framer.feed(chunk)
        framer.flush()
        return size

    return work


def _peer_all(chunks: list[bytes], size: int) -> Callable[[], int]:
    from dsmr_parser.clients.telegram_buffer import TelegramBuffer

    def work() -> int:
        buffer = TelegramBuffer()
        for chunk in chunks:
            buffer.append(chunk.decode("latin-1"))
            for _ in buffer.get_all():
                pass
        return size

    return work


def _stored(capture: Path, *command: str) -> int:
    """Readings stored by ``dsmrhub COMMAND`` (run on ``capture``) in a fresh SQLite install."""
    data = Path(tempfile.mkdtemp(prefix="dsmrhub-bench-noise-"))
    env = {**os.environ, "DSMRHUB_DATA_DIR": str(data), "DSMRHUB_LOG_LEVEL": "ERROR"}
    env.pop("DSMRHUB_DATABASE_URL", None)
    subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=300)
    args = [arg.replace("{capture}", str(capture)) for arg in command]
    subprocess.run([*DSMRHUB, *args], env=env, check=True, capture_output=True, timeout=600)
    with sqlite3.connect(data / "dsmrhub.sqlite3") as connection:
        return connection.execute("SELECT COUNT(*) FROM readings_dsmrreading").fetchone()[0]


def run() -> dict[str, dict]:
    telegrams = _telegrams(TELEGRAMS)
    stream = noisy_stream(telegrams, seed=SEED, noise_between=0.33, cut=0.02, noise_inside=0.01)
    sent = len(stream.intact)
    intact = set(stream.intact)
    reads = chunked(stream.data, seed=SEED, largest=1024)
    base = _framer_at(BASE)

    figures: dict[str, dict] = {
        "noise-telegrams-sent-intact": {"value": float(sent), "unit": f"of {TELEGRAMS} telegrams"},
    }

    def share(value: int) -> dict:
        return {"value": value / sent, "unit": "valid stored / sent (1.000: none lost)"}

    with tempfile.TemporaryDirectory(prefix="dsmrhub-bench-noise-") as folder:
        capture = Path(folder) / "noisy.txt"
        capture.write_bytes(stream.data)
        figures["noise-datalogger-stored-per-sent"] = share(
            _stored(capture, "datalogger", "--source", "replay:{capture}?speed=0")
        )
        figures["noise-import-stored-per-sent"] = share(_stored(capture, "import", "{capture}", "--quiet"))

    figures["noise-framer-parser-valid-per-sent"] = share(_valid_ours(TelegramFramer(), reads, intact))
    if base is not None:
        figures["noise-framer-parser-valid-per-sent-base"] = share(
            _valid_ours(base.TelegramFramer(), reads, intact)
        )
    figures["noise-dsmr_parser-valid-per-sent"] = share(_valid_peer(reads, intact))

    clean = b"".join(telegrams)
    for name, data in (("clean", clean), ("noisy", stream.data)):
        chunks = [data[at : at + READ] for at in range(0, len(data), READ)]
        figures[f"framer-{name}-mb-per-s"] = {
            "value": _rate(_frame_all(TelegramFramer, chunks, len(data))),
            "unit": "MB/s (CPU time, 4 kB reads)",
        }
        if base is not None:
            figures[f"framer-{name}-mb-per-s-base"] = {
                "value": _rate(_frame_all(base.TelegramFramer, chunks, len(data))),
                "unit": f"MB/s, the framer at {BASE}",
            }
        figures[f"framer-{name}-dsmr_parser-mb-per-s"] = {
            "value": _rate(_peer_all(chunks, len(data))),
            "unit": "MB/s, dsmr_parser's TelegramBuffer",
        }
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.3f} {figure['unit']}")
