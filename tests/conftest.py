"""Shared test set-up: real databases, the telegram corpus, and no silent skips in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DSMRHUB_TELEGRAM_CORPUS", REPO.parent / "shared" / "telegrams"))
FIXTURES = REPO / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failure: a missing service or corpus must not pass unnoticed."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in CI, which counts as a failure: {reason}"


@pytest.fixture
def api_key(db) -> str:
    from dsmrhub.api.services import api_settings_update

    return api_settings_update(allow=True, auth_key="test-key-0123456789abcdef").auth_key


@pytest.fixture
def api_client(api_key):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key}")
    return client
