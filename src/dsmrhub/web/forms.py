"""Forms of the web pages: energy contracts and the settings sections.

Forms validate and show errors; storing goes through the owning app's services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import holidays
from django import forms
from django.utils.translation import gettext_lazy as _

from dsmrhub.datalogger.models import (
    DataloggerSettings,
    validate_hex_key,
    validate_source_url,
)
from dsmrhub.mqtt.models import MQTTSettings
from dsmrhub.options import secret_kept
from dsmrhub.prices.models import ContractKind, EnergyContract, TermCommodity
from dsmrhub.prices.services import (
    MORE_PRICE_FIELDS,
    PRICE_FIELDS,
    ContractError,
    band_periods_parse,
    band_periods_text,
    contract_parts,
    contract_validate,
)
from dsmrhub.prices.tariffs import BandSpec, TermSpec

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


MORE_PRICE_LABELS = {
    "fixed_monthly_cost": _("Fixed cost per month"),
    "capacity_price": _("Capacity tariff (per kW per year; 0: none)"),
    "capacity_minimum": _("Capacity tariff: lowest peak billed (kW)"),
}
KIND_LABELS = {
    ContractKind.FIXED: _("Fixed prices (tariff 1 and 2, by the meter's tariff)"),
    ContractKind.BANDS: _("Time-of-use bands (by weekday and time)"),
    ContractKind.DYNAMIC: _("Dynamic (market prices plus a formula)"),
}
TERM_LABELS = {
    TermCommodity.ELECTRICITY_DELIVERED: _("Electricity delivered (per kWh)"),
    TermCommodity.ELECTRICITY_RETURNED: _("Electricity returned (per kWh)"),
    TermCommodity.GAS: _("Gas (per m³; leave empty for the fixed gas price)"),
}
BAND_ROWS_EXTRA = 3  # empty band rows under the stored ones


def _price_input(field: forms.Field) -> None:
    field.widget.attrs.update(step="0.000001", inputmode="decimal")


class BandForm(forms.Form):
    """One row of a time-of-use contract's bands; a row left empty is no band."""

    name = forms.CharField(required=False, max_length=64, label=_("Band"))
    delivered_price = forms.DecimalField(required=False, label=_("Delivered (per kWh)"))
    returned_price = forms.DecimalField(required=False, label=_("Returned (per kWh)"))
    periods = forms.CharField(required=False, max_length=500, label=_("When"))  # help: the bands' intro

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("delivered_price", "returned_price"):
            _price_input(self.fields[name])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or not self.is_filled():
            return data
        try:
            data["spec"] = BandSpec(
                name=data.get("name") or "",
                delivered_price=data.get("delivered_price") or Decimal(0),
                returned_price=data.get("returned_price") or Decimal(0),
                periods=band_periods_parse(data.get("periods") or "", band=data.get("name") or ""),
            )
        except ContractError as error:
            self.add_error("periods", error.args[0])
        return data

    def is_filled(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) not in (None, "") for name in self.fields)


class BaseBandFormSet(forms.BaseFormSet):
    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        # Every row is read: one left as the stored band showed it is still that band (Django would skip an
        # unchanged extra row), and an empty one is no band (BandForm.is_filled).
        form.empty_permitted = False
        return form


BandFormSet = forms.formset_factory(BandForm, formset=BaseBandFormSet, extra=BAND_ROWS_EXTRA)


class TermForm(forms.Form):
    """A dynamic contract's formula for one commodity; all three empty: no term."""

    markup = forms.DecimalField(required=False, label=_("Markup"), help_text=_("€; negative: a fee"))
    tax = forms.DecimalField(required=False, label=_("Energy tax"), help_text=_("€"))
    vat_percent = forms.DecimalField(required=False, label=_("VAT %"))

    def __init__(self, *args: Any, commodity: str, **kwargs: Any) -> None:
        super().__init__(*args, prefix=commodity, **kwargs)
        self.commodity = commodity
        self.label = TERM_LABELS[commodity]
        for field in self.fields.values():
            _price_input(field)

    def spec(self) -> TermSpec | None:
        data = self.cleaned_data
        if all(data.get(name) is None for name in self.fields):
            return None
        return TermSpec(
            commodity=self.commodity,
            **{name: data.get(name) or Decimal(0) for name in ("markup", "tax", "vat_percent")},
        )


class ContractForm(forms.ModelForm):
    """A contract of any kind: description, period (both days inclusive), kind, prices, the time-of-use
    bands (``band_forms``), the dynamic formula (``term_forms``) and the capacity tariff.

    The forms parse; ``prices.services.contract_validate`` decides (the same checks as the CLI and admin),
    and its error is put next to the field, band or term it names (``ContractError.field``/``parts``).
    """

    class Meta:
        model = EnergyContract
        fields = [
            "description",
            "start",
            "end",
            "kind",
            "holidays_country",
            *PRICE_FIELDS,
            *MORE_PRICE_FIELDS,
        ]
        labels = {
            "description": _("Description"),
            "start": _("First day"),
            "end": _("Last day"),
            "kind": _("Kind"),
            "holidays_country": _("Public holidays of"),
            **PRICE_LABELS,
            **MORE_PRICE_LABELS,
        }
        help_texts = {
            "end": _("Inclusive. Leave empty for a contract without an end."),
            "holidays_country": _("Public holidays are a day type of their own in the bands (“holiday”)."),
        }
        widgets = {"start": DateInput(), "end": DateInput()}

    def __init__(self, *args: Any, parts_from: EnergyContract | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored_kind = self.instance.kind if self.instance.pk else ContractKind.FIXED
        data = self.data if self.is_bound else None
        for name in PRICE_FIELDS:
            _price_input(self.fields[name])
            self.fields[name].widget.attrs["min"] = "0"
            self.fields[name].required = True
        for name in MORE_PRICE_FIELDS:
            _price_input(self.fields[name])
            self.fields[name].required = False
        kind = self.fields["kind"]
        kind.required = False
        kind.choices = list(KIND_LABELS.items())
        kind.widget.choices = kind.choices
        countries = sorted(holidays.list_supported_countries())
        self.fields["holidays_country"].widget = forms.Select(
            choices=[("", _("none"))] + [(code, code) for code in countries]
        )
        # the bands and terms shown: the contract's own, or for a new one those of ``parts_from`` (the latest)
        source = self.instance if self.instance.pk else parts_from
        bands, terms = contract_parts(source) if source is not None else ([], [])
        self.band_forms = BandFormSet(
            data,
            prefix="band",
            initial=[
                {
                    "name": band.name,
                    "delivered_price": band.delivered_price,
                    "returned_price": band.returned_price,
                    "periods": band_periods_text(band.periods),
                }
                for band in bands
            ],
        )
        stored = {term.commodity: term for term in terms}
        self.term_forms = [
            TermForm(
                data,
                commodity=commodity,
                initial={name: getattr(stored[commodity], name) for name in ("markup", "tax", "vat_percent")}
                if commodity in stored
                else None,
            )
            for commodity in TERM_LABELS
        ]
        self.bands_errors: list[str] = []
        self.terms_errors: list[str] = []

    def _parts(self) -> list:
        """The part forms the chosen kind uses (the others are not checked: they are dropped with it)."""
        kind = self.kind()
        if kind == ContractKind.BANDS:
            return [self.band_forms]
        return list(self.term_forms) if kind == ContractKind.DYNAMIC else []

    def is_valid(self) -> bool:
        valid = super().is_valid()
        parts = [part.is_valid() for part in self._parts()]
        return valid and all(parts) and not self.bands_errors and not self.terms_errors

    def has_errors(self) -> bool:
        """Anything wrong anywhere in the form (for the summary at its top)."""
        if not self.is_bound:
            return False
        parts = self._parts()
        rows = [form for part in parts for form in (part if isinstance(part, forms.BaseFormSet) else [part])]
        return bool(
            self.errors or self.bands_errors or self.terms_errors or any(form.errors for form in rows)
        )

    def kind(self) -> str:
        """The kind chosen, else the stored one (read before the form writes the posted values into
        ``instance``), else fixed."""
        return getattr(self, "cleaned_data", {}).get("kind") or self.stored_kind

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        parts_ok = all([part.is_valid() for part in self._parts()])
        if self.errors or not parts_ok:  # a field that did not parse: nothing to check as a whole yet
            return data
        try:
            contract_validate(contract_id=self.instance.pk, **self.contract())
        except ContractError as error:
            self._error(error)
        return data

    def contract(self) -> dict[str, Any]:
        """The contract as ``processing.contracts.contract_save`` takes it (after ``is_valid``). Bands and
        terms of another kind than the chosen one are dropped with it."""
        data, kind = self.cleaned_data, self.kind()
        bands, terms = [], []
        if kind == ContractKind.BANDS:
            bands = [form.cleaned_data["spec"] for form in self.band_forms if "spec" in form.cleaned_data]
        if kind == ContractKind.DYNAMIC:
            terms = [spec for spec in (form.spec() for form in self.term_forms) if spec is not None]
        return {
            "description": data["description"],
            "start": data["start"],
            "end": data.get("end"),
            "prices": self.prices(),
            "kind": kind,
            "holidays_country": data.get("holidays_country") or "",
            "bands": bands,
            "terms": terms,
        }

    def prices(self) -> dict[str, Decimal]:
        prices = {name: self.cleaned_data[name] for name in PRICE_FIELDS}
        prices.update(
            (name, self.cleaned_data[name])
            for name in MORE_PRICE_FIELDS
            if self.cleaned_data.get(name) is not None
        )
        return prices

    def _error(self, error: ContractError) -> None:
        """Put ``error`` next to what it is about: a field, a band's or term's field, the bands or terms as
        a whole, or, for an overlap, the top of the form with the period's fields marked."""
        message = error.args[0]
        if error.overlaps is not None:
            self.add_error(None, message)
            for name in ("start", "end"):
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": "form-errors"}
                )
            return
        if error.field == "bands":
            self._part_errors(
                error,
                message,
                [
                    (form.cleaned_data.get("name") or "", form)
                    for form in self.band_forms
                    if "spec" in form.cleaned_data
                ],
                self.bands_errors,
            )
            return
        if error.field == "terms":
            self._part_errors(
                error, message, [(form.commodity, form) for form in self.term_forms], self.terms_errors
            )
            return
        self.add_error(error.field if error.field in self.fields else None, message)

    @staticmethod
    def _part_errors(error: ContractError, message: str, forms_by_name, general: list[str]) -> None:
        marked = False
        for part, attribute in error.parts:
            for name, form in forms_by_name:
                if name.strip() == part.strip() and attribute in form.fields:
                    form.add_error(attribute, message.removeprefix(f"{part} {attribute}: "))
                    marked = True
        if not marked:  # about the bands (or terms) together, e.g. a time no band holds: their periods
            general.append(message)
            for _name, form in forms_by_name:
                if "periods" in form.fields:
                    form.fields["periods"].widget.attrs.update({"aria-invalid": "true"})


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
        help_text=_(
            "serial:///dev/ttyUSB0, socket://HOST:PORT, replay:FILE or demo. Empty: none (nothing is read "
            "until one is set)."
        ),
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
