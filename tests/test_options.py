"""One name per thing on the command line: --decryption-key / --authentication-key for a meter's keys,
--api-key for an API key; the old --key / --auth-key still work, hidden from --help, with a warning."""

from __future__ import annotations

import re
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command, load_command_class

from dsmrhub.api.services import api_settings_get
from dsmrhub.datalogger.services import datalogger_settings_get
from tests.datalogger.test_encrypted import ESPHOME, ESPHOME_AUTH_KEY, ESPHOME_KEY, ESPHOME_TIMESTAMP
from tests.processes import (  # noqa: F401 - fixtures
    DSMRHUB,
    _template,
    free_port,
    install,
    make_install,
    stop_process,
    wait_for_http,
)

OLD_NAME = re.compile(r"(?<![\w-])--(?:key|auth-key)\b")
DECRYPTION_KEY = "000102030405060708090a0b0c0d0e0f"
AUTHENTICATION_KEY = "00112233445566778899aabbccddeeff"


def _help(capsys, app: str, name: str, *args: str) -> str:
    parser = load_command_class(app, name).create_parser("dsmrhub", name)
    with pytest.raises(SystemExit):
        parser.parse_args([*args, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "app, name, args, names",
    [
        ("dsmrhub.datalogger", "datalogger", (), ["--decryption-key HEX"]),
        (
            "dsmrhub.datalogger",
            "datalogger-settings",
            (),
            ["--decryption-key HEX", "--authentication-key HEX"],
        ),
        (
            "dsmrhub.datalogger",
            "forward",
            (),
            ["--api-key KEY", "--decryption-key HEX", "--authentication-key HEX"],
        ),
        ("dsmrhub.api", "api", ("enable",), ["--api-key KEY"]),
    ],
)
def test_help_shows_the_one_name_of_each_key(capsys, app, name, args, names):
    usage = _help(capsys, app, name, *args)
    for option in names:
        assert option in usage
    assert not OLD_NAME.search(usage), usage


def _deprecations(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if "deprecated" in record.getMessage()]


@pytest.mark.django_db
def test_datalogger_settings_old_names_still_set_the_keys_with_a_warning(caplog):
    call_command(
        "datalogger-settings", "--key", DECRYPTION_KEY, "--auth-key", AUTHENTICATION_KEY, stdout=StringIO()
    )
    stored = datalogger_settings_get()
    assert (stored.decryption_key, stored.authentication_key) == (DECRYPTION_KEY, AUTHENTICATION_KEY)
    assert _deprecations(caplog) == [
        "--key is deprecated, use --decryption-key",
        "--auth-key is deprecated, use --authentication-key",
    ]
    caplog.clear()
    out = StringIO()
    call_command("datalogger-settings", "--decryption-key", "", "--authentication-key", "", stdout=out)
    stored = datalogger_settings_get()
    assert (stored.decryption_key, stored.authentication_key) == ("", "")
    assert "decryption key: none" in out.getvalue() and "authentication key: none" in out.getvalue()
    assert _deprecations(caplog) == []


@pytest.mark.django_db
def test_api_enable_old_key_option_still_sets_the_key_with_a_warning(caplog):
    call_command("api", "enable", "--key", "an-old-style-key-0123", stdout=StringIO())
    assert api_settings_get().auth_key == "an-old-style-key-0123"
    assert _deprecations(caplog) == ["--key is deprecated, use --api-key"]
    caplog.clear()
    call_command("api", "enable", "--api-key", "a-new-style-key-4567", stdout=StringIO())
    assert api_settings_get().auth_key == "a-new-style-key-4567"
    assert _deprecations(caplog) == []


@pytest.mark.xdist_group("processes")
def test_forward_with_the_old_key_option_and_a_meters_authentication_key(install, tmp_path):  # noqa: F811
    """A real forwarder reads an encrypted capture (decryption and authentication key) and sends it to a
    real `dsmrhub serve` with the API key given the old way; a wrong authentication key sends nothing."""
    api_key = "forward-key-0123456789"
    install.run("api", "enable", "--api-key", api_key)
    port = free_port()
    server = install.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", log="serve")
    capture = tmp_path / "encrypted.bin"
    capture.write_bytes(ESPHOME)
    pi = {**install.env, "DSMRHUB_DATA_DIR": str(tmp_path / "pi")}
    pi.pop("DSMRHUB_DATABASE_URL", None)  # the forwarder has no database

    def forward(*args: str) -> subprocess.CompletedProcess:
        command = ["forward", "--source", f"replay:{capture}?speed=0", "--to", f"http://127.0.0.1:{port}"]
        command += ["--decryption-key", ESPHOME_KEY, "--retry-max", "0.5", *args]
        return subprocess.run([*DSMRHUB, *command], env=pi, capture_output=True, text=True, timeout=60)

    try:
        wait_for_http(f"http://127.0.0.1:{port}/", timeout=60)
        refused = forward("--api-key", api_key, "--authentication-key", "ff" * 16)
        assert refused.returncode == 0, refused.stderr
        assert "read 0 telegrams" in refused.stdout and "deprecated" not in refused.stderr
        sent = forward("--key", api_key, "--authentication-key", ESPHOME_AUTH_KEY)
    finally:
        stop_process(server)
    assert sent.returncode == 0, sent.stderr
    assert "read 1 telegrams" in sent.stdout and "sent 1, rejected 0, queued 0" in sent.stdout
    assert "--key is deprecated, use --api-key" in sent.stderr
    assert install.stored_timestamps() == [ESPHOME_TIMESTAMP]
