"""Property tests: random valid telegrams round-trip, mutated ones fail only with TelegramError,
and the framer cuts any chunking of a stream into exactly the telegrams in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsmrhub.telegram import Frame, Telegram, TelegramError, TelegramFramer, crc16_arc, parse_telegram

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
OTHER_MAKERS = {"ESY", "FLU", "LUX", "EST"}  # header prefixes that select another variant
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENERGY = {
    "1-0:1.8.1": "electricity_delivered_1",
    "1-0:1.8.2": "electricity_delivered_2",
    "1-0:2.8.1": "electricity_returned_1",
    "1-0:2.8.2": "electricity_returned_2",
}
POWER = {
    "1-0:1.7.0": "electricity_currently_delivered",
    "1-0:2.7.0": "electricity_currently_returned",
    "1-0:21.7.0": "phase_currently_delivered_l1",
    "1-0:41.7.0": "phase_currently_delivered_l2",
    "1-0:61.7.0": "phase_currently_delivered_l3",
    "1-0:22.7.0": "phase_currently_returned_l1",
}
VOLTAGE = {
    "1-0:32.7.0": "phase_voltage_l1",
    "1-0:52.7.0": "phase_voltage_l2",
    "1-0:72.7.0": "phase_voltage_l3",
}
CURRENT = {"1-0:31.7.0": "phase_power_current_l1", "1-0:51.7.0": "phase_power_current_l2"}
COUNTERS = {
    "0-0:96.7.21": "power_failure_count",
    "0-0:96.7.9": "long_power_failure_count",
    "1-0:32.32.0": "voltage_sag_count_l1",
    "1-0:52.36.0": "voltage_swell_count_l2",
}


def decimal_text(integer_digits: int, decimals: int):
    """(text as a meter writes it, the Decimal it stands for)."""

    def build(number: int) -> tuple[str, Decimal]:
        text = f"{number:0{integer_digits + decimals}d}"
        text = f"{text[:integer_digits]}.{text[integer_digits:]}" if decimals else text
        return text, Decimal(text)

    return st.integers(0, 10 ** (integer_digits + decimals) - 1).map(build)


@st.composite
def moments(draw) -> tuple[str, datetime]:
    """A DSMR stamp with the right S/W flag (both sides of each autumn fold) and its UTC instant."""
    instant = draw(st.datetimes(datetime(2001, 1, 1), datetime(2068, 12, 31), timezones=st.just(UTC)))
    local = instant.replace(microsecond=0).astimezone(AMSTERDAM)
    flag = "S" if local.dst() else "W"
    return local.strftime("%y%m%d%H%M%S") + flag, local.astimezone(UTC)


@st.composite
def telegrams(draw) -> tuple[str, dict]:
    """A random valid DSMR 4/5 telegram (optional registers in random order) and what it must give."""
    version = draw(st.sampled_from(["42", "50"]))
    stamp, moment = draw(moments())
    maker = draw(
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3).filter(lambda m: m not in OTHER_MAKERS)
    )
    header = (
        "/"
        + maker
        + "5\\2"
        + draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ ", min_size=1, max_size=20))
    )
    expected: dict = {"dsmr_version": version, "timestamp": moment, "header": header}
    lines = []
    for obis, field in ENERGY.items():
        if draw(st.booleans()):
            text, value = draw(decimal_text(6, 3))
            lines.append(f"{obis}({text}*{draw(st.sampled_from(['kWh', 'kwh']))})")
            expected[field] = value
    for table, digits, unit in ((POWER, (2, 3), "kW"), (VOLTAGE, (3, 1), "V"), (CURRENT, (3, 0), "A")):
        for obis, field in table.items():
            if draw(st.booleans()):
                text, value = draw(decimal_text(*digits))
                lines.append(f"{obis}({text}*{unit})")
                expected[field] = value
    for obis, field in COUNTERS.items():
        if draw(st.booleans()):
            count = draw(st.integers(0, 99999))
            lines.append(f"{obis}({count:05d})")
            expected[field] = count
    if draw(st.booleans()):
        tariff = draw(st.integers(1, 2))
        lines.append(f"0-0:96.14.0({tariff:04d})")
        expected["electricity_tariff"] = tariff
    if draw(st.booleans()):
        message = draw(st.binary(max_size=20)).hex().upper()
        lines.append(f"0-0:96.13.0({message})")
        expected["text_message"] = message or None
    if draw(st.booleans()):
        events = draw(st.lists(st.tuples(moments(), st.integers(0, 2**32)), max_size=4))
        parts = "".join(f"({end})({duration:010d}*s)" for (end, _), duration in events)
        lines.append(f"1-0:99.97.0({len(events)})(0-0:96.7.19){parts}")
        expected["power_failure_log"] = [(moment, duration) for (_, moment), duration in events]
    channels = draw(st.lists(st.integers(1, 4), unique=True, max_size=4))
    expected["mbus"] = []
    for channel in sorted(channels):
        device_type = draw(st.sampled_from([3, 7, 4]))
        identifier = draw(st.binary(min_size=1, max_size=17)).hex().upper()
        (gas_stamp, gas_moment), (text, value) = draw(moments()), draw(decimal_text(5, 3))
        unit = {3: "m3", 7: "m3", 4: "GJ"}[device_type]
        lines += [
            f"0-{channel}:24.1.0({device_type:03d})",
            f"0-{channel}:96.1.0({identifier})",
            f"0-{channel}:24.2.1({gas_stamp})({text}*{unit})",
        ]
        # (a zero reading with its unit and a real date is still a reading)
        expected["mbus"].append((channel, device_type, identifier, gas_moment, value, unit))
    lines = draw(st.permutations(lines))
    body = "\r\n".join([header, "", f"1-3:0.2.8({version})", f"0-0:1.0.0({stamp})", *lines, "!"])
    crc = crc16_arc(body.encode("latin-1"))
    return f"{body}{crc:04X}\r\n", expected


def check(tel: Telegram, expected: dict) -> None:
    for field, value in expected.items():
        if field == "power_failure_log":
            assert [(failure.end, failure.duration_seconds) for failure in tel.power_failure_log] == value
        elif field == "mbus":
            readings = [
                (r.channel, r.device_type, r.equipment_identifier, r.timestamp, r.value, r.unit)
                for r in tel.mbus
            ]
            assert readings == value
        else:
            assert getattr(tel, field) == value, field
            if isinstance(value, Decimal):
                assert str(getattr(tel, field)) == str(value)


@SETTINGS
@given(telegrams())
def test_random_telegrams_round_trip(case):
    text, expected = case
    tel = parse_telegram(text)
    check(tel, expected)
    assert tel.variant == ("dsmr5" if expected["dsmr_version"] == "50" else "dsmr4")
    assert parse_telegram(text.encode("latin-1")) == tel


@SETTINGS
@given(telegrams(), st.data())
def test_mutations_only_ever_raise_telegram_error(case, data):
    raw = bytearray(case[0].encode("latin-1"))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "replace":
            raw[position] = data.draw(st.integers(0, 255))
        elif action == "insert":
            raw.insert(position, data.draw(st.sampled_from(b"()*!/:.-\r\n\x00019AW")))
        elif len(raw) > 1:
            del raw[position]
    for check_crc in (True, False):
        try:
            parse_telegram(bytes(raw), check_crc=check_crc)
        except TelegramError as error:
            assert error.reason and isinstance(error.reason, str)


@st.composite
def streams(draw):
    texts = [draw(telegrams())[0].encode("latin-1") for _ in range(draw(st.integers(1, 4)))]
    garbage = st.binary(max_size=40).map(lambda junk: junk.replace(b"/", b"_"))
    stream = b"".join(draw(garbage) + b"\r\n" + text for text in texts) + draw(garbage)
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    chunks = [stream[start:end] for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    return texts, chunks


@SETTINGS
@given(streams())
def test_framer_finds_exactly_the_telegrams_however_the_stream_is_cut(case):
    texts, chunks = case
    framer = TelegramFramer()
    items = [item for chunk in chunks for item in framer.feed(chunk)] + framer.flush()
    assert [item.data for item in items if isinstance(item, Frame)] == texts
    assert all(parse_telegram(item.data) for item in items if isinstance(item, Frame))


def test_moments_cover_the_autumn_fold():
    """The generator's flag rule, spelled out for one fold: 02:30 happens as S and as W."""
    first = datetime(2023, 10, 29, 0, 30, tzinfo=UTC)
    second = first + timedelta(hours=1)
    local_first, local_second = first.astimezone(AMSTERDAM), second.astimezone(AMSTERDAM)
    assert local_first.strftime("%H%M") == local_second.strftime("%H%M") == "0230"
    assert (bool(local_first.dst()), bool(local_second.dst())) == (True, False)
    assert (parse_telegram_stamp(first), parse_telegram_stamp(second)) == (first, second)


def parse_telegram_stamp(moment: datetime) -> datetime | None:
    local = moment.astimezone(AMSTERDAM)
    body = (
        f"/ABC5\\2X\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0({local:%y%m%d%H%M%S}{'S' if local.dst() else 'W'})\r\n!"
    )
    return parse_telegram(body, check_crc=False).timestamp
