"""Forms of the web pages: energy contracts and the settings sections.

Forms validate and show errors; storing goes through the owning app's services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dsmrhub.datalogger.models import (
    DataloggerSettings,
    validate_hex_key,
    validate_source_url,
)
from dsmrhub.mqtt.models import MQTTSettings
from dsmrhub.options import secret_kept
from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import PRICE_FIELDS, ContractError, contract_validate

PRICE_LABELS = {
    "electricity_delivered_1_price": _("Electricity delivered, tariff 1 (per kWh)"),
    "electricity_delivered_2_price": _("Electricity delivered, tariff 2 (per kWh)"),
    "electricity_returned_1_price": _("Electricity returned, tariff 1 (per kWh)"),
    "electricity_returned_2_price": _("Electricity returned, tariff 2 (per kWh)"),
    "gas_price": _("Gas (per m³)"),
    "fixed_daily_cost": _("Fixed cost per day"),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ContractForm(forms.ModelForm):
    """A contract's description, period (both days inclusive) and prices.

    The form parses; ``prices.services.contract_validate`` decides (the same checks as the CLI and admin).
    """

    class Meta:
        model = EnergyContract
        fields = ["description", "start", "end", *PRICE_FIELDS]
        labels = {
            "description": _("Description"),
            "start": _("First day"),
            "end": _("Last day"),
            **PRICE_LABELS,
        }
        help_texts = {"end": _("Inclusive. Leave empty for a contract without an end.")}
        widgets = {"start": DateInput(), "end": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PRICE_FIELDS:
            field = self.fields[name]
            field.widget.attrs.update(min="0", step="0.000001", inputmode="decimal")
            field.required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:  # a field that did not parse: nothing to check as a whole yet
            return data
        try:
            contract_validate(
                contract_id=self.instance.pk,
                description=data["description"],
                start=data["start"],
                end=data.get("end"),
                prices=self.prices(),
            )
        except ContractError as error:
            self.add_error(error.field, error.args[0])
        return data

    def prices(self) -> dict[str, Decimal]:
        return {name: self.cleaned_data[name] for name in PRICE_FIELDS}


# ---------------------------------------------------------------- settings


class APISettingsForm(forms.Form):
    allow = forms.BooleanField(
        required=False,
        label=_("Enable the API"),
        help_text=_("Clients send the key as “Authorization: Token <key>”."),
    )


def _meter_key_field(label: str, help_text: str) -> forms.CharField:
    """A write-only field for one of an encrypted meter's keys (32 hex digits; empty: keep the key)."""
    return forms.CharField(
        required=False,
        max_length=32,
        validators=[validate_hex_key],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        label=label,
        help_text=help_text,
    )


class DataloggerSettingsForm(forms.Form):
    """The datalogger's source; the keys are write-only (empty field: keep the stored key)."""

    source = forms.CharField(
        required=False,
        max_length=DataloggerSettings._meta.get_field("source").max_length,
        validators=[validate_source_url],
        label=_("Source"),
        help_text=_("serial:///dev/ttyUSB0, socket://HOST:PORT, replay:FILE or demo. Empty: the demo meter."),
    )
    min_interval = forms.FloatField(
        min_value=0,
        max_value=86_400,
        label=_("Minimum interval (seconds)"),
        help_text=_("Store at most one telegram per this many seconds (0: every telegram)."),
    )
    decryption_key = _meter_key_field(
        _("Decryption key"),
        _("Encrypted meters only: 32 hexadecimal digits. Leave empty to keep the current key."),
    )
    clear_decryption_key = forms.BooleanField(required=False, label=_("Remove the decryption key"))
    authentication_key = _meter_key_field(
        _("Authentication key"),
        _(
            "Encrypted meters whose operator gave one (optional): 32 hexadecimal digits. "
            "Leave empty to keep the current key."
        ),
    )
    clear_authentication_key = forms.BooleanField(required=False, label=_("Remove the authentication key"))

    def values(self) -> dict[str, Any]:
        """Keyword arguments for ``datalogger_settings_update``."""
        data = self.cleaned_data
        values: dict[str, Any] = {"source": data["source"], "min_interval": data["min_interval"]}
        for key in ("decryption_key", "authentication_key"):
            if data[f"clear_{key}"] or data[key]:  # otherwise the stored key is kept (left out)
                values[key] = secret_kept(entered=data[key], clear=data[f"clear_{key}"], stored="")
        return values


MQTT_LABELS = {
    "enabled": _("Publish to the MQTT broker"),
    "host": _("Broker host"),
    "port": _("Port"),
    "tls": _("Use TLS"),
    "tls_ca_file": _("CA certificate file"),
    "tls_insecure": _("Accept any broker certificate (insecure)"),
    "username": _("Username"),
    "password": _("Password"),
    "client_id": _("Client id"),
    "qos": _("QoS"),
    "prefix": _("Topic prefix"),
    "publish_raw": _("Raw telegram"),
    "publish_json": _("Each reading as JSON"),
    "publish_split": _("Each reading field on its own topic"),
    "publish_meter_stats": _("Meter statistics"),
    "publish_day_totals": _("Today's totals and costs"),
    "publish_period_totals": _("This month's and year's totals"),
    "publish_gas": _("Gas per hour"),
    "publish_quarter_peaks": _("Average power per quarter hour"),
    "publish_running_quarter": _("Running quarter hour and projected peak"),
    "publish_prices": _("Price now and next"),
    "discovery": _("Home Assistant discovery"),
    "discovery_prefix": _("Discovery prefix"),
    "node_id": _("Home Assistant device id"),
    "currency": _("Currency"),
    "outbox_max": _("Outbox size (messages)"),
}
MQTT_HELP = {
    "password": _("Never shown. Leave empty to keep the current password."),
    "tls_ca_file": _("PEM file on the server; empty: the system's CA certificates."),
    "tls_insecure": _("For testing only: anyone in between can pose as the broker."),
    "prefix": _("Topics start with it, e.g. dsmr/json."),
    "outbox_max": _("Messages kept while the broker is away; the oldest are dropped beyond."),
}

MQTT_TOPICS = {  # shown under each feature: the topics it publishes
    "publish_raw": ["raw"],
    "publish_json": ["json"],
    "publish_split": ["reading/<field>"],
    "publish_meter_stats": ["meter-stats/<field>"],
    "publish_day_totals": ["day-consumption/<field>"],
    "publish_period_totals": ["current-month/<field>", "current-year/<field>", "total/<field>"],
    "publish_gas": ["consumption/gas/<field>"],
    "publish_quarter_peaks": ["consumption/quarter-hour-peak-electricity/<field>"],
    "publish_running_quarter": [
        "consumption/quarter-hour-peak-electricity/running_average",
        "consumption/quarter-hour-peak-electricity/projected_peak",
    ],
    "publish_prices": ["prices/<field>"],
}


class MQTTSettingsForm(forms.ModelForm):
    """Every editable field of the MQTT settings (new model fields appear by themselves).

    The password is write-only: never rendered, an empty field keeps it, a checkbox removes it.
    """

    clear_password = forms.BooleanField(required=False, label=_("Remove the password"))

    class Meta:
        model = MQTTSettings
        fields = [f.name for f in MQTTSettings._meta.fields if f.editable and not f.primary_key]
        widgets = {
            "password": forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stored_password = self.instance.password if self.instance else ""
        prefix = self.instance.prefix if self.instance else "dsmr"
        for name, field in self.fields.items():
            if name in MQTT_LABELS:  # fields added to the model later keep the model's label and help
                field.label = MQTT_LABELS[name]
                field.help_text = MQTT_HELP.get(name, "")
            if name in MQTT_TOPICS:
                field.help_text = ", ".join(f"{prefix}/{topic}" for topic in MQTT_TOPICS[name])
        self.fields["password"].required = False
        self.initial["password"] = ""

    @property
    def feature_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("publish_")]

    @property
    def connection_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in self.fields
            if not name.startswith("publish_") and name not in ("enabled", "clear_password")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["password"] = secret_kept(
            entered=data.get("password"), clear=data.get("clear_password"), stored=self._stored_password
        )
        return data

    def values(self) -> dict[str, Any]:
        """Keyword arguments for ``mqtt_settings_update``."""
        return {name: value for name, value in self.cleaned_data.items() if name != "clear_password"}


class WebSettingsForm(forms.Form):
    require_login = forms.BooleanField(
        required=False,
        label=_("Require a login for all pages"),
        help_text=_("Without it, pages can be viewed by anyone on the network; changes always need a login."),
    )
