"""`dsmrhub import`: raw telegram captures (plain or gzip) into readings, set-based and in parallel."""

from __future__ import annotations

import gzip
import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from dsmrhub.readings.bulk import BulkResult, Checked, readings_check_many, readings_store_checked
from dsmrhub.telegram import Discarded, Frame, TelegramFramer

logger = logging.getLogger(__name__)

BATCH = 2000
READ_SIZE = 1 << 20


def _frames(paths: list[Path], discarded: list[str]) -> Iterator[bytes]:
    for path in paths:
        framer = TelegramFramer()
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            while chunk := handle.read(READ_SIZE):
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


def readings_import_files(
    *, paths: list[Path], jobs: int = 1, progress: Callable[[int, float], None] | None = None
) -> BulkResult:
    """Import every telegram in ``paths``; ``progress(telegrams_done, seconds)`` is called per batch."""
    result = BulkResult()
    discarded: list[str] = []
    began = time.perf_counter()
    done = 0
    batches = _batches(_frames(paths, discarded))
    pool = multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 else None
    try:
        checked_batches = pool.imap(_check_batch, batches) if pool else map(_check_batch, batches)
        for checked in checked_batches:
            result.add(readings_store_checked(checked=checked))
            done += len(checked)
            if progress:
                progress(done, time.perf_counter() - began)
    finally:
        if pool:
            pool.close()
            pool.join()
    if discarded:
        from dsmrhub.readings.services import meter_statistics_count_rejection

        for reason in discarded:  # bytes that were no telegram at all: counted like the datalogger does
            meter_statistics_count_rejection(reason=reason)
            result.rejected[reason] += 1
    return result
