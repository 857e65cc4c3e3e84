"""The first admin from the environment (Docker, systemd): no `docker exec … createsuperuser` needed."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import get_password_validators, validate_password
from django.core.exceptions import ValidationError

from dsmrhub.options import secret_from_file

logger = logging.getLogger(__name__)

ADMIN_USER_ENV = "DSMRHUB_ADMIN_USER"
ADMIN_PASSWORD_FILE_ENV = "DSMRHUB_ADMIN_PASSWORD_FILE"
# An admin made unattended, reachable on the network: at least Django's length and common-password checks.
VALIDATORS = get_password_validators(
    [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    ]
)


def admin_user_ensure(*, username: str, password_file: str) -> bool:
    """Create superuser ``username`` with the password in ``password_file`` (its first line) unless a user of
    that name exists: a password changed later in the app is never overwritten. True when created.
    ``ValueError`` with a one-line reason (unreadable file, a password Django's validators refuse)."""
    users = get_user_model()
    if users.objects.filter(username=username).exists():
        return False
    password = secret_from_file(password_file, option=ADMIN_PASSWORD_FILE_ENV)
    try:
        validate_password(password, user=users(username=username), password_validators=VALIDATORS)
    except ValidationError as error:
        raise ValueError(f"{ADMIN_PASSWORD_FILE_ENV}: {' '.join(error.messages)}") from None
    users.objects.create_superuser(username=username, password=password)
    logger.info("created the admin user %s (from %s)", username, ADMIN_USER_ENV)
    return True


def admin_user_from_environment(environ: dict[str, str]) -> bool:
    """``admin_user_ensure`` for ``DSMRHUB_ADMIN_USER`` and ``DSMRHUB_ADMIN_PASSWORD_FILE`` when set."""
    username = environ.get(ADMIN_USER_ENV, "").strip()
    if not username:
        return False
    password_file = environ.get(ADMIN_PASSWORD_FILE_ENV, "").strip()
    if not password_file:
        raise ValueError(f"{ADMIN_USER_ENV} is set: {ADMIN_PASSWORD_FILE_ENV} must name the password's file")
    return admin_user_ensure(username=username, password_file=password_file)
