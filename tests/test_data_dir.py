"""The data dir is its owner's alone: 0700, and 0600 for the database, buffer and secret key in it,
whether `dsmrhub` creates them or finds an older install readable by others."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dsmrhub.datadir import data_dir_tighten
from tests.helpers import demo_telegrams
from tests.processes import ON_POSTGRES, dsmrhub

pytestmark = pytest.mark.xdist_group("processes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _replay(cli_env, tmp_path) -> None:
    capture = tmp_path / "capture.txt"
    capture.write_text("".join(telegram for _, telegram in demo_telegrams(3)))
    dsmrhub(cli_env, "datalogger", "--source", f"replay:{capture}?speed=0")


def test_a_new_install_keeps_its_data_dir_and_files_private(cli_env, tmp_path):
    data = Path(cli_env["DSMRHUB_DATA_DIR"])
    dsmrhub(cli_env, "migrate", "-v0")
    _replay(cli_env, tmp_path)
    expected = ["secret_key", "datalogger-buffer.sqlite3"] + ([] if ON_POSTGRES else ["dsmrhub.sqlite3"])
    assert _mode(data) == 0o700
    for name in expected:
        assert _mode(data / name) == 0o600, name
    everything = [Path(root, name) for root, dirs, files in os.walk(data) for name in dirs + files]
    assert everything and all(_mode(path) & 0o077 == 0 for path in everything), {
        str(path): oct(_mode(path)) for path in everything
    }


def test_an_older_install_readable_by_others_is_tightened_at_start_and_says_so(cli_env, tmp_path):
    data = Path(cli_env["DSMRHUB_DATA_DIR"])
    dsmrhub(cli_env, "migrate", "-v0")
    _replay(cli_env, tmp_path)
    names = sorted(path.name for path in data.iterdir())
    for name in names:
        (data / name).chmod(0o644)
    data.chmod(0o755)
    result = dsmrhub(cli_env, "api", "show")
    assert _mode(data) == 0o700
    assert {name: _mode(data / name) for name in names} == dict.fromkeys(names, 0o600)
    changes = ", ".join([". 0755 -> 0700", *(f"{name} 0644 -> 0600" for name in names)])
    assert f"data dir {data} was readable by others; permissions tightened: {changes}" in result.stderr
    assert "permissions tightened" not in dsmrhub(cli_env, "api", "show").stderr  # nothing left to do


def test_tightening_leaves_symbolic_links_and_their_targets_alone(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    outside.chmod(0o644)
    data = tmp_path / "data"
    (data / "queue").mkdir(parents=True)
    (data / "queue" / "item").write_text("x")
    (data / "queue" / "item").chmod(0o664)
    (data / "link").symlink_to(outside)
    (data / "queue").chmod(0o755)
    data.chmod(0o750)
    assert data_dir_tighten(data) == [". 0750 -> 0700", "queue 0755 -> 0700", "queue/item 0664 -> 0600"]
    assert _mode(outside) == 0o644
    assert _mode(data / "queue" / "item") == 0o600
