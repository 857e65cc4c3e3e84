"""Home Assistant discovery against the real broker: retained configs, removed when a feature goes off."""

from __future__ import annotations

import json
import uuid

import pytest
from paho.mqtt import publish

from dsmrhub import __version__
from dsmrhub.mqtt.discovery import ENTITIES as EVERY_ENTITY
from dsmrhub.mqtt.publisher import Publisher
from dsmrhub.mqtt.services import mqtt_settings_update
from tests.mqtt.test_publish import drain

pytestmark = pytest.mark.django_db
# Only gas on the M-Bus here: the water, heat and cooling sensors are not announced (test_devices.py).
ENTITIES = [entity for entity in EVERY_ENTITY if entity.kind is None]


def test_discovery_configs_and_their_removal(shared_broker, prefix, subscribe):
    ha = f"ha-{uuid.uuid4().hex[:10]}"
    node = f"meter{uuid.uuid4().hex[:6]}"
    mqtt_settings_update(
        enabled=True,
        host=shared_broker[0],
        port=shared_broker[1],
        prefix=prefix,
        client_id=prefix,
        discovery_prefix=ha,
        node_id=node,
    )
    publisher = Publisher()
    try:
        drain(publisher)
        subscriber = subscribe(*shared_broker, [f"{ha}/#"])  # after publishing: proves they are retained
        subscriber.wait_for(len(ENTITIES))
        configs = subscriber.topics_seen()
        assert len(configs) == len(ENTITIES)
        assert all(m.retain for m in subscriber.messages)
        energy = f"{ha}/sensor/{node}/reading_electricity_delivered_1/config"
        assert configs[energy] == (
            '{"availability_topic":"' + prefix + '/status",'
            '"device":{"identifiers":["' + node + '"],"manufacturer":"dsmrhub","model":"P1 smart meter",'
            '"name":"Smart meter","sw_version":"'
            + __version__
            + '"},"device_class":"energy","name":"Electricity used '
            '(tariff 1)","state_class":"total_increasing","state_topic":"' + prefix + "/reading/"
            'electricity_delivered_1","unique_id":"' + node + '_reading_electricity_delivered_1",'
            '"unit_of_measurement":"kWh"}'
        )
        by_object = {topic.split("/")[3]: json.loads(payload) for topic, payload in configs.items()}
        power = by_object["reading_electricity_currently_delivered"]
        assert (power["device_class"], power["state_class"], power["unit_of_measurement"]) == (
            "power", "measurement", "W",
        )  # fmt: skip
        assert power["value_template"] == "{{ (value | float * 1000) | round(0) }}"
        gas = by_object["reading_extra_device_delivered"]
        assert (gas["device_class"], gas["state_class"], gas["unit_of_measurement"]) == (
            "gas", "total_increasing", "m³",
        )  # fmt: skip
        assert by_object["reading_phase_voltage_l1"]["unit_of_measurement"] == "V"
        assert by_object["reading_phase_power_current_l2"]["device_class"] == "current"
        cost = by_object["day_consumption_total_cost"]
        assert (cost["device_class"], cost.get("state_class"), cost["unit_of_measurement"]) == (
            "monetary",
            None,
            "EUR",
        )  # fmt: skip  (resets daily: no state class; total/total_cost is the never-resetting one)
        total = by_object["total_total_cost"]
        assert (total["device_class"], total["state_class"]) == ("monetary", "total")
        gas_hour = by_object["consumption_gas_currently_delivered"]
        assert ("device_class" not in gas_hour, gas_hour["state_class"]) == (True, "measurement")
        assert len({config["unique_id"] for config in by_object.values()}) == len(ENTITIES)
        # Every sensor is unavailable in Home Assistant while the publisher's status says "offline".
        assert {config["availability_topic"] for config in by_object.values()} == {f"{prefix}/status"}

        # A feature off: its sensors get an empty retained config (Home Assistant removes them).
        live = subscribe(*shared_broker, [f"{ha}/#"])
        live.wait_for(len(ENTITIES))
        mqtt_settings_update(publish_split=False)
        drain(publisher)
        split = [e for e in ENTITIES if e.feature == "publish_split"]
        live.wait_for(len(ENTITIES) + len(split))
        removed = {m.topic for m in live.messages[len(ENTITIES) :] if m.payload == ""}
        assert removed == {f"{ha}/sensor/{node}/{e.object_id}/config" for e in split}
    finally:
        mqtt_settings_update(discovery=False)  # leave no retained configs on the shared broker
        drain(publisher)
        publisher.close()
    # Retained messages come right after subscribing, before anything published later: a marker ends them.
    after = subscribe(*shared_broker, [f"{ha}/#"])
    marker = f"{ha}/end-marker"
    publish.single(marker, "end", qos=1, hostname=shared_broker[0], port=shared_broker[1])
    after.wait_for(1, topic=marker)
    assert [m.topic for m in after.messages] == [marker]
