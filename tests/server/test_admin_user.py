"""The first admin from DSMRHUB_ADMIN_USER + DSMRHUB_ADMIN_PASSWORD_FILE, as `dsmrhub run` creates it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from dsmrhub.server.admin_user import admin_user_ensure, admin_user_from_environment
from tests.processes import free_port, stop_process, wait_for_http

PASSWORD = "correct-horse-battery-staple-42"


@pytest.mark.django_db
def test_the_admin_is_created_once_and_never_overwritten(tmp_path):
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    assert admin_user_ensure(username="admin", password_file=str(secret)) is True
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password(PASSWORD)
    admin.set_password("changed-in-the-app-0987")
    admin.save()
    secret.write_text("another-long-password-123\n")
    assert admin_user_ensure(username="admin", password_file=str(secret)) is False
    assert get_user_model().objects.get(username="admin").check_password("changed-in-the-app-0987")


@pytest.mark.django_db
def test_a_bad_password_file_is_a_one_line_reason(tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("abc\n")
    with pytest.raises(ValueError, match=r"^DSMRHUB_ADMIN_PASSWORD_FILE: This password is too short"):
        admin_user_ensure(username="admin", password_file=str(weak))
    with pytest.raises(ValueError, match=r"^DSMRHUB_ADMIN_PASSWORD_FILE: cannot read .*missing"):
        admin_user_ensure(username="admin", password_file=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="DSMRHUB_ADMIN_PASSWORD_FILE must name"):
        admin_user_from_environment({"DSMRHUB_ADMIN_USER": "admin"})
    assert admin_user_from_environment({}) is False
    assert not get_user_model().objects.exists()


def test_run_creates_the_admin_or_refuses_in_one_line(install, tmp_path):
    install.env = {
        **install.env,
        "DSMRHUB_ADMIN_USER": "admin",
        "DSMRHUB_ADMIN_PASSWORD_FILE": str(tmp_path / "no"),
    }
    refused = install.run("run", check=False)
    errors = [line for line in refused.stderr.splitlines() if "dsmrhub.datadir" not in line]
    assert refused.returncode == 2 and len(errors) == 1 and "cannot read" in errors[0], refused.stderr

    (tmp_path / "password").write_text(PASSWORD + "\n")
    install.env["DSMRHUB_ADMIN_PASSWORD_FILE"] = str(tmp_path / "password")
    port = free_port()
    without = [arg for part in ("datalogger", "processor", "mqtt", "prices") for arg in ("--without", part)]
    runner = install.start("run", "--bind", f"127.0.0.1:{port}", *without, log="run")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", timeout=60)
        assert install.query("SELECT username, is_superuser FROM auth_user") == [("admin", True)]
    finally:
        assert stop_process(runner, timeout=30) == 0
