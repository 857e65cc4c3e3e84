"""The settings page's alerts and backups sections.

Alerts: switches, the daily summary and the notification URLs.

The URLs are secrets (they hold tokens and passwords): a new one is entered in an empty field and never
shown again; a stored one is listed masked, with a box to remove it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dsmrhub.alerts.models import AlertTarget
from dsmrhub.alerts.selectors import alert_targets
from dsmrhub.backup.models import BackupSettings


class AlertsSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label=_("Send alerts"),
        help_text=_("A message when a problem of the status page appears and one when it clears."),
    )
    daily_summary = forms.BooleanField(
        required=False,
        label=_("Daily summary"),
        help_text=_("Yesterday's use and cost, once a day."),
    )
    summary_hour = forms.IntegerField(
        min_value=0,
        max_value=23,
        label=_("Hour of the daily summary"),
        help_text=_("Local time, 0-23."),
    )
    new_url = forms.CharField(
        required=False,
        max_length=AlertTarget._meta.get_field("url").max_length,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        label=_("Add a notification URL"),
        help_text=_(
            "An Apprise URL: ntfy://ntfy.sh/your-topic, tgram://bot-token/chat-id, pover://user@token, "
            "mailto://user:password@example.org, json://host/path … Not shown again once saved."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = alert_targets()
        for target in self.targets:
            self.fields[f"remove_{target['id']}"] = forms.BooleanField(
                required=False, label=_("Remove %(target)s") % {"target": target["label"]}
            )

    def remove_fields(self) -> list[forms.BoundField]:
        return [self[f"remove_{target['id']}"] for target in self.targets]

    def removed(self) -> list[int]:
        """The targets whose remove box is ticked."""
        return [target["id"] for target in self.targets if self.cleaned_data[f"remove_{target['id']}"]]


class BackupSettingsForm(forms.Form):
    daily = forms.BooleanField(
        required=False,
        label=_("Daily backup"),
        help_text=_("dsmrhub run makes one backup a day; older ones beyond the kept count are deleted."),
    )
    hour = forms.IntegerField(
        min_value=0, max_value=23, label=_("Hour of the daily backup"), help_text=_("Local time, 0-23.")
    )
    keep = forms.IntegerField(min_value=1, max_value=365, label=_("Backups kept"))
    directory = forms.CharField(
        required=False,
        max_length=BackupSettings._meta.get_field("directory").max_length,
        label=_("Directory"),
        help_text=_("The whole path, e.g. a USB stick: /media/usb/dsmrhub. Empty: backups/ in the data dir."),
    )
