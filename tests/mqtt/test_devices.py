"""M-Bus devices over MQTT against the real broker: device/<kind>/ topics with the positions and today's use,
the present devices as JSON, and Home Assistant sensors (water: water/m³, heat: energy/GJ, total_increasing)
announced once such a meter is present."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from dsmrhub.devices.models import DeviceDay
from dsmrhub.mqtt.publisher import Publisher
from dsmrhub.mqtt.services import mqtt_settings_update
from tests.devices.builders import ingest, stream
from tests.mqtt.test_publish import drain

pytestmark = pytest.mark.django_db
D = Decimal
START = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # local midnight


def test_water_and_heat_topics_and_their_home_assistant_sensors(shared_broker, prefix, subscribe):
    ha, node = f"ha-{uuid.uuid4().hex[:10]}", f"meter{uuid.uuid4().hex[:6]}"
    mqtt_settings_update(
        enabled=True, host=shared_broker[0], port=shared_broker[1], prefix=prefix, client_id=prefix,
        discovery_prefix=ha, node_id=node, publish_split=True, publish_day_totals=True,
    )  # fmt: skip
    publisher = Publisher()
    try:
        with time_machine.travel(START + timedelta(hours=3), tick=False):
            drain(publisher)  # settings seen, nothing to publish yet
            announced = subscribe(*shared_broker, [f"{ha}/#"])
            ingest(
                stream(
                    START,
                    2,
                    [
                        (2, 7, "W1", D("50.000"), D("0.060"), "m3"),
                        (3, 4, "H1", D("10.000"), D("0.030"), "GJ"),
                    ],
                )
            )
            states = subscribe(*shared_broker, [f"{prefix}/device/#", f"{prefix}/devices"])
            drain(publisher)
        states.wait_for(1, topic=f"{prefix}/device/heat/today")
        seen = states.topics_seen()
        today = DeviceDay.objects.get(kind="water", day=date(2026, 3, 2)).use
        assert D(seen[f"{prefix}/device/water/position"]) == D("50.000") + D("0.060") * 2
        assert D(seen[f"{prefix}/device/water/today"]) == today == D("0.060") * 2
        assert D(seen[f"{prefix}/device/heat/position"]) == D("10.000") + D("0.030") * 2
        devices = {d["channel"]: d for d in json.loads(seen[f"{prefix}/devices"])}
        assert (devices[2]["kind"], devices[3]["kind"], devices[3]["unit"]) == ("water", "heat", "GJ")

        announced.wait_for(1, topic=f"{ha}/sensor/{node}/device_heat_today/config")
        configs = {t.split("/")[3]: json.loads(p) for t, p in announced.topics_seen().items() if p}
        water = configs["device_water_position"]
        assert (water["device_class"], water["state_class"], water["unit_of_measurement"]) == (
            "water", "total_increasing", "m³",
        )  # fmt: skip
        assert water["state_topic"] == f"{prefix}/device/water/position"
        heat = configs["device_heat_today"]
        assert (heat["device_class"], heat["state_class"], heat["unit_of_measurement"]) == (
            "energy", "total_increasing", "GJ",
        )  # fmt: skip
        assert "device_cooling_position" not in configs  # no cooling meter: no sensor
    finally:
        mqtt_settings_update(discovery=False)  # leave no retained configs on the shared broker
        drain(publisher)
        publisher.close()
