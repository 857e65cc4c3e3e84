"""The API skips the page middleware; the pages keep it (sessions, CSRF, language)."""

from __future__ import annotations

import pytest

from tests.helpers import demo_telegrams

pytestmark = pytest.mark.django_db


def test_api_requests_get_no_cookies_and_no_language(client, api_key):
    telegram = demo_telegrams(1)[0][1]
    response = client.post(
        "/api/v1/datalogger/dsmrreading",
        {"telegram": telegram},
        HTTP_AUTHORIZATION=f"Token {api_key}",
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 201
    assert response.cookies == {}
    assert "Accept-Language" not in response.get("Vary", "")
    monitoring = client.get(
        "/api/v2/application/monitoring", HTTP_AUTHORIZATION=f"Token {api_key}", HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert monitoring.status_code == 200
    problems = [problem["description"] for problem in monitoring.json()["details"]]
    assert "No energy contract covers today, so costs are zero." in problems  # English for scripts


def test_pages_still_check_csrf_and_follow_the_language(client, admin_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post("/settings/", {"section": "web", "require_login": "on"}).status_code == 403
    page = client.get("/status/", HTTP_ACCEPT_LANGUAGE="nl")
    assert 'lang="nl"' in page.content.decode()
    assert "Accept-Language" in page["Vary"]
