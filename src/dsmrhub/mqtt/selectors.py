"""Read-only views of MQTT publishing for the status page and the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from dsmrhub.mqtt.models import MQTTSettings, MQTTState, OutboxMessage
from dsmrhub.processing.periods import from_epoch

ALIVE_WITHIN = timedelta(seconds=30)  # the publisher writes a heartbeat every few seconds


def mqtt_status(*, now: datetime | None = None) -> dict[str, Any]:
    """Publishing as last reported by the publisher; datetimes are aware (UTC) or None."""
    now = now or timezone.now()
    settings = MQTTSettings.peek()
    state = MQTTState.peek()
    running = state.updated_at is not None and now - state.updated_at <= ALIVE_WITHIN
    return {
        "enabled": settings.enabled,
        "broker": f"{settings.host}:{settings.port}",
        "running": running,
        "connected": running and state.connected,
        "outbox": OutboxMessage.objects.count(),
        "outbox_max": settings.outbox_max,
        "published_messages": state.published_messages,
        "dropped_messages": state.dropped_messages,
        "last_published_at": state.last_published_at,
        "last_reading_queued": from_epoch(state.reading_watermark) if state.reading_watermark else None,
        "last_error": state.last_error,
        "last_error_at": state.last_error_at,
        "started_at": state.started_at,
        "updated_at": state.updated_at,
    }
