"""Availability: a retained `<prefix>/status` says online; a clean stop says offline; a publisher that dies
without a clean disconnect gets its Last Will (offline) published by the broker."""

from __future__ import annotations

import json
import signal

import pytest

from dsmrhub.mqtt.publisher import Publisher
from tests.mqtt.test_publish import drain, enable
from tests.processes import stop_process, wait_until

pytestmark = pytest.mark.django_db


def test_status_is_retained_online_and_offline_after_a_clean_stop(shared_broker, prefix, subscribe):
    enable(shared_broker, prefix)
    publisher = Publisher()
    drain(publisher)  # connected: "online" is out
    # A subscriber arriving later gets the retained "online" at once.
    late = subscribe(*shared_broker, [f"{prefix}/status"])
    late.wait_for(1)
    assert [(m.payload, m.retain) for m in late.messages] == [("online", True)]

    publisher.close()  # a clean stop says "offline" itself (a DISCONNECT discards the will)
    late.wait_for(2)
    assert late.on(f"{prefix}/status") == ["online", "offline"]
    after = subscribe(*shared_broker, [f"{prefix}/status"])
    after.wait_for(1)
    assert [(m.payload, m.retain) for m in after.messages] == [("offline", True)]


def test_disabling_publishing_says_offline(shared_broker, prefix, subscribe):
    from dsmrhub.mqtt.services import mqtt_settings_update

    enable(shared_broker, prefix)
    status = subscribe(*shared_broker, [f"{prefix}/status"])
    publisher = Publisher()
    drain(publisher)
    status.wait_for(1)
    mqtt_settings_update(enabled=False)
    publisher.step()
    status.wait_for(2)
    assert status.on(f"{prefix}/status") == ["online", "offline"]
    publisher.close()


def test_last_will_when_the_publisher_process_dies(mosquitto, prefix, subscribe, install):
    """`dsmrhub mqtt publish` as a real process: SIGTERM says offline; `kill -9` (no DISCONNECT, the socket
    just closes) makes the broker publish the will, so Home Assistant shows the sensors unavailable."""
    broker = mosquitto()
    ha = f"{prefix}-ha"
    install.run(
        "mqtt", "enable", "--host", "127.0.0.1", "--port", str(broker.port), "--prefix", prefix,
        "--discovery-prefix", ha,
    )  # fmt: skip
    status = subscribe("127.0.0.1", broker.port, [f"{prefix}/status"])
    configs = subscribe("127.0.0.1", broker.port, [f"{ha}/#"])

    process = install.start("mqtt", "publish", "--interval", "0.2", log="publisher")
    status.wait_for(1, timeout=30)
    assert status.on(f"{prefix}/status") == ["online"]
    configs.wait_for(1)
    config = json.loads(configs.messages[0].payload)
    assert config["availability_topic"] == f"{prefix}/status"  # the payloads are HA's defaults
    assert stop_process(process) == 0  # SIGTERM: a clean stop
    status.wait_for(2)
    assert status.on(f"{prefix}/status") == ["online", "offline"]

    process = install.start("mqtt", "publish", "--interval", "0.2", log="publisher")
    status.wait_for(3, timeout=30)
    assert status.on(f"{prefix}/status")[-1] == "online"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    status.wait_for(4)  # only the broker can say it now: the Last Will
    assert status.on(f"{prefix}/status") == ["online", "offline", "online", "offline"]
    assert "MQTT publisher stopped" not in install.log_text("publisher").split("MQTT connected")[-1]
    # And it stays so for whoever looks later (retained).
    later = subscribe("127.0.0.1", broker.port, [f"{prefix}/status"])
    later.wait_for(1)
    assert [(m.payload, m.retain) for m in later.messages] == [("offline", True)]
    wait_until(lambda: process.poll() is not None, message="publisher gone")
