"""An encrypted (Luxembourg, AES-128-GCM) meter through a real `dsmrhub datalogger` on a TCP source.

The frames are the public test frames of tests/fixtures/telegrams/ (keys in its README): the esphome
frame decrypts to a CRC-valid Sagemcom T210-D telegram; the two node-dsmr frames decrypt to a Smarty
telegram whose (anonymised) content no longer matches its CRC, so they must be rejected and counted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.datalogger.meters import TcpMeter
from tests.processes import stop_process, wait_until

pytestmark = pytest.mark.xdist_group("processes")

FIXTURES = Path(__file__).parent.parent / "fixtures" / "telegrams"
ESPHOME = (FIXTURES / "esphomelibs-sagemcom-t210dr-encrypted-1.bin").read_bytes()
ESPHOME_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
ESPHOME_AUTH_KEY = "00112233445566778899AABBCCDDEEFF"
# 0-0:1.0.0(221006155014S): 2022-10-06 15:50:14 summer time in the Netherlands
ESPHOME_TIMESTAMP = int(datetime(2022, 10, 6, 13, 50, 14, tzinfo=UTC).timestamp())
NODEDSMR = [(FIXTURES / f"nodedsmr-smarty-lu-spec-encrypted-{n}.bin").read_bytes() for n in (1, 2)]
NODEDSMR_KEY = "0123456789abcdef0123456789abcdef"


def _run(install, key: str, stream: bytes, *, stored: list[int], rejected: int) -> None:
    meter = TcpMeter()
    logger = install.start("datalogger", "--source", meter.url, "--decryption-key", key, log="datalogger")
    try:
        meter.send(stream, chunk=61)  # frames split over many reads
        wait_until(lambda: install.rejected() == rejected, message="rejections counted")
        wait_until(lambda: install.stored_timestamps() == stored, message="stored readings")
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.close()


def test_encrypted_meter_through_the_datalogger(install):
    install.run("datalogger-settings", "--authentication-key", ESPHOME_AUTH_KEY)
    # Noise, the meter's frame twice (stored once), and a frame of another meter (tag mismatch).
    _run(
        install,
        ESPHOME_KEY,
        b"\x00\xffnoise" + ESPHOME + ESPHOME + NODEDSMR[0],
        stored=[ESPHOME_TIMESTAMP],
        rejected=2,
    )
    log = install.log_text("datalogger")
    assert "authentication tag does not match" in log
    row = install.query(
        "SELECT electricity_delivered_1, electricity_delivered_2, electricity_currently_delivered"
        " FROM readings_dsmrreading"
    )
    assert [tuple(int(value) for value in row[0])] == [(5017120, 1528646, 286)]  # thousandths: kWh, kW
    assert (
        "0-0:1.0.0(221006155014S)"
        in install.query("SELECT latest_telegram FROM readings_meterstatistics")[0][0]
    )

    # The node-dsmr frames decrypt (one without a tag check, one with a tag over an empty AAD),
    # but their content does not match the CRC: both rejected, nothing stored.
    install.run("datalogger-settings", "--authentication-key", "")
    _run(install, NODEDSMR_KEY, NODEDSMR[0] + NODEDSMR[1], stored=[ESPHOME_TIMESTAMP], rejected=4)
    assert install.log_text("datalogger").count("CRC mismatch") == 2
