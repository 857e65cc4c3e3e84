"""Home Assistant: every topic of its DSMR Reader integration gets a plausible value on a real Mosquitto, and
every discovery config we publish keeps Home Assistant's device class / unit / state class rules.

Both lists are data kept in ``tests/mqtt/fixtures`` with the Home Assistant source they were read from.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from dsmrhub.devices.kinds import MEASURED_KINDS
from dsmrhub.mqtt.discovery import ENTITIES, discovery_desired
from dsmrhub.mqtt.models import MQTTSettings
from dsmrhub.mqtt.publisher import Publisher
from dsmrhub.mqtt.services import mqtt_settings_get, mqtt_settings_update
from dsmrhub.mqtt.topics import FEATURES
from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import DsmrReading
from tests.helpers import demo_telegrams
from tests.mqtt.test_publish import drain, enable, ingest
from tests.processes import wait_until

FIXTURES = Path(__file__).parent / "fixtures"
HA_TOPICS = json.loads((FIXTURES / "ha_dsmr_reader_topics.json").read_text())
HA_RULES = json.loads((FIXTURES / "ha_sensor_rules.json").read_text())
START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


# ---------------------------------------------------------------- the rules


def config_problems(config: dict) -> list[str]:
    """What Home Assistant would refuse or mis-book in one sensor config, by HA_RULES."""
    device_class = config.get("device_class")
    unit = config.get("unit_of_measurement")
    state_class = config.get("state_class")
    problems = []
    if "last_reset_value_template" in config and state_class != "total":
        problems.append("last_reset needs state_class total")
    if device_class is None:
        return problems
    rule = HA_RULES["device_classes"].get(device_class)
    if rule is None:
        return [*problems, f"device class {device_class} not in the table"]
    if device_class in HA_RULES["non_numeric"] and (unit is not None or state_class is not None):
        problems.append(f"{device_class} takes no unit and no state class")
    if rule["units"] == "ISO 4217":
        if not re.fullmatch(r"[A-Z]{3}", unit or ""):
            problems.append(f"{device_class} wants an ISO 4217 currency code, not {unit!r}")
    elif unit not in rule["units"]:
        problems.append(f"{device_class} does not take unit {unit!r}")
    if state_class is not None and state_class not in rule["state_classes"]:
        problems.append(f"{device_class} does not take state class {state_class}")
    return problems


def test_the_rules_catch_what_home_assistant_refuses():
    assert config_problems({"device_class": "gas", "state_class": "measurement", "unit_of_measurement": "m³"})
    assert config_problems(
        {"device_class": "power", "state_class": "measurement", "unit_of_measurement": "kWh"}
    )
    assert config_problems({"device_class": "monetary", "state_class": "total", "unit_of_measurement": "€"})
    assert config_problems({"device_class": "timestamp", "state_class": "measurement"})
    assert config_problems({"state_class": "measurement", "last_reset_value_template": "{{ x }}"})
    assert not config_problems(
        {"device_class": "monetary", "state_class": "total", "unit_of_measurement": "EUR"}
    )


@pytest.mark.django_db
def test_every_discovery_config_keeps_home_assistants_rules():
    settings = mqtt_settings_get()
    for feature in FEATURES:
        setattr(settings, feature.setting, True)
    every = discovery_desired(
        settings=settings, kinds=list(MEASURED_KINDS)
    )  # every M-Bus device kind present
    configs = {topic: json.loads(payload) for topic, payload in every.items()}
    assert len(configs) == len(ENTITIES)
    problems = {config["name"]: config_problems(config) for config in configs.values()}
    assert {name: found for name, found in problems.items() if found} == {}
    # Costs that reset (day, month, year) have no state class: Home Assistant would book each reset as a
    # negative cost; the never-resetting totals carry state class total, for the Energy dashboard.
    costs = [config for config in configs.values() if config.get("device_class") == "monetary"]
    resetting = {c["state_topic"].split("/", 1)[1] for c in costs if "state_class" not in c}
    assert resetting == {
        "day-consumption/electricity_cost_merged", "day-consumption/gas_cost", "day-consumption/total_cost",
        "current-month/total_cost", "current-year/total_cost",
    }  # fmt: skip
    assert {c["state_topic"].split("/", 1)[1] for c in costs if c.get("state_class") == "total"} == {
        "total/electricity_cost_merged", "total/gas_cost", "total/total_cost",
    }  # fmt: skip


@pytest.mark.django_db
def test_each_install_has_its_own_device_and_unique_ids():
    first = mqtt_settings_get().node_id
    assert re.fullmatch(r"dsmrhub_[0-9a-f]{8}", first)
    MQTTSettings.objects.all().delete()
    second = mqtt_settings_get().node_id  # a fresh install
    assert second != first
    config = json.loads(next(iter(discovery_desired(settings=mqtt_settings_get()).values())))
    assert config["device"]["identifiers"] == [second]
    assert config["unique_id"].startswith(f"{second}_")
    assert mqtt_settings_get().node_id == second  # stored once, not made again


def test_the_topic_list_is_home_assistants_81():
    topics = [sensor["topic"] for sensor in HA_TOPICS["sensors"]]
    assert len(topics) == len(set(topics)) == HA_TOPICS["count"] == 81
    assert HA_TOPICS["source"]["commit"]


# ---------------------------------------------------------------- every topic, on the real broker


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise AssertionError(f"not a number: {text!r}") from None


def plausible(sensor: dict, value: str) -> bool:
    """Whether ``value`` makes sense for one of the integration's sensors (its device class and unit)."""
    kind, unit, topic = sensor["device_class"], sensor["unit"], sensor["topic"]
    if kind == "timestamp":
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.tzinfo is not None and START - timedelta(hours=2) <= moment <= START + timedelta(
            hours=3
        )
    if kind == "enum":
        return value in ("1", "2")  # the integration maps 1 to low, anything else to high
    if topic.endswith("/dsmr_version"):
        return value.isdigit()
    if unit is None:  # counters
        return value.isdigit()
    number = _decimal(value)
    if kind == "power":  # kW
        return Decimal(0) <= number < 50
    if kind == "voltage":
        return Decimal(180) <= number <= 260
    if kind == "current":
        return Decimal(0) <= number <= 100
    if unit in ("kWh", "m³"):
        return number >= 0
    return True  # money and prices: any number


@pytest.mark.django_db(transaction=True)
def test_every_home_assistant_topic_gets_a_plausible_retained_value(shared_broker, prefix, subscribe):
    contract_save(
        description="Energy 2026", start=date(2026, 1, 1), prices=dict(
        electricity_delivered_1_price=Decimal("0.21"), electricity_delivered_2_price=Decimal("0.25"),
        electricity_returned_1_price=Decimal("0.07"), electricity_returned_2_price=Decimal("0.08"),
        gas_price=Decimal("1.25"), fixed_daily_cost=Decimal("0.85"),
    ))  # fmt: skip
    enable(shared_broker, prefix)
    # 80 minutes, a telegram a minute: gas hours and complete quarter hours for processing to find.
    ingest(demo_telegrams(80, start=START, step=timedelta(minutes=1)))
    processing_run_pending()
    publisher = Publisher()
    try:
        drain(publisher)
    finally:
        publisher.close()
    # Subscribing after everything was published: what arrives is retained, as for a restarted Home Assistant.
    subscriber = subscribe(*shared_broker, [f"{prefix}/#"])
    ours = {
        sensor["topic"]: f"{prefix}/{sensor['topic'].removeprefix('dsmr/')}"
        for sensor in HA_TOPICS["sensors"]
    }
    # The broker sends the retained messages in its own order: wait for every topic (a timeout names none).
    wait_until(
        lambda: set(ours.values()) <= set(subscriber.topics_seen()),
        timeout=30,
        message="a retained message on each Home Assistant topic",
    )
    seen = subscriber.topics_seen()
    retained = {m.topic for m in subscriber.messages if m.retain}
    missing = [topic for topic, our in ours.items() if our not in seen]
    assert missing == []
    assert [topic for topic, our in ours.items() if our not in retained] == []
    implausible = {
        sensor["topic"]: seen[ours[sensor["topic"]]]
        for sensor in HA_TOPICS["sensors"]
        if not plausible(sensor, seen[ours[sensor["topic"]]])
    }
    assert implausible == {}

    # Correct, not only plausible: the newest reading, and the last complete quarter hour from the readings.
    newest = DsmrReading.objects.order_by("-timestamp").first()
    for field in (
        "electricity_delivered_1",
        "electricity_returned_2",
        "phase_voltage_l1",
        "extra_device_delivered",
    ):
        assert _decimal(seen[f"{prefix}/reading/{field}"]) == getattr(newest, field), field
    quarter_end = datetime.fromtimestamp(newest.timestamp.timestamp() // 900 * 900, UTC)
    quarter_start = quarter_end - timedelta(minutes=15)
    at = {r.timestamp: r for r in DsmrReading.objects.filter(timestamp__in=[quarter_start, quarter_end])}
    used = sum(
        getattr(at[quarter_end], name) - getattr(at[quarter_start], name)
        for name in ("electricity_delivered_1", "electricity_delivered_2")
    )
    peak = f"{prefix}/consumption/quarter-hour-peak-electricity"
    assert _decimal(seen[f"{peak}/average_delivered"]) == used * 4  # kWh in a quarter hour → average kW
    assert seen[f"{peak}/read_at_start"] == quarter_start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert seen[f"{peak}/read_at_end"] == quarter_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The never-resetting totals: no day before this one, so they equal today's.
    for field in ("electricity_cost_merged", "gas_cost", "total_cost"):
        assert seen[f"{prefix}/total/{field}"] == seen[f"{prefix}/day-consumption/{field}"]
    mqtt_settings_update(enabled=False)
