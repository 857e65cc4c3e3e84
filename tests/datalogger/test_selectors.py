"""The datalogger's status and problems as the status page and the monitoring API show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dsmrhub.datalogger.models import DataloggerState
from dsmrhub.datalogger.selectors import datalogger_problems, datalogger_status

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_buffer_that_cannot_be_written_is_a_problem_while_it_lasts():
    DataloggerState.store(
        source="socket://meter:2001", connected=True, updated_at=NOW - timedelta(seconds=2),
        buffer_error="cannot write the buffer datalogger-buffer.sqlite3: database or disk is full",
        held_telegrams=42, last_error_at=NOW - timedelta(seconds=30),
    )  # fmt: skip
    status = datalogger_status(now=NOW)
    assert status["held_telegrams"] == 42 and status["connected"] is True
    assert datalogger_problems(now=NOW) == [
        {
            "problem": "The datalogger cannot write its buffer (cannot write the buffer "
            "datalogger-buffer.sqlite3: database or disk is full): 42 telegrams wait in memory",
            "since": NOW - timedelta(seconds=30),
        }
    ]
    DataloggerState.row().update(buffer_error="", held_telegrams=0)
    assert datalogger_problems(now=NOW) == []
