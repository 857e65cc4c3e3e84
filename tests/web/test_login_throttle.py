"""Failed logins are throttled per client address and per username, in the database (shared by workers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dsmrhub.web.login import login_wait_after
from dsmrhub.web.models import LoginFailure

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("owner", password="the right password")


def _login(client, username, password, address="192.0.2.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_failures_from_one_address_make_the_next_attempt_wait_even_with_the_right_password(client, user):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(4):
            response = _login(client, f"guess{n}", "wrong")
            assert response.status_code == 200
            assert "didn't match" in response.content.decode()
        fifth = _login(client, "guess4", "wrong")
        assert fifth.status_code == 429
        assert fifth["Retry-After"] == "30"
        assert "Too many failed logins. Please wait 30 seconds" in fifth.content.decode()
        refused = _login(client, "owner", "the right password")
        assert refused.status_code == 429 and "_auth_user_id" not in client.session
        assert LoginFailure.objects.get(key="address:192.0.2.1").failures == 5  # a refused try is not counted
        assert _login(client, "owner", "the right password", address="192.0.2.2").status_code == 302
        clock.shift(timedelta(seconds=31))
        assert _login(client, "owner", "the right password").status_code == 302
        assert not LoginFailure.objects.filter(key__in=["address:192.0.2.1", "username:owner"]).exists()


def test_failures_for_one_username_from_many_addresses_make_it_wait_longer_each_time(client, user):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(5):
            _login(client, "Owner", "wrong", address=f"198.51.100.{n}")
        response = _login(client, "owner", "the right password", address="198.51.100.99")
        assert response.status_code == 429 and response["Retry-After"] == "30"
        clock.shift(timedelta(seconds=31))
        assert _login(client, "owner", "wrong again", address="198.51.100.98")["Retry-After"] == "60"
        clock.shift(timedelta(seconds=59))
        assert _login(client, "owner", "the right password", address="198.51.100.97").status_code == 429


def test_the_wait_doubles_up_to_a_quarter_of_an_hour_and_failures_are_forgotten_after_a_day(client, user):
    assert [login_wait_after(n).total_seconds() for n in (4, 5, 6, 7, 10, 50)] == [0, 30, 60, 120, 900, 900]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            _login(client, "owner", "wrong")
        clock.shift(timedelta(days=1, seconds=1))
        _login(client, "someone", "wrong", address="203.0.113.5")  # also sweeps out the stale rows
        assert set(LoginFailure.objects.values_list("key", flat=True)) == {
            "address:203.0.113.5",
            "username:someone",
        }
        assert _login(client, "owner", "the right password").status_code == 302


def test_the_admin_login_is_throttled_too(client, admin_user):
    for _ in range(5):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"}, REMOTE_ADDR="192.0.2.7")
    client.post("/admin/login/", {"username": "admin", "password": "password"}, REMOTE_ADDR="192.0.2.7")
    assert "_auth_user_id" not in client.session
