"""Settings page (login required): API, datalogger source, MQTT broker, alerts and "require login".

Each section is its own form, posted with a hidden ``section`` field; the services store in the
database, so running processes pick changes up without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from dsmrhub.alerts.models import AlertSettings
from dsmrhub.alerts.services import (
    AlertError,
    alert_settings_update,
    alert_target_add,
    alert_target_remove,
    alerts_test,
)
from dsmrhub.api.services import api_key_rotate, api_settings_get, api_settings_update
from dsmrhub.backup.models import BackupSettings
from dsmrhub.backup.services import backup_directory, backup_settings_update
from dsmrhub.datalogger.selectors import datalogger_status
from dsmrhub.datalogger.services import datalogger_settings_get, datalogger_settings_update
from dsmrhub.mqtt.services import mqtt_settings_get, mqtt_settings_update
from dsmrhub.web.forms import APISettingsForm, DataloggerSettingsForm, MQTTSettingsForm, WebSettingsForm
from dsmrhub.web.forms_settings import AlertsSettingsForm, BackupSettingsForm
from dsmrhub.web.services import web_settings_get, web_settings_update

SECTIONS = ("api", "datalogger", "mqtt", "alerts", "backup", "web")
SAVED = {
    "api": gettext_lazy("API settings saved."),
    "datalogger": gettext_lazy("Datalogger settings saved."),
    "mqtt": gettext_lazy("MQTT settings saved."),
    "alerts": gettext_lazy("Alert settings saved."),
    "backup": gettext_lazy("Backup settings saved."),
    "web": gettext_lazy("Login setting saved."),
}


def _forms(data: dict[str, Any] | None, section: str | None) -> dict[str, forms.Form]:
    """The section forms; only the posted one is bound to ``data``."""

    def bound(name: str) -> dict[str, Any] | None:
        return data if section == name else None

    api = api_settings_get()
    datalogger = datalogger_settings_get()
    return {
        "api": APISettingsForm(bound("api"), initial={"allow": api.allow}, prefix="api"),
        "datalogger": DataloggerSettingsForm(
            bound("datalogger"),
            initial={"source": datalogger.source, "min_interval": datalogger.min_interval},
            prefix="datalogger",
        ),
        "mqtt": MQTTSettingsForm(bound("mqtt"), instance=mqtt_settings_get(), prefix="mqtt"),
        "alerts": AlertsSettingsForm(bound("alerts"), initial=_alerts_initial(), prefix="alerts"),
        "backup": BackupSettingsForm(bound("backup"), initial=_backup_initial(), prefix="backup"),
        "web": WebSettingsForm(
            bound("web"), initial={"require_login": web_settings_get().require_login}, prefix="web"
        ),
    }


def _alerts_initial() -> dict[str, Any]:
    config = AlertSettings.peek()
    return {name: getattr(config, name) for name in ("enabled", "daily_summary", "summary_hour")}


def _backup_initial() -> dict[str, Any]:
    config = BackupSettings.peek()
    return {name: getattr(config, name) for name in ("daily", "hour", "keep", "directory")}


def _backup_store(form: BackupSettingsForm) -> None:
    try:
        backup_settings_update(**form.cleaned_data)
    except ValidationError as error:  # per field: shown at the field
        form.add_error(None, error)


@transaction.atomic
def _alerts_store(form: AlertsSettingsForm) -> None:
    data = form.cleaned_data
    alert_settings_update(
        enabled=data["enabled"], daily_summary=data["daily_summary"], summary_hour=data["summary_hour"]
    )
    for target_id in form.removed():
        alert_target_remove(target_id=target_id)
    if data["new_url"]:  # empty: nothing added (the stored URLs stay as they are)
        alert_target_add(url=data["new_url"])


def _store(section: str, form: forms.Form) -> None:
    """Save one valid section through its service; a service's refusal becomes a form error."""
    savers: dict[str, Callable[[], Any]] = {
        "api": lambda: api_settings_update(allow=form.cleaned_data["allow"]),
        "datalogger": lambda: datalogger_settings_update(**form.values()),
        "mqtt": lambda: mqtt_settings_update(**form.values()),
        "alerts": lambda: _alerts_store(form),
        "backup": lambda: _backup_store(form),
        "web": lambda: web_settings_update(require_login=form.cleaned_data["require_login"]),
    }
    try:
        savers[section]()
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
    except AlertError as error:
        form.add_error("new_url" if section == "alerts" else None, str(error))
    except ValueError as error:
        form.add_error(None, str(error))


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    section = request.POST.get("section") if request.method == "POST" else None
    if request.method == "POST" and section == "api-rotate":
        api_key_rotate()
        messages.success(request, _("A new API key was made; the old one no longer works."))
        return redirect(reverse("settings") + "#api")
    if request.method == "POST" and section == "alerts-test":
        deliveries = alerts_test()
        if not deliveries:
            messages.error(request, _("Add a notification URL first."))
        for delivery in deliveries:
            if delivery.error:
                messages.error(
                    request,
                    _("%(target)s: not delivered (%(error)s)")
                    % {"target": delivery.target, "error": delivery.error},
                )
            else:
                messages.success(
                    request, _("%(target)s: test message delivered.") % {"target": delivery.target}
                )
        return redirect(reverse("settings") + "#alerts")
    if request.method == "POST" and section not in SECTIONS:
        return HttpResponse(_("Unknown settings section."), status=400, content_type="text/plain")
    page_forms = _forms(request.POST if section else None, section)
    if section:
        form = page_forms[section]
        if form.is_valid():
            _store(section, form)
            if not form.errors:
                messages.success(request, SAVED[section])
                return redirect(reverse("settings") + f"#{section}")
    api = api_settings_get()
    datalogger = datalogger_settings_get()
    return render(
        request,
        "web/pages/settings.html",
        {
            "forms": page_forms,
            "api": api,
            "decryption_key_set": bool(datalogger.decryption_key),
            "authentication_key_set": bool(datalogger.authentication_key),
            "mqtt_password_set": bool(mqtt_settings_get().password),
            "datalogger_now": datalogger_status(),
            "backup_directory": backup_directory(),
            "invalid": section,
        },
    )


urlpatterns = [path("", settings_page, name="settings")]
