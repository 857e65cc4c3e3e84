"""The OpenAPI schema is served, and schemathesis finds no server error anywhere in it."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from dsmrhub.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v2/schema?format=json", application)


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Schemathesis calls the WSGI app directly; like Django's test client, keep the test's connection
    open across requests (these signals would close it inside the test transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_schema_is_served_without_a_key(client):
    response = client.get("/api/v2/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert b"/api/v2/datalogger/dsmrreading" in response.content


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, api_key):
    case.headers = {**(case.headers or {}), "Authorization": f"Token {api_key}"}
    response = case.call()
    summary = f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    assert response.status_code < 500, summary
    assert response.status_code not in (401, 403), summary  # the key is valid: auth must not hide errors
