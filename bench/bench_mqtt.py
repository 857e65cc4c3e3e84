"""MQTT: a 100,000-message backlog through the outbox to the broker on 127.0.0.1:1883, and the CPU cost
of publishing one telegram per second with every feature (and discovery) on."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from datetime import timedelta

BACKLOG = 100_000
TELEGRAMS = 120


def _setup() -> None:
    os.environ["DSMRHUB_DATA_DIR"] = tempfile.mkdtemp(prefix="dsmrhub-bench-mqtt-")
    os.environ.pop("DSMRHUB_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsmrhub.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run() -> dict[str, dict]:
    _setup()
    from tests.helpers import demo_telegrams

    from dsmrhub.mqtt.models import OutboxMessage
    from dsmrhub.mqtt.publisher import Publisher
    from dsmrhub.mqtt.services import mqtt_settings_update
    from dsmrhub.readings.services import reading_ingest_telegram

    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    mqtt_settings_update(
        enabled=True, host="127.0.0.1", port=1883, prefix=prefix, client_id=prefix, discovery=False
    )
    publisher = Publisher()
    publisher.step()  # connect
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(topic=f"{prefix}/reading/n", payload=str(n)) for n in range(BACKLOG)], batch_size=5000
    )
    started = time.perf_counter()
    while OutboxMessage.objects.exists():
        publisher.step()
    drain = time.perf_counter() - started

    mqtt_settings_update(discovery=True, discovery_prefix=f"{prefix}-ha")
    telegrams = demo_telegrams(TELEGRAMS, step=timedelta(seconds=1))
    cpu = 0.0
    messages = 0
    for moment, telegram in telegrams:
        reading_ingest_telegram(telegram=telegram, received_at=moment)
        before = time.process_time()
        messages += publisher.step()
        cpu += time.process_time() - before
    mqtt_settings_update(discovery=False)  # remove the retained configs again
    while publisher.step() or OutboxMessage.objects.exists():
        pass
    publisher.close()
    return {
        "mqtt_backlog_messages_per_s": {"value": BACKLOG / drain, "unit": "messages/s"},
        "mqtt_backlog_100k_drain": {"value": drain, "unit": "s"},
        "mqtt_messages_per_telegram_all_features": {"value": messages / TELEGRAMS, "unit": "messages"},
        "mqtt_cpu_at_1_telegram_per_s": {"value": 100 * cpu / TELEGRAMS, "unit": "% of one core"},
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.2f} {figure['unit']}")
