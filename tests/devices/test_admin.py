"""The devices in the admin: seen devices and epochs read-only, overrides and prices through the services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from dsmrhub.devices.models import Device, DeviceEpoch, DeviceOverride, DevicePrice, DevicesState
from dsmrhub.devices.services import device_price_save
from tests.devices.builders import Channel, ingest, telegram
from tests.devices.test_devices import START

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def admin_client(client):
    User.objects.create_superuser("admin", "admin@example.com", "secret-password-1")
    client.login(username="admin", password="secret-password-1")
    return client


def test_devices_and_epochs_are_shown_never_changed(admin_client):
    ingest(
        [
            telegram(START + timedelta(minutes=1), Channel(2, 7, "W1", START, "9.000")),
            telegram(
                START + timedelta(minutes=6), Channel(2, 7, "W2", START + timedelta(minutes=5), "0.001")
            ),
        ]
    )
    assert DeviceEpoch.objects.count() == 1
    for model in (Device, DeviceEpoch):
        obj = model.objects.first()
        name = model._meta.model_name
        assert admin_client.get(f"/admin/devices/{name}/").status_code == 200
        assert admin_client.get(f"/admin/devices/{name}/{obj.pk}/change/").status_code == 200
        assert admin_client.post(f"/admin/devices/{name}/{obj.pk}/change/", {}).status_code == 403
        assert admin_client.post(f"/admin/devices/{name}/add/", {}).status_code == 403


def test_an_override_through_the_admin_rebuilds_on_the_next_pass(admin_client):
    DevicesState.store(built=True)
    response = admin_client.post("/admin/devices/deviceoverride/add/", {"channel": "3", "kind": "water"})
    assert response.status_code == 302
    assert DeviceOverride.objects.get().kind == "water"
    assert DevicesState.peek().built is False
    DevicesState.store(built=True)
    override = DeviceOverride.objects.get()
    admin_client.post(f"/admin/devices/deviceoverride/{override.pk}/delete/", {"post": "yes"})
    assert not DeviceOverride.objects.exists() and DevicesState.peek().built is False


def test_a_price_is_checked_as_the_service_checks_it(admin_client):
    device_price_save(kind="heat", start=date(2026, 1, 1), end=None, price=D("20"))
    form = {"kind": "heat", "start": "2026-06-01", "end": "", "price": "25"}
    response = admin_client.post("/admin/devices/deviceprice/add/", form)
    assert response.status_code == 200 and b"another price of this kind" in response.content
    form = {"kind": "water", "start": "2026-06-01", "end": "", "price": "1.5"}
    assert admin_client.post("/admin/devices/deviceprice/add/", form).status_code == 302
    assert DevicePrice.objects.get(kind="water").price == D("1.5")
