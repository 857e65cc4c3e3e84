"""The daily backup: when it is due, what a turn does, how many are kept, what a failure leaves."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection

from dsmrhub.backup.models import BackupSettings, BackupState
from dsmrhub.backup.schedule import IDLE, RETRY_FIRST, backup_next_at, backup_schedule_step, schedule_backoff
from dsmrhub.backup.selectors import backup_problems
from dsmrhub.backup.services import backups_list

pytestmark = pytest.mark.django_db(transaction=True)  # a backup reads committed data


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def directory(tmp_path):
    BackupSettings.store(directory=str(tmp_path / "backups"), hour=3, keep=2)
    return tmp_path / "backups"


def test_the_daily_backup_is_due_from_its_hour_once_a_day(directory):
    backoff = schedule_backoff()
    night = _local(2026, 3, 10, 2, 30)
    assert backup_next_at(now=night) == _local(2026, 3, 10, 3)
    assert backup_schedule_step(now=night, backoff=backoff) == IDLE  # 30 minutes to go: look again in 10
    assert backup_schedule_step(now=_local(2026, 3, 10, 2, 58), backoff=backoff) == 120
    assert backups_list() == []
    assert backup_schedule_step(now=_local(2026, 3, 10, 3, 0, 5), backoff=backoff) == IDLE
    extension = {"sqlite": "sqlite3", "postgresql": "sql"}[connection.vendor]
    assert [path.name for path in backups_list()] == [f"dsmrhub-20260310T020005Z.{extension}.gz"]  # UTC
    assert backup_next_at(now=_local(2026, 3, 10, 9)) == _local(2026, 3, 11, 3)
    backup_schedule_step(now=_local(2026, 3, 10, 23), backoff=backoff)
    assert len(backups_list()) == 1  # not twice a day

    # two more days: the kept count (2) holds, the oldest goes with its checksum and manifest
    backup_schedule_step(now=_local(2026, 3, 11, 3, 1), backoff=backoff)
    backup_schedule_step(now=_local(2026, 3, 12, 3, 1), backoff=backoff)
    kept = backups_list()
    assert [path.name[8:16] for path in kept] == ["20260311", "20260312"]
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        f"{path.name}{suffix}" for path in kept for suffix in ("", ".sha256", ".json")
    )
    state = BackupState.peek()
    assert state.last_file == str(kept[-1]) and state.last_size == kept[-1].stat().st_size


def test_a_day_of_25_hours_and_a_late_start(directory):
    # the clocks go back on 2026-10-25: 03:00 local is one moment still; a start after it: one at once
    assert backup_next_at(now=_local(2026, 10, 25, 1)) == _local(2026, 10, 25, 3)
    assert backup_next_at(now=_local(2026, 10, 25, 17)) == _local(2026, 10, 25, 3)  # overdue: now


def test_a_failed_backup_is_retried_with_a_growing_pause_and_is_a_problem(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    BackupSettings.store(directory=str(blocked / "backups"), hour=3)
    backoff = schedule_backoff()
    now = _local(2026, 3, 10, 4)
    assert backup_schedule_step(now=now, backoff=backoff) == RETRY_FIRST
    assert backup_schedule_step(now=now + timedelta(minutes=5), backoff=backoff) == 2 * RETRY_FIRST
    state = BackupState.peek()
    assert state.failures == 2 and state.last_success_at is None
    assert state.last_error.startswith(f"cannot write the backup to {blocked / 'backups'}")
    [problem] = backup_problems(now=now)
    assert problem["key"] == "backup-failed"
    assert problem["problem"].startswith(
        "The last backup failed (2 times since the last good one): cannot write"
    )

    BackupSettings.store(directory=str(tmp_path / "fine"))
    assert backup_schedule_step(now=now + timedelta(minutes=15), backoff=backoff) == IDLE
    assert BackupState.peek().failures == 0 and backup_problems(now=now) == []
    # two days without a backup (the schedule not running): overdue
    [overdue] = backup_problems(now=now + timedelta(minutes=15, hours=40))
    assert overdue["key"] == "backup-overdue" and "No backup since 40 hours" in overdue["problem"]


def test_daily_backups_off(directory):
    BackupSettings.store(daily=False)
    assert backup_next_at(now=_local(2026, 3, 10, 4)) is None
    assert backup_schedule_step(now=_local(2026, 3, 10, 4), backoff=schedule_backoff()) == IDLE
    assert backups_list() == []
