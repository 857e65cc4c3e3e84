"""The price fetch settings in the admin (token write-only, checked), and the stored prices read-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from dsmrhub.spotprices.models import MarketPrice, PriceFetchSettings
from dsmrhub.spotprices.services import PricePeriod, market_prices_store
from tests.test_admin import admin_client, admin_url, change_through_the_admin, change_url, form_as_shown

__all__ = ["admin_client"]  # the fixture, shared with tests/test_admin.py

pytestmark = pytest.mark.django_db


def test_fetch_settings_change_and_the_token_is_never_shown(admin_client):
    settings = PriceFetchSettings.load()
    assert admin_client.get(admin_url(settings, "changelist")).status_code == 200
    change_through_the_admin(
        admin_client,
        settings,
        enabled="on",
        provider="entsoe",
        token="tok-0123456789",
        zone="10YBE----------2",
    )
    settings.refresh_from_db()
    assert (settings.enabled, settings.provider, settings.token, settings.zone) == (
        True, "entsoe", "tok-0123456789", "10YBE----------2"
    )  # fmt: skip
    assert "tok-0123456789" not in admin_client.get(change_url(settings)).content.decode()
    change_through_the_admin(admin_client, settings, zone="10YNL----------L")  # token left empty: kept
    settings.refresh_from_db()
    assert (settings.zone, settings.token) == ("10YNL----------L", "tok-0123456789")


def test_entsoe_enabled_without_token_or_with_a_bad_zone_is_a_form_error(admin_client):
    settings = PriceFetchSettings.load()
    data = {**form_as_shown(admin_client, settings), "enabled": "on", "provider": "entsoe", "zone": "NL"}
    response = admin_client.post(change_url(settings), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["token"] == ["entsoe needs a security token"]
    assert "16-character EIC code" in errors["zone"][0]
    settings.refresh_from_db()
    assert (settings.enabled, settings.provider) == (False, "energyzero")


def test_market_prices_are_read_only(admin_client):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    market_prices_store(
        periods=[PricePeriod("gas", start, start + timedelta(days=1), Decimal("0.45"))], source="import"
    )
    price = MarketPrice.objects.get()
    before = model_to_dict(price)
    assert admin_client.get(admin_url(price, "changelist")).status_code == 200
    assert admin_client.get(change_url(price)).status_code == 200
    assert admin_client.post(change_url(price), {"price": "9"}).status_code == 403
    assert admin_client.post(admin_url(price, "add"), {"price": "9"}).status_code == 403
    assert admin_client.post(admin_url(price, "delete", price.pk), {"post": "yes"}).status_code == 403
    price.refresh_from_db()
    assert model_to_dict(price) == before
