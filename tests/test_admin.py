"""The Django admin: API settings (enable, key, rotate), read-only readings, meter statistics."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from dsmrhub.api.models import APISettings
from dsmrhub.api.services import api_settings_get
from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    User.objects.create_superuser("admin", "admin@example.com", "secret-password-1")
    client.login(username="admin", password="secret-password-1")
    return client


def test_admin_pages_load(admin_client):
    reading_ingest_telegram(telegram=demo_telegrams(1)[0][1])
    api_settings_get()
    for url in [
        "/admin/",
        "/admin/api/apisettings/",
        "/admin/api/apisettings/1/change/",
        "/admin/readings/dsmrreading/",
        "/admin/readings/mbusreading/",
        "/admin/readings/meterstatistics/",
        "/admin/readings/meterstatistics/1/change/",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_admin_enables_the_api_and_rotates_the_key(admin_client):
    settings = api_settings_get()
    old_key = settings.auth_key
    response = admin_client.post("/admin/api/apisettings/1/change/", {"allow": "on", "auth_key": old_key})
    assert response.status_code == 302
    assert APISettings.objects.get().allow is True
    admin_client.post("/admin/api/apisettings/", {"action": "rotate_key", "_selected_action": [settings.pk]})
    new_key = APISettings.objects.get().auth_key
    assert new_key != old_key and len(new_key) == 64


def test_readings_are_read_only_in_the_admin(admin_client):
    reading_ingest_telegram(telegram=demo_telegrams(1)[0][1])
    assert admin_client.get("/admin/readings/dsmrreading/add/").status_code == 403
