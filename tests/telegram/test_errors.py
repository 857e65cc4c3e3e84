"""What the parser rejects (always as TelegramError with a reason) and where it is lenient."""

from __future__ import annotations

import ast
import re
from decimal import Decimal

import pytest

from dsmrhub.telegram import TelegramError, crc16_arc, parse_telegram

from . import corpus

BODY = (
    "/ISK5\\2M550T-1012\r\n"
    "\r\n"
    "1-3:0.2.8(50)\r\n"
    "0-0:1.0.0(190324150541W)\r\n"
    "0-0:96.1.1(4530303434303037313331363530363138)\r\n"
    "1-0:1.8.1(003432.829*kWh)\r\n"
    "1-0:1.8.2(003224.632*kWh)\r\n"
    "1-0:2.8.1(000000.000*kWh)\r\n"
    "1-0:2.8.2(000000.000*kWh)\r\n"
    "0-0:96.14.0(0001)\r\n"
    "1-0:1.7.0(00.433*kW)\r\n"
    "1-0:2.7.0(00.000*kW)\r\n"
    "0-1:24.1.0(003)\r\n"
    "0-1:24.2.1(190324150000W)(01234.567*m3)\r\n"
    "!"
)


def signed(body: str) -> str:
    return f"{body}{crc16_arc(body.encode('latin-1')):04X}\r\n"


GOOD = signed(BODY)


def reason(data, **options) -> str:
    with pytest.raises(TelegramError) as caught:
        parse_telegram(data, **options)
    assert isinstance(caught.value, ValueError)
    return caught.value.reason


def test_the_good_one_parses():
    tel = parse_telegram(GOOD)
    assert tel.electricity_delivered_1 == Decimal("3432.829") and tel.gas.value == Decimal("1234.567")


def test_no_header():
    assert reason("") == "no '/' header"
    assert reason(GOOD.replace("/", "")) == "no '/' header"
    assert reason(b"\xff\xfe garbage") == "no '/' header"


def test_garbage_before_the_header():
    assert reason("junk\r\n" + GOOD) == "garbage before the '/' header"
    assert parse_telegram("\r\n\x00  " + GOOD).crc == GOOD[-6:-2]  # blank lead-in is fine


def test_truncated():
    assert reason(GOOD[: GOOD.index("1-0:2.7.0")]) == "truncated: no '!' end line"
    assert reason(GOOD[:40]) == "truncated: no '!' end line"


def test_crc_mismatch_names_both_values_and_the_line():
    bad = GOOD.replace("003432.829", "003432.830")
    with pytest.raises(TelegramError) as caught:
        parse_telegram(bad)
    given, computed = GOOD[-6:-2], f"{crc16_arc(bad[: bad.index('!') + 1].encode()):04X}"
    assert caught.value.reason == f"CRC mismatch: telegram says {given}, content gives {computed}"
    assert caught.value.line == BODY.count("\n") + 1
    assert parse_telegram(bad, check_crc=False).electricity_delivered_1 == Decimal("3432.830")


def test_crc_is_case_insensitive_and_may_lack_its_leading_zero():
    crc = crc16_arc(BODY.encode())
    assert parse_telegram(f"{BODY}{crc:04x}\r\n").crc == f"{crc:04X}"
    body = BODY.replace("003432.829", "003432.000")
    for filler in range(1000):  # find a body whose CRC has a leading zero
        candidate = body.replace("(0001)", f"({filler:04d})")
        crc = crc16_arc(candidate.encode())
        if crc < 0x1000:
            break
    tel = parse_telegram(f"{candidate}{crc:X}\r\n")
    assert tel.crc == f"{crc:X}" and len(tel.crc) <= 3


def test_bad_crc_line():
    assert reason(BODY + "12345\r\n").startswith("bad CRC line")
    assert reason(BODY + "XYZ1\r\n").startswith("bad CRC line")
    assert reason(BODY + "XYZ1\r\n", check_crc=False).startswith("bad CRC line")


def test_dsmr5_telegram_without_crc():
    """DSMR 4+ must carry a CRC: a bare '!' is rejected, unless CRC checking is off."""
    assert reason(BODY + "\r\n").startswith("missing CRC")
    assert parse_telegram(BODY + "\r\n", check_crc=False).crc is None


def test_lf_only_lines_parse_and_the_crc_covers_the_bytes_as_given():
    lf_body = BODY.replace("\r\n", "\n")
    tel = parse_telegram(signed(lf_body).replace("\r\n", "\n"))
    assert tel.electricity_delivered_2 == Decimal("3224.632") and tel.gas is not None
    with pytest.raises(TelegramError, match="CRC mismatch"):
        parse_telegram(lf_body + GOOD[-6:])  # the CRLF telegram's CRC does not fit LF lines


def test_nul_bytes():
    with_nul = GOOD.replace("1-0:1.8.2", "1-0:1.8.2\x00")
    assert reason(with_nul).startswith("CRC mismatch")
    tel = parse_telegram(with_nul.encode("latin-1"), check_crc=False)  # a stray NUL next to the OBIS code
    assert tel.electricity_delivered_2 == Decimal("3224.632") and not tel.other
    in_value = GOOD.replace("(003224.632*kWh)", "(0032\x0024.632*kWh)")
    assert reason(in_value, check_crc=False) == "bad value on line 7: '1-0:1.8.2(0032\\x0024.632*kWh)'"
    assert reason("\x00" * 100) == "no '/' header"


def test_bad_value_on_a_known_register():
    bad = signed(BODY.replace("1-0:1.8.1(003432.829*kWh)", "1-0:1.8.1(00x.1*kWh)"))
    with pytest.raises(TelegramError) as caught:
        parse_telegram(bad)
    assert caught.value.reason == "bad value on line 6: '1-0:1.8.1(00x.1*kWh)'"
    assert caught.value.line == 6


@pytest.mark.parametrize(
    "line",
    [
        "1-0:1.8.1(003432.829*kvarh)",  # unit that cannot be converted
        "1-0:1.8.1(003432.829*kWh",  # no closing bracket
        "1-0:1.8.1(NaN*kWh)",
        "1-0:1.8.1(1e5*kWh)",
        "1-0:1.8.1(-1*kWh)",
        "1-0:1.8.1()",
        "0-0:96.14.0(x1)",
        "0-0:1.0.0(1903241505)",  # 10 digits
        "0-0:1.0.0(190324150541X)",
        "0-1:24.1.0(gas)",
        "0-1:24.2.1(190324150000W)",  # value missing
        "0-1:24.2.1(190324150000W)(12.5x*m3)",
    ],
)
def test_malformed_known_registers(line):
    obis = line.split("(")[0]
    body = re.sub(re.escape(obis) + r"\(.*\)\r\n", lambda _: line + "\r\n", BODY, count=1)
    assert line in body
    assert (
        reason(signed(body)) == f"bad value on line {BODY.count(chr(10), 0, BODY.index(obis)) + 1}: {line!r}"
    )


def test_unknown_registers_are_kept_raw():
    tel = parse_telegram(signed(BODY.replace("!", "1-0:14.7.0(50.00*Hz)\r\n0-0:96.99.9(a)(b)\r\n!")))
    assert tel.other == {"1-0:14.7.0": "(50.00*Hz)", "0-0:96.99.9": "(a)(b)"}


@pytest.mark.parametrize(
    ("extra", "obis", "first"),
    [
        ("1-0:1.8.1(003432.829*kWh)", "1-0:1.8.1", 6),  # the same line again
        ("1-0:1.8.1(009999.999*kWh)", "1-0:1.8.1", 6),  # another value
        ("1-0:1.8.1*255(003432.829*kWh)", "1-0:1.8.1*255", 6),  # another spelling of the code
        ("0-0:1.0.0(190324150542W)", "0-0:1.0.0", 4),  # the meter clock (never from the line cache)
        ("0-1:24.2.1(190324150000W)(01234.567*m3)", "0-1:24.2.1", 14),  # an M-Bus channel's reading
        ("0-0:96.14.0(0002)", "0-0:96.14.0", 10),
    ],
)
def test_a_register_twice_is_rejected_with_both_lines(extra, obis, first):
    twice = signed(BODY.replace("!", f"{extra}\r\n!"))
    for check_crc in (True, True, False):  # parsed afresh, then its lines from the line cache
        with pytest.raises(TelegramError) as caught:
            parse_telegram(twice, check_crc=check_crc)
        assert caught.value.reason == f"duplicate register {obis} on lines {first} and 15"
        assert caught.value.line == 15


def test_an_unknown_register_twice_is_rejected_too():
    twice = signed(BODY.replace("!", "1-0:14.7.0(50.00*Hz)\r\n1-0:14.7.0(50.01*Hz)\r\n!"))
    assert reason(twice) == "duplicate register 1-0:14.7.0 on lines 15 and 16"


def test_one_code_in_two_m_bus_channels_is_no_duplicate():
    second = "0-2:24.1.0(007)\r\n0-2:24.2.1(190324150000W)(00012.345*m3)\r\n!"
    tel = parse_telegram(signed(BODY.replace("!", second)))
    assert [(reading.channel, reading.value) for reading in tel.mbus] == [
        (1, Decimal("1234.567")),
        (2, Decimal("12.345")),
    ]


def test_two_registers_for_one_field_are_no_duplicate():
    """0-1:96.1.0 and 0-1:96.1.1 both name the gas meter (meters send one or the other): not the same
    register, so a telegram holding both still parses, the later line winning as it always did."""
    both = "0-1:96.1.0(4730303139333430323231313938343135)\r\n0-1:96.1.1(4B414D3031)\r\n!"
    assert parse_telegram(signed(BODY.replace("!", both))).gas.equipment_identifier == "4B414D3031"


def test_dsmr22_two_line_gas_register_twice():
    body = (
        "/ISk5\\2MT382-1003\r\n\r\n0-0:96.1.1(5A424556303035313239383833353532)\r\n"
        "1-0:1.8.1(00001.001*kWh)\r\n1-0:1.8.2(00001.001*kWh)\r\n1-0:2.8.1(00001.001*kWh)\r\n"
        "1-0:2.8.2(00001.001*kWh)\r\n"
        "0-1:24.3.0(120517020000)(08)(60)(1)(0-1:24.2.1)(m3)\r\n(00001.001)\r\n"
    )
    assert [reading.value for reading in parse_telegram(body + "!\r\n").mbus] == [Decimal("1.001")]
    again = body + "0-1:24.3.0(120517030000)(08)(60)(1)(0-1:24.2.1)(m3)\r\n(00001.002)\r\n!\r\n"
    assert reason(again) == "duplicate register 0-1:24.3.0 on lines 8 and 10"


def test_a_line_that_is_no_register():
    assert reason(signed(BODY.replace("!", "***NO CARRIER***\r\n!"))) == "bad line 15: '***NO CARRIER***'"
    assert parse_telegram(signed(BODY.replace("!", "\r\n  \r\n!"))).electricity_tariff == 1  # blank lines


@pytest.mark.parametrize(
    "stamp",
    ["632525252525W", "000000000000W", "250000000000W", "123412341234W", "700101010000W", "991231235959S"],
)
def test_impossible_and_placeholder_timestamps_are_none(stamp):
    tel = parse_telegram(signed(BODY.replace("190324150541W", stamp)))
    assert tel.timestamp is None


def test_power_failure_log_forms():
    for log, expected in [
        ("()", 0),
        ("(0)(0-0:96.7.19)", 0),
        ("(1)(0-0:96.7.19)(000101000001W)(2147483647*s)", 1),
        ("(2)(0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)(00000000301*s)", 2),
        ("(1)(0-0:96.7.19)(000000000000S)(23)", 1),
    ]:
        tel = parse_telegram(signed(BODY.replace("!", f"1-0:99.97.0{log}\r\n!")))
        assert len(tel.power_failure_log) == expected, log
    assert reason(signed(BODY.replace("!", "1-0:99.97.0(1)(0-0:96.7.19)(000101000001W)\r\n!"))).startswith(
        "bad value"
    )


def test_input_types_and_options():
    assert parse_telegram(GOOD.encode("latin-1")) == parse_telegram(bytearray(GOOD.encode("latin-1")))
    assert reason(12345).startswith("expected str or bytes")
    assert reason(GOOD.replace("1-0:1.8.2", "1-0:1.8.2€")).startswith("telegram text is not latin-1")
    assert reason(GOOD, variant="xx").startswith("unknown variant 'xx'")
    assert reason(GOOD, tz="Mars/Olympus").startswith("unknown time zone")


def test_pickled_error_keeps_its_line():
    import pickle

    error = pickle.loads(pickle.dumps(TelegramError("bad value on line 3: 'x'", line=3)))
    assert (error.reason, error.line) == ("bad value on line 3: 'x'", 3)


# The DSMR-reader API documentation's example telegram (../shared/seed/api-documentation.rst) ------
def _api_doc_telegram() -> str | None:
    path = corpus.corpus_dir().parent / "seed" / "api-documentation.rst"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    block = text[text.index("telegram_string = ''.join([") :]
    block = block[: block.index("])")]
    return "".join(ast.literal_eval(part) for part in re.findall(r'^\s*(".*?"),\s*$', block, re.M))


def test_api_documentation_example():
    """Its CRC 74B0 is wrong (the content gives A97E); with the CRC corrected it parses."""
    text = corpus.require(_api_doc_telegram(), "../shared/seed/api-documentation.rst not found: test skipped")
    assert text.startswith("/KFM5KAIFA-METER") and text.endswith("!74B0\n")
    with pytest.raises(TelegramError) as caught:
        parse_telegram(text)
    assert caught.value.reason == "CRC mismatch: telegram says 74B0, content gives A97E"
    tel = parse_telegram(text.replace("!74B0", "!A97E"))
    assert (tel.variant, tel.dsmr_version, tel.crc) == ("dsmr4", "42", "A97E")
    assert tel.equipment_identifier == "*******************************"
    assert tel.electricity_delivered_1 == Decimal("1073.079") and tel.electricity_delivered_2 == Decimal(
        "1263.199"
    )
    assert tel.power_failure_log[0].duration_seconds == 2147483647


def test_dsmr22_gas_value_on_the_next_line():
    base = (
        "/ISk5\\2MT382-1000\r\n\r\n1-0:1.8.1(12345.678*kWh)\r\n0-1:24.1.0(3)\r\n"
        "0-1:24.3.0(090212160000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n"
    )
    gas = parse_telegram(base + "(00001.001)\r\n!\r\n").gas
    assert (gas.value, gas.unit, gas.obis, gas.timestamp.isoformat()) == (
        Decimal("1.001"),
        "m3",
        "0-1:24.3.0",
        "2009-02-12T15:00:00+00:00",
    )
    assert parse_telegram(base.replace("(m3)\r\n", "(m3)(00002.002)\r\n") + "!").gas.value == Decimal("2.002")
    assert reason(base + "(0000x.001)\r\n!\r\n") == "bad value on line 6: '(0000x.001)'"
    assert reason(base + "(00001.0.01)\r\n!\r\n") == "bad value on line 6: '(00001.0.01)'"
    assert parse_telegram(base + "!\r\n").gas is None  # the value line never came
    assert reason(base + "0-1:24.4.0(1)\r\n(00001.001)\r\n!") == "bad line 7: '(00001.001)'"
