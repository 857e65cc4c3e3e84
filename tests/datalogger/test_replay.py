"""A capture replayed at full speed through a real `dsmrhub datalogger`: read in blocks that split
telegrams, buffered a chunk per transaction and stored in batches, with the exact outcome."""

from __future__ import annotations

import pytest

from tests.datalogger.streams import garbled_stream, telegrams

pytestmark = pytest.mark.xdist_group("processes")


def test_replay_at_full_speed_stores_everything_once(install):
    stream, expected, rejections = garbled_stream(telegrams(1500))
    capture = install.data_dir / "capture.txt"
    capture.write_bytes(stream + stream[-5000:])  # the tail again: duplicates, and a cut telegram
    result = install.run("datalogger", "--source", f"replay:{capture}?speed=0", timeout=120)
    assert install.stored_timestamps() == expected
    assert len(stream) > 2 * 65536  # several blocks
    summary = result.stdout.strip().splitlines()[-1]
    assert f"stored {len(expected)}," in summary and "left in buffer 0" in summary
    duplicates = int(summary.split("duplicates ")[1].split(",")[0])
    assert duplicates >= 4
    assert install.rejected() == rejections + 1  # the cut telegram at the start of the repeated tail
