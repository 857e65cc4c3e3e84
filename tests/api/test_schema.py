"""The OpenAPI schema is served, and schemathesis finds no server error anywhere in it."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS
from schemathesis.specs.openapi.checks import positive_data_acceptance

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


ALL_CHECKS = CHECKS.get_all()
# Schema-valid requests these operations refuse with a 400 for a reason OpenAPI 3.0 cannot state, so
# "valid data is accepted" does not hold for them (every other check still runs on them).
SEMANTIC_400 = {
    "POST /api/v1/datalogger/dsmrreading": "a telegram must parse and pass its CRC",
    "POST /api/v2/datalogger/dsmrreading": "a reading must be plausible (ReadingRejected)",
    "DELETE /api/v2/datalogger/dsmrreading": "at least one of three optional bounds is required",
    "GET /api/v2/costs": "from <= to, at most 366 days of quarters or hours, the contract must exist",
    "GET /api/v2/costs/compare": "from <= to; each contract must exist",
    "POST /api/v2/costs/compare": "from <= to; each contract id must exist, each spec be a valid contract",
}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_all_checks(case, api_key):
    """schemathesis with every check it has (the CLI's ``--checks all``): status codes, content types,
    headers and bodies as documented, auth enforced, undeclared methods refused."""
    excluded = [positive_data_acceptance] if case.operation.label in SEMANTIC_400 else []
    # A case whose negation removed the key header is sent as generated (adding the key would undo it).
    headers = None if _headers_negated(case) else {"Authorization": f"Token {api_key}"}
    # call_and_validate raises, naming the check, when the response breaks any of them.
    response = case.call_and_validate(headers=headers, checks=ALL_CHECKS, excluded_checks=excluded)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"


def _headers_negated(case) -> bool:
    components = case.meta.components if case.meta is not None else {}
    return any(
        getattr(location, "value", location) == "header" and info.mode.is_negative
        for location, info in components.items()
    )
