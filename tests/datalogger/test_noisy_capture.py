"""A capture from a noisy line (noise glued to headers, telegrams cut off or hit by noise inside) loses
no intact telegram: `dsmrhub import` and a replay through a real `dsmrhub datalogger` store exactly the
intact ones."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from dsmrhub.readings.models import DsmrReading, MeterStatistics
from tests.datalogger.streams import telegrams
from tests.noise import noisy_stream


def noisy_capture(count: int, seed: int) -> tuple[bytes, list[int], int]:
    """(capture, Unix timestamps of its intact telegrams in order, how many were damaged)."""
    items = telegrams(count)
    stamp_of = {telegram: stamp for stamp, telegram in items}
    stream = noisy_stream([telegram for _, telegram in items], seed=seed)
    assert stream.damaged >= 5 and len(stream.intact) >= count * 0.85  # the noise is there, and it is noise
    return stream.data, [stamp_of[telegram] for telegram in stream.intact], stream.damaged


@pytest.mark.django_db
def test_import_of_a_noisy_capture_stores_every_intact_telegram(tmp_path):
    data, expected, damaged = noisy_capture(400, seed=12)
    capture = tmp_path / "noisy.txt"
    capture.write_bytes(data)
    out = StringIO()
    call_command("import", str(capture), "--quiet", stdout=out)
    stored = [int(moment.timestamp()) for moment in DsmrReading.objects.values_list("timestamp", flat=True)]
    assert sorted(stored) == expected
    assert f"stored {len(expected)}, duplicates 0," in out.getvalue()
    # Each damaged telegram and noise run is counted and named; nothing was counted twice as stored.
    rejected = MeterStatistics.objects.get().rejected_telegrams
    assert rejected >= damaged
    assert "CRC mismatch" in out.getvalue() and "incomplete telegram" in out.getvalue()


@pytest.mark.xdist_group("processes")
def test_replay_of_a_noisy_capture_stores_every_intact_telegram(install):
    data, expected, damaged = noisy_capture(600, seed=7)
    capture = install.data_dir / "noisy.txt"
    capture.write_bytes(data)
    result = install.run("datalogger", "--source", f"replay:{capture}?speed=0", timeout=120)
    assert install.stored_timestamps() == expected
    summary = result.stdout.strip().splitlines()[-1]
    assert f"stored {len(expected)}," in summary and "left in buffer 0" in summary
    assert install.rejected() >= damaged
