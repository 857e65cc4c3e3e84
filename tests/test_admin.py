"""The Django admin, for what it changes: every admin that allows changes stores a change made through it,
and every read-only admin refuses one and leaves the row as it was.

Energy contracts (tests/prices/test_admin.py) and deleting readings (tests/readings/test_delete.py) are
tested with the repricing and reprocessing they cause."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.forms.models import model_to_dict
from django.urls import reverse

from dsmrhub.api.models import APISettings
from dsmrhub.datalogger.models import DataloggerSettings, DataloggerState
from dsmrhub.devices.models import Device, DeviceEpoch, DeviceOverride, DevicePrice
from dsmrhub.mqtt.models import MQTTSettings, MQTTState
from dsmrhub.prices.models import EnergyContract
from dsmrhub.readings.models import DsmrReading, MBusReading, MeterStatistics
from dsmrhub.readings.services import reading_ingest_telegram
from dsmrhub.spotprices.models import MarketPrice, PriceFetchSettings
from dsmrhub.web.models import WebSettings
from tests.helpers import demo_telegrams

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    User.objects.create_superuser("admin", "admin@example.com", "secret-password-1")
    client.login(username="admin", password="secret-password-1")
    return client


def admin_url(obj: Model, page: str, *args: Any) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{page}", args=args)


def change_url(obj: Model) -> str:
    return admin_url(obj, "change", obj.pk)


def form_as_shown(client, obj: Model) -> dict[str, Any]:
    """The change form as the admin renders it for ``obj``, ready to be posted back unchanged."""
    response = client.get(change_url(obj))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.MultiWidget):  # a date and a time
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else part
        elif isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


def change_through_the_admin(client, obj: Model, **changes: Any) -> None:
    response = client.post(change_url(obj), {**form_as_shown(client, obj), **changes})
    assert response.status_code == 302, response.context["adminform"].form.errors


def a_reading() -> DsmrReading:
    reading_ingest_telegram(telegram=demo_telegrams(1)[0][1])
    return DsmrReading.objects.get()


# model: (make the row, a change as posted, the stored values it must give)
EDITABLE: dict[type[Model], tuple[Callable[[], Model], dict[str, str], dict[str, Any]]] = {
    APISettings: (
        APISettings.load,
        {"allow": "on", "auth_key": "an-admin-chosen-key-0123456789"},
        {"allow": True, "auth_key": "an-admin-chosen-key-0123456789"},
    ),
    DataloggerSettings: (
        DataloggerSettings.load,
        {"source": "socket://192.0.2.10:2001", "decryption_key": "00112233445566778899AABBCCDDEEFF"},
        {"source": "socket://192.0.2.10:2001", "decryption_key": "00112233445566778899AABBCCDDEEFF"},
    ),
    MQTTSettings: (
        MQTTSettings.load,
        {"host": "broker.example.org", "port": "8883", "username": "meter", "password": "s3cret"},
        {"host": "broker.example.org", "port": 8883, "username": "meter", "password": "s3cret"},
    ),
    WebSettings: (WebSettings.load, {"require_login": "on"}, {"require_login": True}),
    MeterStatistics: (
        lambda: a_reading() and MeterStatistics.load(),
        {"rejected_telegrams": "7"},
        {"rejected_telegrams": 7},
    ),
}
READ_ONLY: dict[type[Model], Callable[[], Model]] = {
    DataloggerState: DataloggerState.load,
    MQTTState: MQTTState.load,
    DsmrReading: a_reading,
    MBusReading: lambda: a_reading() and MBusReading.objects.first(),
}


def test_every_admin_is_tested_here_or_with_what_it_recomputes():
    elsewhere = {EnergyContract, User, Group}  # tests/prices/test_admin.py; Django's own
    elsewhere |= {MarketPrice, PriceFetchSettings}  # tests/spotprices/test_admin.py
    elsewhere |= {Device, DeviceEpoch, DeviceOverride, DevicePrice}  # tests/devices/test_admin.py
    assert set(admin.site._registry) == set(EDITABLE) | set(READ_ONLY) | elsewhere


@pytest.mark.parametrize("model", EDITABLE, ids=lambda model: model.__name__)
def test_a_change_through_the_admin_is_stored(admin_client, model):
    make, changes, stored = EDITABLE[model]
    obj = make()
    assert admin_client.get(admin_url(obj, "changelist")).status_code == 200
    change_through_the_admin(admin_client, obj, **changes)
    obj.refresh_from_db()
    assert {name: getattr(obj, name) for name in stored} == stored


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda model: model.__name__)
def test_a_read_only_admin_refuses_changes(admin_client, model):
    obj = READ_ONLY[model]()
    assert obj is not None
    before = model_to_dict(obj)
    assert admin_client.get(admin_url(obj, "changelist")).status_code == 200
    assert admin_client.get(change_url(obj)).status_code == 200  # shown, as a view
    data = {name: "" for name in before}
    assert admin_client.post(change_url(obj), data).status_code == 403
    assert admin_client.post(admin_url(obj, "add"), data).status_code == 403
    obj.refresh_from_db()
    assert model_to_dict(obj) == before
    assert model.objects.count() == 1


def test_the_api_key_rotates_through_the_admin_action(admin_client):
    settings = APISettings.load()
    old_key = settings.auth_key
    changelist = reverse("admin:api_apisettings_changelist")
    admin_client.post(changelist, {"action": "rotate_key", "_selected_action": [settings.pk]})
    settings.refresh_from_db()
    assert settings.auth_key != old_key and len(settings.auth_key) == 64


def test_the_mqtt_password_is_never_shown_kept_when_left_empty_and_cleared_on_request(admin_client):
    settings = MQTTSettings.load()
    change_through_the_admin(admin_client, settings, password="s3cret")
    shown = admin_client.get(change_url(settings)).content.decode()
    assert "s3cret" not in shown
    change_through_the_admin(admin_client, settings, host="other.example.org")  # password left empty
    settings.refresh_from_db()
    assert (settings.host, settings.password) == ("other.example.org", "s3cret")
    change_through_the_admin(admin_client, settings, clear_password="on")
    settings.refresh_from_db()
    assert settings.password == ""


def test_a_bad_datalogger_source_is_a_form_error_and_changes_nothing(admin_client):
    settings = DataloggerSettings.load()
    response = admin_client.post(
        change_url(settings), {**form_as_shown(admin_client, settings), "source": "carrier-pigeon"}
    )
    assert response.status_code == 200
    assert "unknown source" in str(response.context["adminform"].form.errors["source"])
    settings.refresh_from_db()
    assert settings.source == ""
