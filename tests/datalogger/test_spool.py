"""The on-disk buffer: order, removal only of handled items, a bound that drops the oldest, and
all-or-nothing appends of a chunk."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import pytest

from dsmrhub.datalogger.services import ConfigOverrides, Datalogger, ReaderFailed
from dsmrhub.datalogger.spool import Spool, SpoolWriter
from tests.datalogger.streams import telegrams

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def _payloads(spool: Spool) -> list[bytes]:
    return [item.payload for item in spool.peek(1000)]


def test_append_many_keeps_order_and_survives_reopening(tmp_path):
    spool = Spool(tmp_path / "buffer.sqlite3")
    spool.append("telegram", b"t0", NOW)
    spool.append_many([("telegram", b"t1", NOW), ("discard", b"noise", NOW), ("telegram", b"t2", NOW)])
    spool.append_many([])
    items = spool.peek(2)
    assert [(i.kind, i.payload) for i in items] == [("telegram", b"t0"), ("telegram", b"t1")]
    spool.remove_through(items[-1].id)
    spool.close()

    again = Spool(tmp_path / "buffer.sqlite3")
    assert len(again) == 2
    assert _payloads(again) == [b"noise", b"t2"]
    assert again.peek(1)[0].received_at == NOW


def test_a_full_buffer_drops_the_oldest(tmp_path):
    spool = Spool(tmp_path / "buffer.sqlite3", max_items=3)
    spool.append_many([("telegram", b"a", NOW), ("telegram", b"b", NOW)])
    spool.append_many([("telegram", bytes([n]), NOW) for n in range(5)])  # more than the bound at once
    assert len(spool) == 3 and spool.dropped == 4
    assert _payloads(spool) == [b"\x02", b"\x03", b"\x04"]


def test_a_failed_append_leaves_nothing(tmp_path):
    spool = Spool(tmp_path / "buffer.sqlite3")
    spool.append("telegram", b"kept", NOW)
    try:
        spool.append_many([("telegram", b"half", NOW), ("telegram", None, NOW)])  # NOT NULL payload
    except Exception:
        pass
    else:
        raise AssertionError("a NULL payload must fail")
    assert len(spool) == 1 and _payloads(spool) == [b"kept"]
    spool.append("telegram", b"next", NOW)  # the connection is usable again
    assert _payloads(spool) == [b"kept", b"next"]


def test_a_writer_holds_what_a_locked_file_refuses_in_order_and_bounded(tmp_path):
    spool = Spool(tmp_path / "buffer.sqlite3", busy_timeout=0.01)
    problems: list[str] = []
    writer = SpoolWriter(spool, memory_max=3, retry_max=0.5, on_change=problems.append)
    other = sqlite3.connect(tmp_path / "buffer.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    writer.put([("telegram", b"a", NOW), ("telegram", b"b", NOW)])
    writer.put([("telegram", b"c", NOW), ("telegram", b"d", NOW)])  # more than memory_max: "a" goes
    assert writer.held == 3 and writer.dropped == 1 and len(spool) == 0
    assert problems == ["cannot write the buffer buffer.sqlite3: database is locked"]
    assert writer.retry() is False  # not due yet: no wait on the lock
    other.execute("ROLLBACK")
    assert writer.retry(now=True) is True
    assert _payloads(spool) == [b"b", b"c", b"d"] and writer.held == 0
    assert problems[-1] == ""


@pytest.mark.django_db(transaction=True)
def test_a_reader_thread_that_dies_ends_the_datalogger(tmp_path):
    """Not a process that lives on without reading: `run()` raises, the command exits 1, `run` restarts it."""
    capture = tmp_path / "capture.txt"
    capture.write_bytes(b"".join(t for _, t in telegrams(3)))
    datalogger = Datalogger(
        overrides=ConfigOverrides(source=f"replay:{capture}?speed=0"),
        stop=threading.Event(),
        spool_path=tmp_path / "buffer.sqlite3",
    )

    def bug(items) -> None:
        raise RuntimeError("a bug in the reader")

    datalogger.writer.put = bug
    with pytest.raises(ReaderFailed, match="a bug in the reader"):
        datalogger.run()


@pytest.mark.django_db(transaction=True)
def test_a_telegram_that_fails_to_store_is_set_aside_and_the_rest_is_stored(tmp_path, monkeypatch):
    """One telegram that makes storing fail (here an injected bug) never stops the datalogger: it is kept
    raw beside the buffer for a later `dsmrhub import`, counted, and every other telegram is stored."""
    from dsmrhub.datalogger import services
    from dsmrhub.readings.models import DsmrReading, MeterStatistics

    stream = telegrams(5)
    poison = stream[2][1]
    capture = tmp_path / "capture.txt"
    capture.write_bytes(b"".join(t for _, t in stream))
    single, bulk = services.reading_ingest_telegram, services.readings_ingest_bulk

    def failing_single(*, telegram, **kwargs):
        if telegram == poison:
            raise ValueError("a bug in storing")
        return single(telegram=telegram, **kwargs)

    def failing_bulk(*, telegrams, **kwargs):
        if any(payload == poison for payload, _ in telegrams):
            raise ValueError("a bug in storing")
        return bulk(telegrams=telegrams, **kwargs)

    monkeypatch.setattr(services, "reading_ingest_telegram", failing_single)
    monkeypatch.setattr(services, "readings_ingest_bulk", failing_bulk)
    datalogger = Datalogger(
        overrides=ConfigOverrides(source=f"replay:{capture}?speed=0"),
        stop=threading.Event(),
        spool_path=tmp_path / "buffer.sqlite3",
    )
    summary = datalogger.run()

    stored = sorted(int(r.timestamp.timestamp()) for r in DsmrReading.objects.all())
    assert stored == [stamp for stamp, _ in stream if stamp != stream[2][0]]
    assert summary.stored == 4 and summary.rejected == 1
    assert (tmp_path / services.SET_ASIDE).read_bytes() == poison
    assert MeterStatistics.objects.get().rejected_telegrams == 1
    assert len(Spool(tmp_path / "buffer.sqlite3")) == 0
