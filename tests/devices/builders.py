"""DSMR 5 telegrams with any M-Bus devices on any channel, ingested through the one ingest service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import AMSTERDAM, with_crc


@dataclass(frozen=True)
class Channel:
    """One M-Bus channel's lines: ``device_type`` None leaves the 0-n:24.1.0 line out."""

    channel: int
    device_type: int | None
    identifier: str
    stamp: datetime  # aware
    value: Decimal | str
    unit: str = "m3"
    register: str = "24.2.1"


def _stamp(moment: datetime) -> str:
    local = moment.astimezone(AMSTERDAM)
    return local.strftime("%y%m%d%H%M%S") + ("S" if local.dst() else "W")


def telegram(at: datetime, *channels: Channel, delivered: Decimal = Decimal("1000.000")) -> str:
    lines = [
        "/ISK5\\2M550T-1012",
        "",
        "1-3:0.2.8(50)",
        f"0-0:1.0.0({_stamp(at)})",
        "0-0:96.1.1(4530303434303037313331363530383136)",
        f"1-0:1.8.1({delivered:010.3f}*kWh)",
        "1-0:1.8.2(000000.000*kWh)",
        "1-0:2.8.1(000000.000*kWh)",
        "1-0:2.8.2(000000.000*kWh)",
        "0-0:96.14.0(0001)",
        "1-0:1.7.0(00.500*kW)",
        "1-0:2.7.0(00.000*kW)",
    ]
    for c in channels:
        if c.device_type is not None:
            lines.append(f"0-{c.channel}:24.1.0({c.device_type:03d})")
        lines.append(f"0-{c.channel}:96.1.0({c.identifier})")
        value = Decimal(c.value)
        lines.append(f"0-{c.channel}:{c.register}({_stamp(c.stamp)})({value:09.3f}*{c.unit})")
    lines.append("!")
    return with_crc("\r\n".join(lines))


def ingest(telegrams: list[str]) -> None:
    """Store the telegrams through the ingest service, then run the processor's pass once."""
    for text in telegrams:
        assert reading_ingest_telegram(telegram=text).created
    processing_run_pending()


def stream(
    start: datetime,
    hours: int,
    devices: list[tuple[int, int | None, str, Decimal, Decimal, str]],
    *,
    every: timedelta = timedelta(minutes=5),
) -> list[str]:
    """Telegrams every minute for ``hours``; each device (channel, type, identifier, start position, use per
    hour, unit) sends a value stamped every ``every`` (a linear advance), as a DSMR 5 meter does."""
    texts = []
    moment = start
    while moment <= start + timedelta(hours=hours):
        stamp = start + (moment - start) // every * every
        elapsed = Decimal(int((stamp - start).total_seconds())) / 3600
        channels = [
            Channel(
                channel, kind, ident, stamp, (begin + per_hour * elapsed).quantize(Decimal("0.001")), unit
            )
            for channel, kind, ident, begin, per_hour, unit in devices
        ]
        texts.append(telegram(moment, *channels))
        moment += timedelta(minutes=1)
    return texts
