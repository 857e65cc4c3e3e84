"""MQTT settings, and turning readings, statistics and discovery into outbox messages.

The publisher follows the readings table by its own watermark (the timestamp of the last reading queued),
so ingest needs no hook and is never slowed: a pass queues what is new in one transaction, and the
sender deletes a message only once the broker acknowledged it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from dsmrhub.devices.kinds import GAS, MEASURED_KINDS
from dsmrhub.devices.selectors import device_day_totals, devices_present
from dsmrhub.mqtt.discovery import discovery_desired
from dsmrhub.mqtt.models import MQTTSettings, MQTTState, OutboxMessage
from dsmrhub.mqtt.topics import (
    CURRENT_PRICE_FIELDS,
    DEVICE_TOPIC,
    DEVICES_TOPIC,
    GAS_FIELDS,
    METER_STATS_FIELDS,
    PRICE_FIELDS,
    PRICES_TOPIC,
    QUARTER_PEAK_FIELDS,
    READING_FIELDS,
    RUNNING_QUARTER_FIELDS,
    SINCE_START_TOPIC,
    TOTALS_FIELDS,
)
from dsmrhub.prices.costs import contract_for_day
from dsmrhub.prices.models import ContractKind, EnergyContract, TermCommodity
from dsmrhub.processing.costs import price_now
from dsmrhub.processing.live import TARIFFS
from dsmrhub.processing.models import GasConsumption
from dsmrhub.processing.periods import from_epoch, local_date, to_epoch
from dsmrhub.processing.quarters import quarter_peaks
from dsmrhub.processing.running_quarter import running_quarter_latest
from dsmrhub.processing.selectors import DAY_TOTAL_FIELDS, consumption_today, day_statistics_totals
from dsmrhub.readings.models import DsmrReading, MeterStatistics
from dsmrhub.readings.tariffs import tariff_label, telegram_variant

logger = logging.getLogger("dsmrhub.mqtt")

READINGS_PER_PASS = 500
MILLI = Decimal("0.001")
CENT = Decimal("0.01")
CONNECTION_FIELDS = (
    "host",
    "port",
    "tls",
    "tls_ca_file",
    "tls_insecure",
    "username",
    "password",
    "client_id",
)
PRICE = Decimal("0.000001")
SETTABLE_FIELDS = {field.name for field in MQTTSettings._meta.fields} - {"id", "changed_at"}


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: str
    retain: bool = False


# ---------------------------------------------------------------- settings and state


def mqtt_settings_get() -> MQTTSettings:
    return MQTTSettings.load()


def mqtt_settings_update(*, password_file: Path | None = None, **values: Any) -> MQTTSettings:
    """Change the given settings (None leaves one as is); validated like the admin form.

    Enabling for the first time starts at the newest reading: history is not replayed to the broker.
    """
    unknown = set(values) - SETTABLE_FIELDS
    if unknown:
        raise ValueError(f"unknown MQTT settings: {', '.join(sorted(unknown))}")
    settings = mqtt_settings_get()
    was_enabled = settings.enabled
    for name, value in values.items():
        if value is not None:
            setattr(settings, name, value)
    if password_file is not None:
        try:
            settings.password = (
                password_file.read_text().splitlines()[0].strip() if password_file.stat().st_size else ""
            )
        except OSError as error:
            raise ValueError(f"cannot read the password file: {error.strerror}") from None
    from django.core.exceptions import ValidationError

    try:
        settings.full_clean()
    except ValidationError as error:
        raise ValueError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from None
    with transaction.atomic():
        settings.save()
        if settings.enabled and not was_enabled:
            mqtt_watermark_start()
    return settings


def mqtt_state_get() -> MQTTState:
    return MQTTState.load()


def mqtt_watermark_start() -> None:
    """Start following at the newest reading and gas hour (when not following yet)."""
    state = mqtt_state_get()
    changed = []
    if state.reading_watermark is None:
        newest = DsmrReading.objects.order_by("-timestamp").values_list("timestamp", flat=True).first()
        state.reading_watermark = to_epoch(newest) if newest else 0
        changed.append("reading_watermark")
    if state.gas_watermark is None:
        newest = GasConsumption.objects.order_by("-read_at").values_list("read_at", flat=True).first()
        state.gas_watermark = to_epoch(newest) if newest else 0
        changed.append("gas_watermark")
    if changed:
        state.save(update_fields=changed)


# ---------------------------------------------------------------- formatting


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return _text(value)
    return value


def _split(prefix: str, values: dict[str, Any]) -> list[Message]:
    """One message per field, skipping absent values. Retained: a subscriber that (re)starts gets the last
    value of every state topic at once (Home Assistant after a restart: the gas hour, today's totals)."""
    return [
        Message(f"{prefix}/{name}", _text(value), retain=True)
        for name, value in values.items()
        if value is not None
    ]


def _totals(values: dict[str, Decimal]) -> dict[str, Decimal]:
    merged = {
        "electricity_merged": values["electricity1"] + values["electricity2"],
        "electricity_returned_merged": values["electricity1_returned"] + values["electricity2_returned"],
        "electricity_cost_merged": values["electricity1_cost"] + values["electricity2_cost"],
    }
    values = {name: merged.get(name, values.get(name)) for name in TOTALS_FIELDS}
    return {name: value.quantize(CENT if "cost" in name else MILLI) for name, value in values.items()}


def reading_messages(*, settings: MQTTSettings, reading: DsmrReading) -> list[Message]:
    """The JSON message and the split topics of one reading, as enabled."""
    values = {name: getattr(reading, name) for name in READING_FIELDS}
    messages = []
    if settings.publish_json:
        body = {"id": to_epoch(reading.timestamp)}
        body.update((name, _json_value(value)) for name, value in values.items())
        messages.append(Message(f"{settings.prefix}/json", json.dumps(body, separators=(",", ":"))))
    if settings.publish_split:
        messages += _split(f"{settings.prefix}/reading", values)
    return messages


def _latest_messages(*, settings: MQTTSettings, newest: DsmrReading) -> list[Message]:
    """What describes the present rather than each reading: raw telegram, meter statistics, totals."""
    messages = []
    stats = MeterStatistics.row().first()
    if (
        stats is not None
        and settings.publish_raw
        and stats.latest_telegram
        and stats.timestamp == newest.timestamp
    ):
        messages.append(Message(f"{settings.prefix}/raw", stats.latest_telegram))
    if stats is not None and settings.publish_meter_stats:
        values = {n: getattr(stats, n) for n in METER_STATS_FIELDS}
        # the tariff the meter is on, named as the user or the meter's country names it (our own topic)
        values["electricity_tariff_name"] = tariff_label(
            tariff=stats.electricity_tariff if stats.electricity_tariff in TARIFFS else None,
            variant=telegram_variant(stats.latest_telegram),
        )
        messages += _split(f"{settings.prefix}/meter-stats", values)
    if settings.publish_day_totals or settings.publish_period_totals:
        today = consumption_today(now=newest.timestamp)
        if today is not None:
            day = {name: value for name, value in today.items() if name != "day"}
            contract = contract_for_day(day=date.fromisoformat(today["day"]))
            day["fixed_cost"] = contract.fixed_daily_cost if contract else Decimal(0)
            if settings.publish_day_totals:
                messages += _split(f"{settings.prefix}/day-consumption", _totals(day))
                if contract is not None:
                    messages += _split(f"{settings.prefix}/day-consumption", _day_prices(contract))
            if settings.publish_period_totals:
                messages += _period_messages(
                    settings=settings, today=date.fromisoformat(today["day"]), day=day
                )
    messages += device_messages(settings=settings, now=newest.timestamp)
    if settings.publish_quarter_peaks:
        messages += quarter_peak_messages(settings=settings)
    if settings.publish_running_quarter:
        messages += running_quarter_messages(settings=settings)
    if settings.publish_prices:
        tariff = stats.electricity_tariff if stats is not None else None
        messages += price_messages(settings=settings, now=newest.timestamp, tariff_register=tariff)
    return messages


def _day_prices(contract: EnergyContract) -> dict[str, Decimal]:
    """Today's contract prices as DSMR-reader publishes them: tariff 1 and 2 for a fixed contract only (a
    time-of-use or dynamic contract has no such price; ``prices/`` has its price now), gas while the
    contract prices gas by its gas price (not a dynamic contract's market term)."""
    gas = "energy_supplier_price_gas"
    names = [name for name in PRICE_FIELDS if name != gas] if contract.kind == ContractKind.FIXED else []
    if not contract.terms.filter(commodity=TermCommodity.GAS).exists():
        names.append(gas)
    return {name: getattr(contract, PRICE_FIELDS[name]).quantize(PRICE) for name in names}


def running_quarter_messages(*, settings: MQTTSettings) -> list[Message]:
    """The running quarter's average so far and projected peak, kW with 3 decimals
    (``processing.running_quarter``), next to the completed quarters' topics."""
    running = running_quarter_latest()
    if running is None:
        return []
    return _split(
        f"{settings.prefix}/consumption/quarter-hour-peak-electricity",
        {name: getattr(running, name) for name in RUNNING_QUARTER_FIELDS},
    )


def price_messages(*, settings: MQTTSettings, now: datetime, tariff_register: int | None) -> list[Message]:
    """€ per kWh now (delivered, returned) and next (delivered) under the contract in force at ``now``
    (``processing.costs.price_now``), 6 decimals like the contract's prices. A price that is unknown (no
    contract, no market price, a fixed contract's unknown tariff, no next price) is an empty retained
    message: it clears the broker's retained value, and Home Assistant shows "unknown", never 0."""
    register = tariff_register if tariff_register in TARIFFS else None
    current = price_now(now=now, tariff_register=register)
    values = (
        (None, None, None)
        if current is None
        else (current.delivered, current.returned, current.next_delivered)
    )
    return [
        Message(
            f"{settings.prefix}/{PRICES_TOPIC}/{name}",
            "" if value is None else _text(value.quantize(PRICE)),
            retain=True,
        )
        for name, value in zip(CURRENT_PRICE_FIELDS, values, strict=True)
    ]


def quarter_peak_messages(*, settings: MQTTSettings) -> list[Message]:
    """The latest complete quarter hour (processing's quarter statistics): start, end, average kW."""
    peak = quarter_peaks(ordering="-read_at_start").first()
    if peak is None:
        return []
    return _split(
        f"{settings.prefix}/consumption/quarter-hour-peak-electricity",
        {name: getattr(peak, name) for name in QUARTER_PEAK_FIELDS},
    )


def _period_messages(*, settings: MQTTSettings, today: date, day: dict[str, Decimal]) -> list[Message]:
    messages = []
    for name, start in (
        ("current-month", today.replace(day=1)),
        ("current-year", today.replace(month=1, day=1)),
        (SINCE_START_TOPIC, date.min),
    ):
        sums = day_statistics_totals(first=start, last=today - timedelta(days=1))
        values = {field: sums[field] + day[field] for field in DAY_TOTAL_FIELDS}
        messages += _split(f"{settings.prefix}/{name}", _totals(values))
    return messages


def device_messages(*, settings: MQTTSettings, now: datetime) -> list[Message]:
    """The M-Bus devices (``dsmrhub.devices``): per kind besides gas its position (``publish_split``) and
    today's use (``publish_day_totals``) under ``device/<kind>/``, every present device as JSON under
    ``devices``; and the discovery configs again when a kind appeared or went."""
    present = devices_present()
    kinds = [kind for kind in MEASURED_KINDS if any(device.kind == kind for device in present)]
    if settings.discovery:
        announced = set(MQTTState.row().values_list("discovery", flat=True).first() or {})
        if set(discovery_desired(settings=settings, kinds=kinds)) != announced:
            mqtt_discovery_sync(settings=settings)
    messages: list[Message] = []
    if settings.publish_split and present:
        body = [{name: _json_value(value) for name, value in asdict(device).items()} for device in present]
        messages.append(Message(f"{settings.prefix}/{DEVICES_TOPIC}", json.dumps(body), retain=True))
    today = local_date(to_epoch(now))
    uses = device_day_totals(days=[today]).get(today, {})
    for kind in kinds:
        if kind == GAS:  # gas: reading/extra_device_delivered and day-consumption/gas
            continue
        values: dict[str, Any] = {}
        if settings.publish_split:
            values["position"] = sum(device.position for device in present if device.kind == kind)
        if settings.publish_day_totals:
            values["today"] = uses.get(kind, (Decimal(0), None))[0]
        messages += _split(f"{settings.prefix}/{DEVICE_TOPIC}/{kind}", values)
    return messages


def gas_messages(*, settings: MQTTSettings, hour: GasConsumption) -> list[Message]:
    return _split(f"{settings.prefix}/consumption/gas", {name: getattr(hour, name) for name in GAS_FIELDS})


# ---------------------------------------------------------------- the outbox


def mqtt_outbox_fill(*, settings: MQTTSettings, limit: int = READINGS_PER_PASS) -> int:
    """Queue the messages of up to ``limit`` readings (and gas hours) newer than the watermarks.

    Messages and the new watermarks are written in one transaction: a crash queues nothing twice and
    loses nothing. Returns the number of messages queued.
    """
    with transaction.atomic():
        state = MQTTState.row().select_for_update().first()
        if state is None or state.reading_watermark is None:
            mqtt_watermark_start()
            state = MQTTState.row().select_for_update().get()
        readings = list(
            DsmrReading.objects.filter(timestamp__gt=from_epoch(state.reading_watermark)).order_by(
                "timestamp"
            )[:limit]
        )
        messages: list[Message] = []
        for reading in readings:
            messages += reading_messages(settings=settings, reading=reading)
        if readings:
            messages += _latest_messages(settings=settings, newest=readings[-1])
            state.reading_watermark = to_epoch(readings[-1].timestamp)
        hours = list(
            GasConsumption.objects.filter(read_at__gt=from_epoch(state.gas_watermark or 0)).order_by(
                "read_at"
            )[:limit]
        )
        if hours:
            if settings.publish_gas:
                for hour in hours:
                    messages += gas_messages(settings=settings, hour=hour)
            state.gas_watermark = to_epoch(hours[-1].read_at)
        if not readings and not hours:
            return 0
        _enqueue(messages)
        state.save(update_fields=["reading_watermark", "gas_watermark"])
    mqtt_outbox_trim(maximum=settings.outbox_max)
    return len(messages)


def _enqueue(messages: list[Message]) -> None:
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(topic=m.topic, payload=m.payload, retain=m.retain) for m in messages], batch_size=500
    )


def mqtt_outbox_trim(*, maximum: int) -> int:
    """Drop the oldest messages beyond ``maximum``; counted in the state and logged. Returns how many."""
    size = OutboxMessage.objects.count()
    if size <= maximum:
        return 0
    excess = size - maximum
    cut = OutboxMessage.objects.order_by("id").values_list("id", flat=True)[excess - 1 : excess].get()
    with transaction.atomic():
        dropped = OutboxMessage.objects.filter(id__lte=cut).delete()[0]
        state = MQTTState.row().select_for_update().get()
        state.dropped_messages += dropped
        state.save(update_fields=["dropped_messages"])
    logger.warning(
        "MQTT outbox full (%d messages): dropped the %d oldest; %d dropped so far",
        maximum,
        dropped,
        state.dropped_messages,
    )
    return dropped


def mqtt_discovery_sync(*, settings: MQTTSettings, republish: bool = False) -> int:
    """Queue the retained discovery configs that changed, and empty ones for sensors switched off.

    ``republish`` queues every config again (after a reconnect: the broker may have lost retained
    messages). Returns the number of messages queued.
    """
    with transaction.atomic():
        mqtt_state_get()
        state = MQTTState.row().select_for_update().get()
        published: dict[str, str] = {} if republish else dict(state.discovery)
        desired = discovery_desired(settings=settings)
        messages = [Message(topic, "", retain=True) for topic in state.discovery if topic not in desired]
        messages += [
            Message(topic, payload, retain=True)
            for topic, payload in desired.items()
            if published.get(topic) != payload
        ]
        if messages or state.discovery != desired:
            _enqueue(messages)
            state.discovery = desired
            state.save(update_fields=["discovery"])
    return len(messages)


def mqtt_state_update(**values: Any) -> None:
    """Record what the publisher saw (connection, errors, counters, heartbeat)."""
    mqtt_state_get()
    MQTTState.row().update(**values)
