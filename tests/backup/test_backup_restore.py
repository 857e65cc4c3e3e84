"""Backups and restores through the real commands, while the datalogger writes; both databases."""

from __future__ import annotations

import json
from pathlib import Path

from tests.processes import Install, stop_process, wait_until

SETTINGS_TABLES = (
    "SELECT allow, auth_key FROM api_apisettings",
    "SELECT description, start, electricity_delivered_1_price, gas_price FROM prices_energycontract",
    "SELECT min_interval, source FROM datalogger_dataloggersettings",
)


def _count(install: Install) -> int:
    return install.query("SELECT COUNT(*) FROM readings_dsmrreading")[0][0]


def _settings(install: Install) -> list[list[tuple]]:
    return [sorted(install.query(sql)) for sql in SETTINGS_TABLES]


def _one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if " dsmrhub.db.migrate" not in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_backup_made_while_the_datalogger_writes_restores_every_reading_and_setting(make_install, tmp_path):
    source = make_install()
    source.run("api", "enable")
    source.run(
        "contract", "add", "--description", "Kept", "--start", "2026-01-01",
        "--electricity-delivered-1", "0.25", "--gas", "1.1",
    )  # fmt: skip
    source.run("datalogger-settings", "--min-interval", "0")
    logger = source.start("datalogger", "--source", "demo", "--backfill-hours", "1", log="datalogger")
    try:
        wait_until(lambda: _count(source) >= 60, timeout=60, message="an hour of demo history")
        before = _count(source)
        wait_until(lambda: _count(source) > before, timeout=30, message="a live telegram")
        before = _count(source)
        made = source.run("backup", "--to", str(tmp_path / "backups"))
        after = _count(source)
        wait_until(lambda: _count(source) > after, timeout=30, message="a telegram after the backup")
    finally:
        assert stop_process(logger) == 0, source.log_text("datalogger")
    assert made.stdout.startswith("backup: ")
    [backup] = sorted((tmp_path / "backups").glob("dsmrhub-*.gz"))
    assert made.stdout.split()[1] == str(backup)
    checksum = backup.with_name(backup.name + ".sha256").read_text()
    manifest = json.loads(backup.with_name(backup.name + ".json").read_text())
    assert checksum.split() == [manifest["sha256"], backup.name]
    assert manifest["size"] == backup.stat().st_size and manifest["vendor"] in ("sqlite", "postgresql")

    target = make_install()
    restored = target.run("restore", str(backup))
    assert restored.stdout.startswith(f"restored {backup.name} (dsmrhub ")
    readings = target.stored_timestamps()
    # one consistent moment: every reading the source had up to the newest one in the backup, nothing torn
    assert before <= len(readings) <= after
    everything = source.stored_timestamps()
    assert readings == [moment for moment in everything if moment <= readings[-1]]
    assert f"{len(readings):,} readings" in restored.stdout
    assert _settings(target) == _settings(source)
    assert _settings(target)[0][0][0] in (True, 1)  # the API enabled before the backup is enabled

    # the restored install goes on: the processor handles the restored readings
    target.run("process")
    assert target.query("SELECT COUNT(*) FROM processing_electricityconsumption")[0][0] > 0

    # a second restore over data needs --force
    refused = target.run("restore", str(backup), check=False)
    assert refused.returncode == 1
    assert _one_line_error(refused).endswith("the database holds data; --force replaces it with the backup")
    target.run("restore", "--force", str(backup))
    assert target.stored_timestamps() == readings

    # into a database while a datalogger runs on it (here one still waiting for a source): refused
    fresh = make_install()
    waiting = fresh.start("datalogger", log="datalogger")
    try:
        wait_until(
            lambda: fresh.query("SELECT updated_at FROM datalogger_dataloggerstate"),
            timeout=30,
            message="the datalogger's heartbeat",
        )
        refused = fresh.run("restore", str(backup), check=False)
    finally:
        stop_process(waiting)
    assert refused.returncode == 1
    assert _one_line_error(refused).endswith(
        "a datalogger is writing to this database (dsmrhub run?): stop it first, or --force"
    )


def test_a_damaged_or_unknown_backup_is_refused_before_anything_changes(install, tmp_path):
    install.run("backup", "--to", str(tmp_path))
    [backup] = sorted(tmp_path.glob("dsmrhub-*.gz"))
    install.run("api", "enable")  # now the database differs from the backup
    settings_before = _settings(install)

    damaged = bytearray(backup.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    broken = tmp_path / "copy" / backup.name
    broken.parent.mkdir()
    broken.write_bytes(bytes(damaged))
    for suffix in (".sha256", ".json"):
        Path(f"{broken}{suffix}").write_bytes(Path(f"{backup}{suffix}").read_bytes())
    result = install.run("restore", "--force", str(broken), check=False)
    assert result.returncode == 1
    assert "the SHA-256 checksum does not match" in _one_line_error(result)

    Path(f"{broken}.sha256").unlink()
    result = install.run("restore", "--force", str(broken), check=False)
    assert result.returncode == 1 and "a backup is restored only with its checksum" in _one_line_error(result)

    manifest_path = Path(f"{backup}.json")
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "version": "99.0.0"}))
    result = install.run("restore", "--force", str(backup), check=False)
    assert result.returncode == 1
    assert "was made by dsmrhub 99.0.0, newer than this" in _one_line_error(result)
    manifest_path.write_text(
        json.dumps({**manifest, "migrations": [*manifest["migrations"], "readings.9999_from_the_future"]})
    )
    result = install.run("restore", "--force", str(backup), check=False)
    assert result.returncode == 1 and "newer than this" in _one_line_error(result)

    result = install.run("restore", str(tmp_path / "nothing.sqlite3.gz"), check=False)
    assert result.returncode == 1 and _one_line_error(result).endswith("nothing.sqlite3.gz: no such file")
    assert _settings(install) == settings_before


def test_backup_settings_from_the_command_line(install, tmp_path):
    shown = install.run("backup", "--keep", "3", "--hour", "4", "--directory", str(tmp_path / "kept")).stdout
    assert shown.startswith(f"backups: daily at 04:00, 3 kept, in {tmp_path / 'kept'} (0 there)")
    assert "next backup: " in shown
    install.run("backup")
    assert len(list((tmp_path / "kept").glob("dsmrhub-*.gz"))) == 1
    status = install.run("backup", "--status").stdout
    assert "(1 there)" in status and "last backup: " in status
    assert install.run("backup", "--no-daily").stdout.startswith("backups: daily off")
    for args, says in (
        (("--keep", "0"), "--keep: Ensure this value is greater than or equal to 1."),
        (("--hour", "24"), "--hour: Ensure this value is less than or equal to 23."),
        (("--keep", "many"), "argument --keep: invalid int value: 'many'"),
    ):
        result = install.run("backup", *args, check=False)
        assert result.returncode == 2, result.stderr
        assert says in _one_line_error(result)
