"""`dsmrhub import`: raw telegram captures (plain or gzip) into readings, set-based and in parallel.

The parent process reads and frames the files and stores the readings; checking (CRC, parsing, range
checks, column values) runs in worker processes, batch by batch, with a bounded number of batches in
flight so memory stays flat for captures of any size. Batches come back in order, so the first of two
telegrams with one timestamp still wins and the result is the same as with one process.

A file that cannot be read to its end (not gzip, truncated, damaged) ends the import with
``ImportFileError``: everything read before the fault is stored, the files after it are not touched.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from dsmrhub.readings.bulk import BulkResult, readings_check_many, readings_store_checked
from dsmrhub.readings.check import Checked
from dsmrhub.telegram import Discarded, Frame, TelegramFramer

logger = logging.getLogger(__name__)

BATCH = 2000
READ_SIZE = 1 << 20
MAX_JOBS = 4
# Below about 2,000 telegrams (2 MB of text; gzip packs captures at least 10:1) starting worker processes
# costs more than it saves.
PARALLEL_FROM = 2 << 20
GZIP_RATIO = 10


class ImportFileError(Exception):
    """A file could not be read to its end; ``result`` is what was stored before."""

    def __init__(self, path: Path, reason: str, result: BulkResult) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.result = result


class _NotGzip(OSError):
    pass


def _read_failure(error: Exception) -> str:
    if isinstance(error, _NotGzip):
        return "not a gzip file"
    if isinstance(error, EOFError):
        return "truncated gzip file (it ends before its end marker)"
    if isinstance(error, zlib.error):
        return f"damaged gzip file ({error})"
    return f"cannot read it: {getattr(error, 'strerror', None) or error}"


def _gunzip(raw: BinaryIO) -> Iterator[bytes]:
    """The content of a gzip file (of one or more members) as it is decompressed, so that a truncated
    or damaged file still yields everything before the fault (``gzip.open`` loses a whole read)."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    fed = started = False
    while chunk := raw.read(READ_SIZE // GZIP_RATIO):
        while chunk:
            try:
                data = decompressor.decompress(chunk)
            except zlib.error as error:
                if not started and "incorrect header check" in str(error):
                    raise _NotGzip from None
                raise
            started = fed = True
            if data:
                yield data
            chunk = b""
            if decompressor.eof:  # another member may follow
                chunk = decompressor.unused_data.lstrip(b"\0")  # zero padding after the last member
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
                fed = False
    if fed:  # the last member has no end
        raise EOFError


class _Reader:
    """Telegrams from the files, and how far through them (bytes as stored) the reading is. A file
    that fails ends the telegrams (what was framed before is kept) and is kept in ``failed``."""

    def __init__(self, paths: list[Path], discarded: list[str]) -> None:
        self.paths = paths
        self.discarded = discarded
        self.total = sum(path.stat().st_size for path in paths)
        self.done = 0
        self.failed: tuple[Path, str] | None = None

    def frames(self) -> Iterator[bytes]:
        discarded = self.discarded
        for path in self.paths:
            framer = TelegramFramer()
            packed = path.suffix == ".gz"
            before = self.done
            try:
                with open(path, "rb") as raw:
                    chunks = _gunzip(raw) if packed else iter(lambda: raw.read(READ_SIZE), b"")
                    for chunk in chunks:
                        self.done = before + raw.tell()
                        for item in framer.feed(chunk):
                            if isinstance(item, Frame):
                                yield item.data
                            else:
                                discarded.append(item.reason)
            except (OSError, EOFError, zlib.error) as error:
                self.failed = (path, _read_failure(error))
            for item in framer.flush():
                if isinstance(item, Frame):
                    yield item.data
                elif isinstance(item, Discarded):
                    discarded.append(item.reason)
            if self.failed:
                return
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
    database connections first: forked processes must not share them). Raises ``ImportFileError``
    (after storing what was read before) when a file cannot be read to its end."""
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
    if reader.failed:
        raise ImportFileError(*reader.failed, result)
    return result
