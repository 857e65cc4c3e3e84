"""Against the real broker: exact payloads of a known telegram, settings changes, outbox bound, CLI."""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command

from dsmrhub.mqtt.models import OutboxMessage
from dsmrhub.mqtt.publisher import Publisher
from dsmrhub.mqtt.selectors import mqtt_status
from dsmrhub.mqtt.services import mqtt_settings_get, mqtt_settings_update
from dsmrhub.mqtt.topics import TOTALS_FIELDS
from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams
from tests.processes import free_port, wait_until

pytestmark = pytest.mark.django_db


def ingest(telegrams) -> None:
    for moment, telegram in telegrams:
        reading_ingest_telegram(telegram=telegram, received_at=moment)


def drain(publisher: Publisher, timeout: float = 30) -> None:
    """Step the publisher until the broker acknowledged everything (bounded in time: a loaded CI machine
    may need more passes for the PUBACKs to arrive)."""

    def drained() -> bool:
        publisher.step()
        return not OutboxMessage.objects.exists()

    wait_until(drained, timeout=timeout, message="an empty outbox")


def enable(broker, prefix: str, **values):
    """Publishing to ``broker`` under ``prefix``, with a client id of this test alone (the broker drops a
    client when another connects with the same id, and tests run in parallel on the shared broker)."""
    return mqtt_settings_update(
        enabled=True, host=broker[0], port=broker[1], prefix=prefix, client_id=prefix, discovery=False,
        **values,
    )  # fmt: skip


READING_1 = {
    "timestamp": "2026-03-02T11:00:00Z",
    "electricity_delivered_1": "4123.456",
    "electricity_returned_1": "512.100",
    "electricity_delivered_2": "3876.543",
    "electricity_returned_2": "1287.400",
    "electricity_currently_delivered": "0.000",
    "electricity_currently_returned": "2.029",
    "phase_currently_delivered_l1": "0.000",
    "phase_currently_delivered_l2": "0.000",
    "phase_currently_delivered_l3": "0.000",
    "phase_currently_returned_l1": "0.575",
    "phase_currently_returned_l2": "0.537",
    "phase_currently_returned_l3": "0.917",
    "extra_device_timestamp": "2026-03-02T11:00:00Z",
    "extra_device_delivered": "2345.678",
    "phase_voltage_l1": "231.1",
    "phase_voltage_l2": "232.4",
    "phase_voltage_l3": "227.5",
    "phase_power_current_l1": "2.000",
    "phase_power_current_l2": "2.000",
    "phase_power_current_l3": "4.000",
}


def test_exact_payloads_of_a_known_telegram(shared_broker, prefix, subscribe):
    enable(shared_broker, prefix)
    subscriber = subscribe(*shared_broker, [f"{prefix}/#"])
    telegrams = demo_telegrams(2)
    ingest(telegrams)
    publisher = Publisher()
    drain(publisher)
    publisher.close()
    subscriber.wait_for(2, topic=f"{prefix}/json")
    subscriber.wait_for(1, topic=f"{prefix}/current-year/total_cost")

    first = json.loads(subscriber.on(f"{prefix}/json")[0])
    assert list(first) == ["id", *READING_1]  # field order as documented; id first, as DSMR-reader's
    assert first == {
        "id": 1772449200,  # the reading's timestamp in Unix seconds, as in the API
        **{k: (v if k.endswith("timestamp") else float(v)) for k, v in READING_1.items()},
    }
    assert subscriber.on(f"{prefix}/json")[0].startswith(
        '{"id":1772449200,"timestamp":"2026-03-02T11:00:00Z","electricity_delivered_1":4123.456,'
    )
    for field, value in READING_1.items():
        assert subscriber.on(f"{prefix}/reading/{field}")[0] == value, field
    assert len(subscriber.on(f"{prefix}/reading/timestamp")) == 2
    # The present: raw telegram of the newest reading, meter statistics, today's and period totals.
    assert subscriber.on(f"{prefix}/raw") == [telegrams[-1][1]]
    seen = subscriber.topics_seen()
    assert seen[f"{prefix}/meter-stats/dsmr_version"] == "50"
    assert seen[f"{prefix}/meter-stats/electricity_tariff"] == "2"
    assert seen[f"{prefix}/meter-stats/power_failure_count"] == "3"
    assert seen[f"{prefix}/meter-stats/timestamp"] == "2026-03-02T11:00:10Z"
    day = {topic.rsplit("/", 1)[1]: value for topic, value in seen.items() if "/day-consumption/" in topic}
    assert tuple(day) == TOTALS_FIELDS  # no contract: no prices either
    assert day["electricity_cost_merged"] == "0.00"  # no contract: no costs
    assert day["fixed_cost"] == "0.00"
    assert seen[f"{prefix}/current-month/total_cost"] == "0.00"
    assert seen[f"{prefix}/current-year/fixed_cost"] == "0.00"
    assert all(
        not m.retain for m in subscriber.messages
    )  # live delivery: the retain flag is for late subscribers


def test_day_totals_carry_the_contract_prices_and_fixed_cost(shared_broker, prefix, subscribe):
    from datetime import date
    from decimal import Decimal

    from dsmrhub.processing.contracts import contract_save

    contract_save(
        description="Energy 2026", start=date(2026, 1, 1), prices=dict(
        electricity_delivered_1_price=Decimal("0.21"), electricity_delivered_2_price=Decimal("0.25"),
        electricity_returned_1_price=Decimal("0.07"), electricity_returned_2_price=Decimal("0.08"),
        gas_price=Decimal("1.25"), fixed_daily_cost=Decimal("0.85"),
    ))  # fmt: skip
    enable(shared_broker, prefix, publish_split=False, publish_json=False, publish_raw=False)
    subscriber = subscribe(*shared_broker, [f"{prefix}/#"])
    ingest(demo_telegrams(2))
    publisher = Publisher()
    drain(publisher)
    publisher.close()
    subscriber.wait_for(1, topic=f"{prefix}/current-year/total_cost")
    seen = subscriber.topics_seen()
    day = {topic.rsplit("/", 1)[1]: value for topic, value in seen.items() if "/day-consumption/" in topic}
    assert list(day) == [
        *TOTALS_FIELDS,
        "energy_supplier_price_electricity_delivered_1", "energy_supplier_price_electricity_delivered_2",
        "energy_supplier_price_electricity_returned_1", "energy_supplier_price_electricity_returned_2",
        "energy_supplier_price_gas",
    ]  # fmt: skip
    assert day["energy_supplier_price_electricity_delivered_1"] == "0.210000"
    assert day["energy_supplier_price_electricity_returned_2"] == "0.080000"
    assert day["energy_supplier_price_gas"] == "1.250000"
    assert day["fixed_cost"] == "0.85"
    parts = ("electricity1_cost", "electricity2_cost", "gas_cost", "fixed_cost")
    assert Decimal(day["total_cost"]) == sum(Decimal(day[name]) for name in parts)
    for period in ("current-month", "current-year"):  # no complete day before today: today alone
        assert seen[f"{prefix}/{period}/fixed_cost"] == "0.85"
        assert seen[f"{prefix}/{period}/total_cost"] == day["total_cost"]
        assert f"{prefix}/{period}/energy_supplier_price_gas" not in seen


def test_features_switch_off_and_prefix_changes_without_restart(shared_broker, prefix, subscribe):
    enable(shared_broker, prefix, publish_split=False, publish_raw=False)
    subscriber = subscribe(*shared_broker, [f"{prefix}/#", f"{prefix}-new/#"])
    publisher = Publisher()
    ingest(demo_telegrams(1))
    drain(publisher)
    mqtt_settings_update(prefix=f"{prefix}-new", publish_json=False, publish_split=True)
    moment, telegram = demo_telegrams(2)[1]
    reading_ingest_telegram(telegram=telegram, received_at=moment)
    drain(publisher)
    publisher.close()
    subscriber.wait_for(1, topic=f"{prefix}-new/reading/timestamp")
    topics = {m.topic for m in subscriber.messages}
    assert f"{prefix}/json" in topics and f"{prefix}-new/json" not in topics
    assert not any(t.startswith(f"{prefix}/reading/") or t.endswith("/raw") for t in topics)
    assert subscriber.on(f"{prefix}-new/reading/timestamp") == ["2026-03-02T11:00:10Z"]


def test_outbox_is_bounded_and_status_counts_what_was_dropped(prefix, caplog):
    enable(("127.0.0.1", free_port()), prefix, outbox_max=100)  # nobody listens there
    ingest(demo_telegrams(10))
    publisher = Publisher(retry_min=60)
    with caplog.at_level(logging.WARNING, logger="dsmrhub.mqtt"):
        publisher.step()
    status = mqtt_status()
    assert status["outbox"] == 100
    assert status["dropped_messages"] > 100
    assert status["connected"] is False
    assert "cannot connect" in status["last_error"]
    assert "MQTT outbox full (100 messages): dropped the" in caplog.text
    # The newest messages are kept.
    assert OutboxMessage.objects.order_by("-id").first().topic.startswith(f"{prefix}/")
    assert set(status) == {
        "enabled", "broker", "running", "connected", "outbox", "outbox_max", "published_messages",
        "dropped_messages", "last_published_at", "last_reading_queued", "last_error", "last_error_at",
        "started_at", "updated_at",
    }  # fmt: skip


def test_enabling_starts_at_the_newest_reading():
    ingest(demo_telegrams(5))
    mqtt_settings_update(enabled=True, port=free_port())
    assert mqtt_status()["last_reading_queued"].isoformat() == "2026-03-02T11:00:40+00:00"


def test_cli_enable_show_disable_never_shows_the_password(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-Passw0rd\n")
    out = StringIO()
    call_command(
        "mqtt", "enable", "--host", "broker.example", "--port", "8883", "--username", "meter",
        "--password-file", str(secret), "--prefix", "home/dsmr", "--no-discovery", "--tls",
        "--without", "raw", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "MQTT: enabled" in text
    assert "mqtts://broker.example:8883" in text
    assert "password: ***" in text
    assert "s3cret" not in text
    assert "features: json, split," in text and "raw" not in text.split("features:")[1].split("\n")[0]
    assert "discovery: off" in text
    settings = mqtt_settings_get()
    assert (settings.password, settings.username, settings.prefix, settings.tls) == (
        "s3cret-Passw0rd", "meter", "home/dsmr", True,
    )  # fmt: skip
    out = StringIO()
    call_command("mqtt", "disable", stdout=out)
    assert "MQTT: disabled" in out.getvalue()
    assert mqtt_settings_get().password == "s3cret-Passw0rd"


def test_cli_rejects_a_bad_prefix():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="prefix"):
        call_command("mqtt", "enable", "--prefix", "dsmr/#", stdout=StringIO())
