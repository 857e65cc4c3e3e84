"""Brokers of our own: a restart mid-stream loses nothing; a wrong password is a clear error."""

from __future__ import annotations

import json
import logging
import signal
from datetime import timedelta

import pytest

from dsmrhub.mqtt.models import OutboxMessage
from dsmrhub.mqtt.publisher import Publisher
from dsmrhub.mqtt.selectors import mqtt_status
from dsmrhub.mqtt.services import mqtt_settings_update
from tests import processes
from tests.helpers import demo_telegrams
from tests.mqtt.test_publish import enable, ingest
from tests.processes import stop_process, wait_until

_template, make_install = processes._template, processes.make_install  # fixtures of the process test

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("mqtt")]


def test_broker_restart_in_the_middle_of_a_stream_loses_nothing(mosquitto, prefix, subscribe):
    broker = mosquitto()
    enable(("127.0.0.1", broker.port), prefix, publish_split=True)
    subscriber = subscribe(
        "127.0.0.1", broker.port, [f"{prefix}/json", f"{prefix}/reading/#"], persistent=True
    )
    publisher = Publisher(retry_min=0.05, retry_max=0.2)
    telegrams = demo_telegrams(60, step=__import__("datetime").timedelta(seconds=1))
    for number, (moment, telegram) in enumerate(telegrams):
        ingest([(moment, telegram)])
        publisher.step()
        if number == 20:
            broker.stop()  # in the middle of the stream; the next readings wait in the outbox
        if number == 40:
            broker.start()
    wait_until(lambda: publisher.step() is not None and not OutboxMessage.objects.exists(), timeout=20,
               message="outbox drained")  # fmt: skip
    publisher.close()
    per_reading = 1 + 21  # JSON + split fields
    subscriber.wait_for(60, topic=f"{prefix}/json", timeout=20)
    subscriber.wait_for(60 * per_reading, timeout=20)
    stamps = [json.loads(payload)["timestamp"] for payload in subscriber.on(f"{prefix}/json")]
    expected = [moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment, _ in telegrams]
    assert sorted(set(stamps)) == expected  # every reading arrived
    assert len(stamps) - len(set(stamps)) <= 5, "QoS 1 may repeat a few in-flight messages, not more"
    assert len(subscriber.on(f"{prefix}/reading/electricity_delivered_1")) >= 60
    status = mqtt_status()
    assert status["outbox"] == 0 and status["dropped_messages"] == 0
    assert status["published_messages"] >= 60 * per_reading


def test_wrong_password_is_a_clear_error_and_never_logged(mosquitto, prefix, caplog, subscribe):
    broker = mosquitto(users={"meter": "right-password"})
    mqtt_settings_update(
        enabled=True, host="127.0.0.1", port=broker.port, prefix=prefix, discovery=False,
        username="meter", password="wrong-password",
    )  # fmt: skip
    publisher = Publisher(retry_min=0.05, retry_max=0.1)
    with caplog.at_level(logging.DEBUG, logger="dsmrhub.mqtt"):
        publisher.step()
    status = mqtt_status()
    assert status["connected"] is False
    assert "the broker refused the connection" in status["last_error"]
    assert "check the username and password" in status["last_error"]
    assert "refused the connection" in caplog.text
    assert "password" not in caplog.text.replace("username and password", "")

    # Fixed in the settings: the running publisher picks it up and publishes.
    subscriber = subscribe(
        "127.0.0.1", broker.port, [f"{prefix}/#"], username="meter", password="right-password"
    )
    mqtt_settings_update(password="right-password")
    ingest(demo_telegrams(1))
    wait_until(lambda: publisher.step() is not None and not OutboxMessage.objects.exists(), timeout=10,
               message="outbox drained")  # fmt: skip
    publisher.close()
    subscriber.wait_for(1, topic=f"{prefix}/json")
    assert mqtt_status()["last_error"] == ""


def test_the_publisher_process_outlives_a_broker_killed_and_started_again(
    make_install, mosquitto, prefix, subscribe, tmp_path
):
    """`dsmrhub mqtt publish` (the part `dsmrhub run` starts) with its broker killed (-9) mid-stream:
    readings stored meanwhile wait in the outbox and arrive once the broker is back; the process lives on."""
    install = make_install()
    broker = mosquitto()
    install.run(
        "mqtt", "enable", "--host", "127.0.0.1", "--port", str(broker.port), "--prefix", prefix,
        "--client-id", prefix, "--no-discovery",
    )  # fmt: skip
    subscriber = subscribe("127.0.0.1", broker.port, [f"{prefix}/json"])
    items = demo_telegrams(15, step=timedelta(minutes=1))
    captures = []
    for number, part in enumerate((items[:5], items[5:10], items[10:])):
        capture = tmp_path / f"part{number}.txt"
        capture.write_text("".join(telegram for _, telegram in part), encoding="latin-1")
        captures.append(capture)
    publisher = install.start("mqtt", "publish", "--interval", "0.2", "--retry-max", "0.5", log="mqtt")
    try:
        install.run("import", str(captures[0]), "--quiet")
        subscriber.wait_for(5, topic=f"{prefix}/json", timeout=30)

        broker.process.kill()  # no goodbye, as a crash or power loss
        broker.process.wait()
        install.run("import", str(captures[1]), "--quiet")
        wait_until(lambda: "MQTT: cannot connect" in install.log_text("mqtt"), message="the loss noticed")
        # Hold the publisher until our subscriber is back, so that it cannot miss what is sent first.
        publisher.send_signal(signal.SIGSTOP)
        subscriber.subscribed.clear()
        broker.start()
        assert subscriber.subscribed.wait(10)
        publisher.send_signal(signal.SIGCONT)
        install.run("import", str(captures[2]), "--quiet")
        subscriber.wait_for(15, topic=f"{prefix}/json", timeout=30)
        assert publisher.poll() is None
        assert stop_process(publisher) == 0
    finally:
        publisher.send_signal(signal.SIGCONT)
        stop_process(publisher)
    stamps = {json.loads(payload)["timestamp"] for payload in subscriber.on(f"{prefix}/json")}
    assert stamps == {moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment, _ in items}
    assert install.query("SELECT count(*) FROM mqtt_outboxmessage") == [(0,)]
