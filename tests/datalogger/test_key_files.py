"""Secrets from files (systemd's LoadCredential=): `forward --api-key-file`, `--decryption-key-file` of the
datalogger and the forwarder; a bad file is one line and exit 2."""

from __future__ import annotations

import pytest

from tests.datalogger.meters import TcpMeter
from tests.datalogger.test_encrypted import ESPHOME, ESPHOME_AUTH_KEY, ESPHOME_KEY, ESPHOME_TIMESTAMP
from tests.processes import stop_process, wait_until

pytestmark = pytest.mark.xdist_group("processes")


def test_the_datalogger_reads_the_decryption_key_from_a_file(install, tmp_path):
    key_file = tmp_path / "decryption-key"
    key_file.write_text(ESPHOME_KEY + "\n")
    install.run("datalogger-settings", "--authentication-key", ESPHOME_AUTH_KEY)
    meter = TcpMeter()
    logger = install.start(
        "datalogger", "--source", meter.url, "--decryption-key-file", str(key_file), log="datalogger"
    )
    try:
        meter.send(ESPHOME, chunk=61)
        wait_until(
            lambda: install.stored_timestamps() == [ESPHOME_TIMESTAMP], message="the decrypted reading"
        )
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.close()


@pytest.mark.parametrize(
    "args, says",
    [
        (("forward", "--api-key-file", "{missing}"), "--api-key-file: cannot read {missing}: No such file"),
        (("forward", "--api-key-file", "{empty}"), "--api-key-file: {empty} is empty"),
        (("forward", "--api-key", "k" * 20, "--api-key-file", "{key}"), "--api-key or with --api-key-file"),
        (("forward", "--api-key-file", "{key}", "--decryption-key-file", "{missing}"),
         "--decryption-key-file: cannot read {missing}"),
        (("datalogger", "--decryption-key-file", "{missing}"), "--decryption-key-file: cannot read"),
        (("datalogger", "--decryption-key-file", "{key}"), "the key must be hexadecimal"),
    ],
)  # fmt: skip
def test_a_bad_key_file_is_one_line_and_exit_2(install, tmp_path, args, says):
    files = {"missing": tmp_path / "missing", "empty": tmp_path / "empty", "key": tmp_path / "key"}
    files["empty"].write_text("\n")
    files["key"].write_text("not-a-hex-key-0123456789\n")
    names = {name: str(path) for name, path in files.items()}
    args = [arg.format(**names) for arg in args]
    if args[0] == "forward":
        args += ["--source", "socket://127.0.0.1:9", "--to", "http://127.0.0.1:9"]
    else:
        args += ["--source", "socket://127.0.0.1:9"]
    result = install.run(*args, check=False)
    errors = [line for line in result.stderr.splitlines() if "dsmrhub.datadir" not in line]
    assert result.returncode == 2, result.stderr
    assert len(errors) == 1 and says.format(**names) in errors[0], result.stderr
