"""A built-in demo meter: realistic, CRC-valid DSMR 5 telegrams for a three-phase home with gas."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dsmrhub.telegram import crc16_arc

GAS_INTERVAL = timedelta(minutes=5)
KWH = Decimal("0.001")


@dataclass
class DemoMeter:
    """Simulates a household: base load, a daily curve, random appliances, solar return at noon.

    ``telegram_at(moment)`` advances the meter to ``moment`` and returns the telegram it would send then.
    """

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))
    seed: int | None = None
    delivered: list[Decimal] = field(default_factory=lambda: [Decimal("4123.456"), Decimal("3876.543")])
    returned: list[Decimal] = field(default_factory=lambda: [Decimal("512.100"), Decimal("1287.400")])
    gas: Decimal = Decimal("2345.678")
    power_failures: int = 3
    _last: datetime | None = None
    _gas_stamp: datetime | None = None
    _gas_value: Decimal | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def telegram_at(self, moment: datetime) -> str:
        local = moment.astimezone(self.tz).replace(microsecond=0)
        delivered_kw, returned_kw = self._power(local)
        tariff = self._tariff(local)
        if self._last is not None and local > self._last:
            hours = Decimal((local - self._last).total_seconds()) / 3600
            self.delivered[tariff - 1] += (Decimal(delivered_kw) * hours).quantize(KWH)
            self.returned[tariff - 1] += (Decimal(returned_kw) * hours).quantize(KWH)
            self._advance_gas(local, hours)
        self._last = local
        gas_stamp = self._gas_stamp or local - timedelta(seconds=local.minute % 5 * 60 + local.second)
        return self._render(local, tariff, delivered_kw, returned_kw, gas_stamp)

    def _power(self, local: datetime) -> tuple[float, float]:
        hour = local.hour + local.minute / 60
        base = 0.18 + 0.35 * max(0.0, math.sin((hour - 6) / 24 * 2 * math.pi))
        evening = 0.9 * math.exp(-((hour - 19) ** 2) / 3)
        appliance = self._random.choice([0.0] * 8 + [1.2, 2.0])
        solar = max(0.0, 2.6 * math.sin((hour - 7) / 12 * math.pi)) if 7 <= hour <= 19 else 0.0
        use = base + evening + appliance + self._random.uniform(-0.05, 0.05)
        net = use - solar
        return (round(max(net, 0.0), 3), round(max(-net, 0.0), 3))

    @staticmethod
    def _tariff(local: datetime) -> int:
        """Tariff 1 (low) at night and in weekends, 2 (normal) on weekdays 07:00–23:00."""
        return 1 if local.weekday() >= 5 or not 7 <= local.hour < 23 else 2

    def _advance_gas(self, local: datetime, hours: Decimal) -> None:
        heating = Decimal("0.12") if local.month in (10, 11, 12, 1, 2, 3, 4) else Decimal("0.02")
        self.gas += (heating * hours).quantize(KWH)
        stamp = local - timedelta(seconds=local.minute % 5 * 60 + local.second)
        if self._gas_stamp is None or stamp - self._gas_stamp >= GAS_INTERVAL:
            self._gas_stamp = stamp
            self._gas_value = self.gas

    def _render(
        self, local: datetime, tariff: int, delivered_kw: float, returned_kw: float, gas_stamp: datetime
    ) -> str:
        phases = self._split(delivered_kw)
        phases_returned = self._split(returned_kw)
        volts = [Decimal(f"{230 + self._random.uniform(-3, 3):.1f}") for _ in range(3)]
        amps = [
            int((d + r) * 1000 / float(v)) for d, r, v in zip(phases, phases_returned, volts, strict=True)
        ]
        gas_value = self.gas if self._gas_value is None else self._gas_value
        lines = [
            "/ISK5\\2M550T-1012",
            "",
            "1-3:0.2.8(50)",
            f"0-0:1.0.0({_stamp(local)})",
            "0-0:96.1.1(4530303434303037313331363530383136)",
            f"1-0:1.8.1({self.delivered[0]:010.3f}*kWh)",
            f"1-0:1.8.2({self.delivered[1]:010.3f}*kWh)",
            f"1-0:2.8.1({self.returned[0]:010.3f}*kWh)",
            f"1-0:2.8.2({self.returned[1]:010.3f}*kWh)",
            f"0-0:96.14.0({tariff:04d})",
            f"1-0:1.7.0({delivered_kw:06.3f}*kW)",
            f"1-0:2.7.0({returned_kw:06.3f}*kW)",
            f"0-0:96.7.21({self.power_failures:05d})",
            "0-0:96.7.9(00001)",
            "1-0:99.97.0(1)(0-0:96.7.19)(230101120000W)(0000000300*s)",
            "1-0:32.32.0(00002)",
            "1-0:52.32.0(00001)",
            "1-0:72.32.0(00001)",
            "1-0:32.36.0(00000)",
            "1-0:52.36.0(00000)",
            "1-0:72.36.0(00000)",
            "0-0:96.13.0()",
            *(f"1-0:{code}.7.0({v}*V)" for code, v in zip((32, 52, 72), volts, strict=True)),
            *(f"1-0:{code}.7.0({a:03d}*A)" for code, a in zip((31, 51, 71), amps, strict=True)),
            *(f"1-0:{code}.7.0({p:06.3f}*kW)" for code, p in zip((21, 41, 61), phases, strict=True)),
            *(f"1-0:{code}.7.0({p:06.3f}*kW)" for code, p in zip((22, 42, 62), phases_returned, strict=True)),
            "0-1:24.1.0(003)",
            "0-1:96.1.0(4730303339303031363532303530323136)",
            f"0-1:24.2.1({_stamp(gas_stamp)})({gas_value:09.3f}*m3)",
            "!",
        ]
        body = "\r\n".join(lines)
        return f"{body}{crc16_arc(body.encode('latin-1')):04X}\r\n"

    def _split(self, total: float) -> list[float]:
        if total <= 0:
            return [0.0, 0.0, 0.0]
        weights = [self._random.uniform(0.5, 1.5) for _ in range(3)]
        parts = [round(total * w / sum(weights), 3) for w in weights]
        parts[0] = round(max(total - parts[1] - parts[2], 0.0), 3)
        return parts


def _stamp(local: datetime) -> str:
    """YYMMDDhhmmssX with X = S in summer time, W in winter time."""
    return local.strftime("%y%m%d%H%M%S") + ("S" if local.dst() else "W")
