"""Login throttle: after a few failed logins from one client address, or for one username, the next
attempt waits, longer after each further failure.

Both login forms (the pages' and the admin's) go through ``ThrottledModelBackend``; a throttled attempt
is refused without checking the password. The counts live in the database (``LoginFailure``) so that
every web-server worker process sees them. A successful login clears its address and username.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from dsmrhub.web.models import LoginFailure

FREE_FAILURES = 5  # failures before the first wait
FIRST_WAIT = timedelta(seconds=30)  # then doubled for each further failure ...
LONGEST_WAIT = timedelta(minutes=15)  # ... up to this
FORGET_AFTER = timedelta(days=1)  # failures older than this no longer count


def login_throttle_keys(*, address: str, username: str | None) -> list[str]:
    keys = [f"address:{address}"] if address else []
    if username:
        keys.append(f"username:{username.strip().lower()[:150]}")
    return keys


def login_wait_after(failures: int) -> timedelta:
    """How long the next attempt waits after ``failures`` failures in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - FREE_FAILURES, 20), LONGEST_WAIT)


def login_wait_seconds(*, keys: list[str], now: datetime | None = None) -> int:
    """Seconds the next attempt for any of ``keys`` has to wait; 0 when it may go ahead."""
    now = now or timezone.now()
    waits = [
        (last_failure + login_wait_after(failures) - now).total_seconds()
        for failures, last_failure in LoginFailure.objects.filter(
            key__in=keys, last_failure__gte=now - FORGET_AFTER
        ).values_list("failures", "last_failure")
    ]
    return max([0, *(math.ceil(wait) for wait in waits)])


def login_failure_record(*, keys: list[str], now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        LoginFailure.objects.filter(last_failure__lt=now - FORGET_AFTER).delete()
        for key in keys:
            if LoginFailure.objects.filter(key=key).update(failures=F("failures") + 1, last_failure=now):
                continue
            try:
                with transaction.atomic():
                    LoginFailure.objects.create(key=key, failures=1, last_failure=now)
            except IntegrityError:  # another worker created it meanwhile
                LoginFailure.objects.filter(key=key).update(failures=F("failures") + 1, last_failure=now)


def login_failures_clear(*, keys: list[str]) -> None:
    LoginFailure.objects.filter(key__in=keys).delete()


def client_address(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend behind the login throttle. Sets ``request.login_wait`` (seconds)
    when the next attempt has to wait, for the login page to say so."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        keys = login_throttle_keys(address=client_address(request), username=username)
        if wait := login_wait_seconds(keys=keys):
            _tell(request, wait)
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(keys=keys)
            _tell(request, login_wait_seconds(keys=keys))
        elif keys:
            login_failures_clear(keys=keys)
        return user


def _tell(request: HttpRequest | None, wait: int) -> None:
    if request is not None and wait:
        request.login_wait = wait
