"""`dsmrhub import`: raw telegram captures (plain or gzip) into readings, set-based and in parallel.

The parent process reads and frames the files and stores the readings; checking (CRC, parsing, range
checks, column values) runs in worker processes, batch by batch, with a bounded number of batches in
flight so memory stays flat for captures of any size. Batches come back in order, so the first of two
telegrams with one timestamp still wins and the result is the same as with one process.
"""

from __future__ import annotations

import gzip
import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from dsmrhub.readings.bulk import BulkResult, Checked, readings_check_many, readings_store_checked
from dsmrhub.telegram import Discarded, Frame, TelegramFramer

logger = logging.getLogger(__name__)

BATCH = 2000
READ_SIZE = 1 << 20
MAX_JOBS = 4
# Below about 2,000 telegrams (2 MB of text; gzip packs captures at least 10:1) starting worker processes
# costs more than it saves.
PARALLEL_FROM = 2 << 20
GZIP_RATIO = 10


class _Reader:
    """Telegrams from the files, and how far through them (bytes as stored) the reading is."""

    def __init__(self, paths: list[Path], discarded: list[str]) -> None:
        self.paths = paths
        self.discarded = discarded
        self.total = sum(path.stat().st_size for path in paths)
        self.done = 0

    def frames(self) -> Iterator[bytes]:
        discarded = self.discarded
        for path in self.paths:
            framer = TelegramFramer()
            packed = path.suffix == ".gz"
            with open(path, "rb") as raw, gzip.open(raw, "rb") if packed else raw as handle:
                before = self.done
                while chunk := handle.read(READ_SIZE):
                    self.done = before + raw.tell()
                    for item in framer.feed(chunk):
                        if isinstance(item, Frame):
                            yield item.data
                        else:
                            discarded.append(item.reason)
            for item in framer.flush():
                if isinstance(item, Frame):
                    yield item.data
                elif isinstance(item, Discarded):
                    discarded.append(item.reason)
            self.done = before + path.stat().st_size


def _batches(frames: Iterator[bytes]) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _check_batch(batch: list[bytes]) -> list[Checked | str]:
    # Telegrams without a meter clock get the import time; a capture cannot tell when they were read.
    now = datetime.now().astimezone()
    # Only the newest parsed telegram is needed (meter statistics): the rest stays in the worker.
    return readings_check_many(((frame, now) for frame in batch), keep_parsed=False)


def _check_batch_in_worker(batch: list[bytes]) -> list[tuple | str]:
    # Sent back as plain tuples: unpickling a NamedTuple costs the parent, which also frames and stores,
    # about 5 µs per telegram more than a plain tuple and Checked._make together.
    return [item if isinstance(item, str) else tuple(item) for item in _check_batch(batch)]


def _from_worker(items: list[tuple | str]) -> list[Checked | str]:
    return [item if isinstance(item, str) else Checked._make(item) for item in items]


def _checked(batches: Iterator[list[bytes]], jobs: int) -> Iterator[list[Checked | str]]:
    """Checked batches in input order; with ``jobs`` > 1 checked by that many worker processes."""
    if jobs <= 1:
        yield from map(_check_batch, batches)
        return
    pool = multiprocessing.get_context("fork").Pool(jobs)
    try:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.apply_async(_check_batch_in_worker, (batch,)))
            if len(pending) > 2 * jobs:
                yield _from_worker(pending.popleft().get())
        while pending:
            yield _from_worker(pending.popleft().get())
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def import_jobs(paths: list[Path], jobs: int = 0) -> int:
    """Worker processes for an import: ``jobs`` if given, else one per CPU (at most 4) for big inputs."""
    if jobs > 0:
        return jobs
    size = sum(path.stat().st_size * (GZIP_RATIO if path.suffix == ".gz" else 1) for path in paths)
    if size < PARALLEL_FROM:
        return 1
    return max(1, min(MAX_JOBS, os.cpu_count() or 1))


def readings_import_files(
    *,
    paths: list[Path],
    jobs: int = 1,
    progress: Callable[[int, float, float], None] | None = None,
) -> BulkResult:
    """Import every telegram in ``paths``; ``progress(telegrams_done, seconds, fraction_of_input_read)``
    is called per batch. ``jobs`` > 1 checks telegrams in that many processes (the caller closes its
    database connections first: forked processes must not share them)."""
    result = BulkResult()
    discarded: list[str] = []
    reader = _Reader(paths, discarded)
    began = time.perf_counter()
    done = 0
    for checked in _checked(_batches(reader.frames()), jobs):
        result.add(readings_store_checked(checked=checked))
        done += len(checked)
        if progress:
            progress(done, time.perf_counter() - began, reader.done / max(reader.total, 1))
    if discarded:
        from dsmrhub.readings.services import meter_statistics_count_rejection

        for reason in discarded:  # bytes that were no telegram at all: counted like the datalogger does
            meter_statistics_count_rejection(reason=reason)
            result.rejected[reason] += 1
    return result
