"""The alerts' state for the status and settings pages."""

from __future__ import annotations

from typing import Any

from dsmrhub.alerts.models import AlertMessage, AlertSettings, AlertState, AlertTarget


def alert_targets() -> list[dict[str, Any]]:
    """The targets with their URLs masked (the URLs are secrets)."""
    return [{"id": target.pk, "label": target.label} for target in AlertTarget.objects.all()]


def alerts_status() -> dict[str, Any]:
    config = AlertSettings.peek()
    state = AlertState.peek()
    return {
        "enabled": config.enabled,
        "daily_summary": config.daily_summary,
        "summary_hour": config.summary_hour,
        "targets": alert_targets(),
        "waiting": AlertMessage.objects.count(),
        "sent": state.sent,
        "failed_attempts": state.failed_attempts,
        "dropped": state.dropped,
        "last_sent_at": state.last_sent_at,
        "last_error": state.last_error,
        "last_error_at": state.last_error_at,
        "last_check_at": state.last_check_at,
    }
