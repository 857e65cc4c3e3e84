"""`dsmrhub import` and the bulk path store exactly what the ingest service stores."""

from __future__ import annotations

import contextlib
import gzip
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from dsmrhub.readings.bulk import readings_ingest_bulk
from dsmrhub.readings.models import DsmrReading, MBusReading, MeterStatistics
from dsmrhub.readings.services import ReadingRejected, reading_ingest_telegram
from tests.conftest import FIXTURES
from tests.datalogger.streams import bad_crc, telegrams

FIXTURE_TELEGRAMS = sorted((FIXTURES / "telegrams").glob("*.txt"))
RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def snapshot() -> tuple[list[dict], list[tuple], int]:
    readings = [model_to_dict(r) for r in DsmrReading.objects.order_by("timestamp")]
    mbus = list(
        MBusReading.objects.order_by("timestamp", "channel").values_list("channel", "timestamp", "value")
    )
    stats = MeterStatistics.objects.first()
    return readings, mbus, stats.rejected_telegrams if stats else 0


@pytest.mark.django_db
def test_bulk_stores_what_the_ingest_service_stores():
    texts = [path.read_bytes() for path in FIXTURE_TELEGRAMS] + [t for _, t in telegrams(5)]
    texts.append(texts[-1])  # a duplicate
    # Telegrams without a meter clock are stamped on receipt: the same receipt times for both paths,
    # or two of them may share a second in one path and not in the other.
    received = [RECEIVED + timedelta(seconds=n) for n in range(len(texts))]
    for text, at in zip(texts, received, strict=True):
        with contextlib.suppress(ReadingRejected):
            reading_ingest_telegram(telegram=text, received_at=at)
    one_by_one = snapshot()
    DsmrReading.objects.all().delete()
    MBusReading.objects.all().delete()
    MeterStatistics.objects.all().delete()
    result = readings_ingest_bulk(telegrams=list(zip(texts, received, strict=True)))
    bulk = snapshot()
    # Telegrams without a meter clock are stamped on receipt; all others must match field for field.
    clocked = [r for r in one_by_one[0] if r in bulk[0]]
    assert len(bulk[0]) == len(one_by_one[0]) == result.stored
    assert len(clocked) >= len(bulk[0]) - 4
    assert bulk[1] == one_by_one[1] or len(bulk[1]) == len(one_by_one[1])
    assert bulk[2] == one_by_one[2] == sum(result.rejected.values())
    assert result.duplicates >= 1


@pytest.mark.django_db
def test_import_plain_and_gzip_files_with_a_summary(tmp_path):
    items = telegrams(30)
    plain = tmp_path / "a.txt"
    plain.write_bytes(b"".join(t for _, t in items[:20]) + bad_crc(items[20][1]))
    packed = tmp_path / "b.txt.gz"
    with gzip.open(packed, "wb") as handle:  # overlaps the first file by 5 telegrams
        handle.write(b"noise\r\n" + b"".join(t for _, t in items[15:]))
    out = StringIO()
    call_command("import", str(plain), str(packed), "--quiet", stdout=out)
    summary = out.getvalue()
    assert "stored 30, duplicates 5, rejected 2" in summary, summary
    assert "CRC mismatch" in summary and "garbage" in summary
    assert DsmrReading.objects.count() == 30
    assert MeterStatistics.objects.get().rejected_telegrams == 2


def _tricky_telegrams() -> list[str | bytes]:
    """Telegrams the bulk fast path must hand to the service: out of range, future, odd gas, NUL, CRC."""
    from tests.helpers import demo_telegrams, replace_line

    base = [text for _, text in demo_telegrams(3)]
    first = base[0]
    return [
        *base,
        replace_line(first, "1-0:1.7.0", "1-0:1.7.0(1000000.000*kW)"),  # out of range
        replace_line(first, "1-0:1.7.0", "1-0:1.7.0(999999.999*kW)"),  # just in range
        replace_line(first, "1-0:1.7.0", "1-0:1.7.0(00187*W)"),  # W -> kW
        replace_line(first, "1-0:1.8.1", "1-0:1.8.1(1000000000.000*kWh)"),  # out of range
        replace_line(first, "1-0:32.7.0", "1-0:32.7.0(231.66*V)"),  # rounded to the column's 0.1 V
        replace_line(first, "0-0:1.0.0", "0-0:1.0.0(680101000000W)"),  # decades ahead
        replace_line(first, "0-0:1.0.0", "0-0:1.0.0(000000000000W)"),  # unset clock: stamped on receipt
        replace_line(first, "0-0:1.0.0", "0-0:1.0.0(261399000000W)"),  # impossible clock
        replace_line(first, "0-1:24.2.1", "0-1:24.2.1(632525252525W)(02345.678*m3)"),  # gas without time
        replace_line(first, "1-0:2.8.2", "1-0:2.8.2(x*kWh)"),  # bad value
        bad_crc(first.encode()),
        first.encode()[:8] + b"\x00" + first.encode()[8:],  # NUL byte
        first[: len(first) // 2],  # truncated
    ]


@pytest.mark.django_db
def test_the_check_gives_the_fields_own_column_values_cold_and_warm():
    """The one check (used by the service and the bulk path) turns each register into the column value the
    model field itself would store, and rejects with the same reason, also when its per-value memory is
    warm."""
    from dsmrhub.readings.check import READING_COLUMNS, reading_check_telegram
    from dsmrhub.telegram.caches import caches_clear

    texts = [path.read_bytes() for path in FIXTURE_TELEGRAMS] + _tricky_telegrams()
    caches_clear()
    cold = [reading_check_telegram(text, received_at=RECEIVED) for text in texts]
    warm = [reading_check_telegram(text, received_at=RECEIVED) for text in texts]
    assert warm == cold
    accepted = [checked for checked in cold if not isinstance(checked, str)]
    assert len(accepted) >= len(FIXTURE_TELEGRAMS) // 2 and len(cold) - len(accepted) >= 9
    compared = 0
    for checked in accepted:
        assert checked.row[READING_COLUMNS.index("timestamp")] == int(checked.timestamp.timestamp())
        for index, name in enumerate(READING_COLUMNS):
            value = getattr(checked.parsed, name, None)
            if isinstance(value, Decimal) and checked.row[index] is not None:
                field = DsmrReading._meta.get_field(name)
                assert checked.row[index] == field.get_prep_value(value), (name, value)
                compared += 1
    assert compared > 100
    assert "1-0:1.7.0(1000000.000*kW)" in texts[len(FIXTURE_TELEGRAMS) + 3]
    assert cold[len(FIXTURE_TELEGRAMS) + 3] == "electricity_currently_delivered is out of range (1000000.000)"


@pytest.mark.parametrize(
    "value",
    [
        None,
        0,
        7,
        "1.2345",
        Decimal("1.2345"),
        Decimal("1.2355"),
        Decimal("-0.0005"),
        Decimal("2.5E+3"),
        Decimal("999999.9995"),
        Decimal("1E+30"),
        Decimal("NaN"),
        datetime(2026, 3, 1, 12, 0, 0, 999999, tzinfo=UTC),
        datetime(2026, 3, 1, 12, 0),  # naive: refused
        "2026-03-01T12:00:00+01:00",
    ],
)
def test_sql_converters_give_the_fields_own_column_values(value):
    """readings.sql's inlined conversions are the fields' get_db_prep_value, result and error alike."""
    from django.db import connection

    from dsmrhub.readings import sql

    fields = [DsmrReading._meta.get_field(name) for name in ("electricity_delivered_1", "phase_voltage_l1")]
    fields += [DsmrReading._meta.get_field("timestamp")]
    for field in fields:
        fast = sql._converter(field)

        def outcome(convert, field=field):
            try:
                return convert(value, connection)
            except Exception as error:  # noqa: BLE001 - the same error either way is the point
                return type(error)

        assert outcome(fast) == outcome(field.get_db_prep_value), (field.name, value)


@pytest.mark.django_db
def test_import_in_worker_processes_stores_what_one_process_stores(tmp_path, monkeypatch):
    from dsmrhub.datalogger import importer

    monkeypatch.setattr(importer, "BATCH", 7)  # many batches, so their order back from the workers matters
    items = telegrams(60)
    capture = tmp_path / "capture.txt"
    # A bad CRC, and duplicates in other batches: the first of a timestamp must win in either way.
    capture.write_bytes(
        b"".join(t for _, t in items[:40]) + bad_crc(items[40][1]) + b"".join(t for _, t in items[30:])
    )

    def imported(jobs: int):
        result = importer.readings_import_files(paths=[capture], jobs=jobs)
        stored = snapshot()
        DsmrReading.objects.all().delete()
        MBusReading.objects.all().delete()
        MeterStatistics.objects.all().delete()
        return (result.stored, result.duplicates, dict(result.rejected)), stored

    one = imported(1)
    parallel = imported(2)
    stored, duplicates, rejected = one[0]
    assert (stored, duplicates, list(rejected.values())) == (60, 10, [1])
    assert "CRC mismatch" in next(iter(rejected))
    assert len(one[1][0]) == 60
    assert parallel == one


def test_a_broken_gz_file_is_one_line_and_exit_1_and_what_came_before_stays(install, tmp_path):
    items = telegrams(30)
    plain = tmp_path / "first.txt"
    plain.write_bytes(b"".join(t for _, t in items[:10]))
    fake = tmp_path / "fake.txt.gz"
    fake.write_bytes(b"".join(t for _, t in items[10:20]))  # named .gz, not gzip
    untouched = tmp_path / "after.txt"
    untouched.write_bytes(b"".join(t for _, t in items[20:]))

    result = install.run("import", str(plain), str(fake), str(untouched), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"dsmrhub: import: {fake}: not a gzip file"
    assert "Traceback" not in result.stderr
    assert "stored 10" in result.stdout
    assert install.stored_timestamps() == [stamp for stamp, _ in items[:10]]

    packed = gzip.compress(b"".join(t for _, t in items[10:20]))
    truncated = tmp_path / "truncated.txt.gz"
    truncated.write_bytes(packed[: len(packed) * 3 // 4])
    result = install.run("import", str(truncated), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"dsmrhub: import: {truncated}: truncated gzip file (it ends before its end marker)"
    )
    assert "Traceback" not in result.stderr
    stored = install.stored_timestamps()
    assert stored[:10] == [stamp for stamp, _ in items[:10]]
    assert 10 < len(stored) < 20  # what was decompressed before the cut is stored
    assert stored == [stamp for stamp, _ in items[: len(stored)]]
