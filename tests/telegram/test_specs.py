"""Variants are data; detection picks them from the telegram; the public API is what we promise."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import dsmrhub.telegram as telegram
from dsmrhub.telegram import VARIANTS, detect_variant, parse_telegram
from dsmrhub.telegram.specs import DECIMAL, ENERGY, POWER, Register, normalise_obis

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegrams"


def test_variant_names():
    assert list(VARIANTS) == ["dsmr22", "dsmr4", "dsmr5", "be", "lu", "se", "hu", "ie", "q3d", "t210dr"]
    for name, spec in VARIANTS.items():
        assert spec.name == name and spec.description
        assert all(isinstance(register, Register) for register in spec.registers.values())


def test_tables_are_read_only():
    with pytest.raises(TypeError):
        VARIANTS["dsmr5"].registers["1-0:1.8.1"] = Register("x", DECIMAL, ENERGY)  # type: ignore[index]


def test_every_register_names_a_telegram_field():
    fields = {name for name in telegram.Telegram.__dataclass_fields__}
    mbus_fields = {name for name in telegram.MBusReading.__dataclass_fields__}
    for spec in VARIANTS.values():
        for obis, register in spec.registers.items():
            target = mbus_fields if register.channel else fields
            assert register.field in target, (spec.name, obis)


@pytest.mark.parametrize(
    ("file", "variant"),
    [
        ("dsmrparser-iskra-mt382-dsmr22-1.txt", "dsmr22"),
        ("dsmrparser-iskra-mt382-dsmr30-1.txt", "dsmr22"),
        ("nodedsmr-kamstrup-dsmr22-1.txt", "dsmr22"),
        ("nodedsmr-spec-dsmr40-1.txt", "dsmr4"),
        ("dsmrparser-kaifa-dsmr42-1.txt", "dsmr4"),
        ("dsmrparser-iskra-am550-dsmr50-2mbus-1.txt", "dsmr5"),
        ("dsmrparser-fluvius-gas-water-1.txt", "be"),
        ("nodedsmr-smarty-lu-spec-1.txt", "lu"),
        ("own-kamstrup-omnia-se-crc-fixed-1.txt", "se"),
        ("dsmrparser-eon-hu-sagemcom-1.txt", "hu"),
        ("dsmrparser-iskra-ie5-1.txt", "ie"),
        ("dsmrparser-easymeter-q3d-1.txt", "q3d"),
        ("dsmrparser-sagemcom-t210dr-1.txt", "t210dr"),
        ("nodedsmr-sagemcom-xt211-1.txt", "dsmr5"),
    ],
)
def test_detection(file, variant):
    text = (FIXTURES / file).read_bytes().decode("latin-1")
    body = text[: text.index("\n!") + 1]
    assert detect_variant(body.split("\r\n", 1)[0], body) == variant
    assert parse_telegram(text, check_crc=False).variant == variant


def test_detection_by_registers_when_the_header_says_nothing():
    assert detect_variant("/XYZ5", "/XYZ5\r\n0-0:96.1.4(50217)\r\n") == "be"
    assert detect_variant("/XYZ5", "/XYZ5\r\n1-3:0.2.8(42)\r\n0-0:42.0.0(AB)\r\n") == "lu"
    assert detect_variant("/XYZ5", "/XYZ5\r\n1-3:0.2.8(30)\r\n") == "dsmr22"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("1-0:1.8.0*255", "1-0:1.8.0"),
        ("1-0:31.7.0.255", "1-0:31.7.0"),
        ("1-0:99:97.0", "1-0:99.97.0"),
        ("1-1:1.8.1", "1-0:1.8.1"),
        ("1-1:31.4.0", "1-1:31.4.0"),  # not an energy register: stays on channel 1-1
        (" 1-0:1.7.0\x00", "1-0:1.7.0"),
        ("garbage", ""),
    ],
)
def test_obis_spellings(written, code):
    assert normalise_obis(written, VARIANTS["dsmr5"]) == code


def test_units():
    assert POWER.exponent("W") == -3 and POWER.exponent("kw") == 0 and POWER.exponent("kVA") is None
    assert ENERGY.exponent("WH") == -3


def test_public_api():
    assert set(telegram.__all__) >= {
        "TelegramError",
        "parse_telegram",
        "crc16_arc",
        "TelegramFramer",
        "EncryptedFramer",
        "Frame",
        "Discarded",
        "decrypt_frame",
        "Telegram",
        "MBusReading",
        "PowerFailure",
    }
    assert issubclass(telegram.TelegramError, ValueError)
    signature = inspect.signature(telegram.parse_telegram)
    assert list(signature.parameters) == ["data", "tz", "check_crc", "variant"]
    assert signature.parameters["tz"].default == "Europe/Amsterdam"
    assert all(p.kind is p.KEYWORD_ONLY for p in list(signature.parameters.values())[1:])
    assert list(inspect.signature(telegram.decrypt_frame).parameters) == ["frame", "key", "auth_key"]
    assert inspect.signature(telegram.TelegramFramer).parameters["max_size"].default == 8192


def test_the_package_does_not_import_django():
    import subprocess
    import sys

    code = "import sys, dsmrhub.telegram; print(any(m.startswith('django') for m in sys.modules))"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        == "False\n"
    )
