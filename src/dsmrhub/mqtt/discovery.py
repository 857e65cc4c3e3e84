"""Home Assistant MQTT discovery: the sensors, as data, and the retained config messages built from them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from dsmrhub import __version__
from dsmrhub.devices.kinds import COOLING, CUBIC_METRE, GIGAJOULE, HEAT, WATER
from dsmrhub.devices.selectors import device_kinds_present
from dsmrhub.mqtt.models import MQTTSettings
from dsmrhub.mqtt.topics import DEVICE_TOPIC, STATUS_TOPIC

TO_WATT = "{{ (value | float * 1000) | round(0) }}"
# An empty message (a price that is unknown) becomes "None": Home Assistant's "unknown", not 0 or an error.
EMPTY_IS_UNKNOWN = "{{ value or 'None' }}"


@dataclass(frozen=True, slots=True)
class SensorEntity:
    """One Home Assistant sensor fed by one of our state topics (relative to the prefix)."""

    topic: str
    name: str
    feature: str  # the MQTTSettings boolean that publishes ``topic``
    device_class: str | None = None
    state_class: str | None = None
    unit: str | None = None  # None for unitless; "currency" for the configured currency ("currency/kWh")
    value_template: str | None = None
    icon: str | None = None
    kind: str | None = None  # an M-Bus device kind (dsmrhub.devices): announced only while one is present

    @property
    def object_id(self) -> str:
        return self.topic.replace("/", "_").replace("-", "_")


def _energy(topic: str, name: str, feature: str) -> SensorEntity:
    return SensorEntity(topic, name, feature, "energy", "total_increasing", "kWh")


def _power(topic: str, name: str) -> SensorEntity:
    return SensorEntity(topic, name, "publish_split", "power", "measurement", "W", TO_WATT)


def _cost(topic: str, name: str, feature: str) -> SensorEntity:
    """Costs of a day, month or year: they drop to zero when the period starts again, so no state class (Home
    Assistant would book each reset as a negative cost); the ``total/`` costs feed its statistics."""
    return SensorEntity(topic, name, feature, "monetary", None, "currency")


def _price(topic: str, name: str) -> SensorEntity:
    """A price per kWh: Home Assistant's monetary class takes a currency alone (not per kWh), so no device
    class, unit "<currency>/kWh" and state class measurement (its statistics keep the mean per hour)."""
    return SensorEntity(
        topic, name, "publish_prices", None, "measurement", "currency/kWh", EMPTY_IS_UNKNOWN, "mdi:cash"
    )


def _cost_total(topic: str, name: str) -> SensorEntity:
    """Costs since the first day: never reset, so ``total`` needs no last_reset (Energy dashboard costs)."""
    return SensorEntity(topic, name, "publish_period_totals", "monetary", "total", "currency")


def _devices(kind: str, name: str, today: str, device_class: str, unit: str) -> tuple[SensorEntity, ...]:
    """An M-Bus meter's position and today's use (``device/<kind>/``): meter positions for Home Assistant's
    Energy dashboard (total_increasing; today's use resets at midnight, which total_increasing books as a
    new cycle, as day-consumption/gas does)."""
    return (
        SensorEntity(
            f"{DEVICE_TOPIC}/{kind}/position",
            name,
            "publish_split",
            device_class,
            "total_increasing",
            unit,
            kind=kind,
        ),
        SensorEntity(
            f"{DEVICE_TOPIC}/{kind}/today",
            today,
            "publish_day_totals",
            device_class,
            "total_increasing",
            unit,
            kind=kind,
        ),
    )


_PHASES = (1, 2, 3)
ENTITIES: tuple[SensorEntity, ...] = (
    _energy("reading/electricity_delivered_1", "Electricity used (tariff 1)", "publish_split"),
    _energy("reading/electricity_delivered_2", "Electricity used (tariff 2)", "publish_split"),
    _energy("reading/electricity_returned_1", "Electricity returned (tariff 1)", "publish_split"),
    _energy("reading/electricity_returned_2", "Electricity returned (tariff 2)", "publish_split"),
    _power("reading/electricity_currently_delivered", "Power used"),
    _power("reading/electricity_currently_returned", "Power returned"),
    *(_power(f"reading/phase_currently_delivered_l{p}", f"Power used L{p}") for p in _PHASES),
    *(_power(f"reading/phase_currently_returned_l{p}", f"Power returned L{p}") for p in _PHASES),
    *(
        SensorEntity(
            f"reading/phase_voltage_l{p}", f"Voltage L{p}", "publish_split", "voltage", "measurement", "V"
        )
        for p in _PHASES
    ),
    *(
        SensorEntity(
            f"reading/phase_power_current_l{p}",
            f"Current L{p}",
            "publish_split",
            "current",
            "measurement",
            "A",
        )
        for p in _PHASES
    ),
    SensorEntity(
        "reading/extra_device_delivered", "Gas meter", "publish_split", "gas", "total_increasing", "m³"
    ),
    # Not device class gas: Home Assistant allows gas only with total/total_increasing (a meter position).
    SensorEntity(
        "consumption/gas/currently_delivered",
        "Gas used last hour",
        "publish_gas",
        None,
        "measurement",
        "m³",
        icon="mdi:fire",
    ),
    SensorEntity(
        "meter-stats/electricity_tariff", "Tariff", "publish_meter_stats", icon="mdi:swap-horizontal"
    ),
    SensorEntity(
        "meter-stats/electricity_tariff_name",
        "Tariff name",
        "publish_meter_stats",
        icon="mdi:swap-horizontal",
    ),
    SensorEntity(
        "meter-stats/power_failure_count", "Power failures", "publish_meter_stats", None, "total_increasing"
    ),
    SensorEntity(
        "meter-stats/long_power_failure_count",
        "Long power failures",
        "publish_meter_stats",
        None,
        "total_increasing",
    ),
    _energy("day-consumption/electricity_merged", "Electricity used today", "publish_day_totals"),
    _energy(
        "day-consumption/electricity_returned_merged", "Electricity returned today", "publish_day_totals"
    ),
    SensorEntity(
        "day-consumption/gas", "Gas used today", "publish_day_totals", "gas", "total_increasing", "m³"
    ),
    _cost("day-consumption/electricity_cost_merged", "Electricity costs today", "publish_day_totals"),
    _cost("day-consumption/gas_cost", "Gas costs today", "publish_day_totals"),
    _cost("day-consumption/total_cost", "Costs today", "publish_day_totals"),
    _cost("current-month/total_cost", "Costs this month", "publish_period_totals"),
    _cost("current-year/total_cost", "Costs this year", "publish_period_totals"),
    _cost_total("total/electricity_cost_merged", "Electricity costs"),
    _cost_total("total/gas_cost", "Gas costs"),
    _cost_total("total/total_cost", "Costs"),
    SensorEntity(
        "consumption/quarter-hour-peak-electricity/average_delivered",
        "Power used, last quarter hour",
        "publish_quarter_peaks",
        "power",
        "measurement",
        "W",
        TO_WATT,
    ),
    *(
        SensorEntity(
            f"consumption/quarter-hour-peak-electricity/{field}",
            name,
            "publish_running_quarter",
            "power",
            "measurement",
            "W",
            TO_WATT,
        )
        for field, name in (
            ("running_average", "Power used, running quarter hour"),
            ("projected_peak", "Projected quarter-hour peak"),
        )
    ),
    _price("prices/electricity_delivered_now", "Electricity price"),
    _price("prices/electricity_returned_now", "Electricity return price"),
    _price("prices/electricity_delivered_next", "Electricity price next"),
    # M-Bus devices besides gas (gas: reading/extra_device_delivered above), in the kinds' units
    *_devices(WATER, "Water meter", "Water used today", "water", CUBIC_METRE),
    *_devices(HEAT, "Heat meter", "Heat used today", "energy", GIGAJOULE),
    *_devices(COOLING, "Cooling meter", "Cooling used today", "energy", GIGAJOULE),
)


def discovery_config_topic(*, settings: MQTTSettings, entity: SensorEntity) -> str:
    return f"{settings.discovery_prefix}/sensor/{settings.node_id}/{entity.object_id}/config"


def discovery_payload(*, settings: MQTTSettings, entity: SensorEntity) -> str:
    """The retained config message of one sensor: compact JSON with sorted keys."""
    config: dict[str, object] = {
        # Home Assistant shows the sensor unavailable while this says "offline" (clean stop or Last Will).
        "availability_topic": f"{settings.prefix}/{STATUS_TOPIC}",
        "device": {
            "identifiers": [settings.node_id],
            "manufacturer": "dsmrhub",
            "model": "P1 smart meter",
            "name": "Smart meter",
            "sw_version": __version__,
        },
        "name": entity.name,
        "state_topic": f"{settings.prefix}/{entity.topic}",
        "unique_id": f"{settings.node_id}_{entity.object_id}",
    }
    if entity.device_class:
        config["device_class"] = entity.device_class
    if entity.state_class:
        config["state_class"] = entity.state_class
    if entity.unit:
        config["unit_of_measurement"] = entity.unit.replace("currency", settings.currency)
    if entity.value_template:
        config["value_template"] = entity.value_template
    if entity.icon:
        config["icon"] = entity.icon
    return json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def discovery_desired(*, settings: MQTTSettings, kinds: list[str] | None = None) -> dict[str, str]:
    """Config topic → payload of every sensor whose feature is on and, for an M-Bus device's sensor, whose
    kind is present (``kinds``; default: ``devices_present``); none when discovery is off."""
    if not settings.discovery:
        return {}
    present = device_kinds_present() if kinds is None else kinds
    return {
        discovery_config_topic(settings=settings, entity=entity): discovery_payload(
            settings=settings, entity=entity
        )
        for entity in ENTITIES
        if getattr(settings, entity.feature) and (entity.kind is None or entity.kind in present)
    }
