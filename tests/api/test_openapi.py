"""What the served OpenAPI schema promises: every endpoint (API v1 too), the error responses the server
really sends with their bodies, one request content type per operation; and the server keeps the promise."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from django.conf import settings

from dsmrhub.api.fields import utc_text
from dsmrhub.db.busy import RETRY_AFTER_SECONDS

pytestmark = pytest.mark.django_db

V1 = "/api/v1/datalogger/dsmrreading"
ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v2/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_api_v1_post_is_described(schema):
    operation = schema["paths"][V1]["post"]
    assert set(schema["paths"][V1]) == {"post"}
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["telegram"]
    assert set(operation["responses"]) == {"201", "400", "401", "403", "413", "415", "503"}
    assert "content" not in operation["responses"]["201"]  # the server answers 201 with an empty body
    for code in ("400", "401", "403", "413", "503"):
        assert set(operation["responses"][code]["content"]) == {"text/plain"}


def test_v1_answers_as_described(client, api_key, schema):
    """The plain-text 400 and 401 the schema documents for v1 are what the server sends."""
    missing = client.post(V1, {}, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert missing.status_code == 400 and missing["Content-Type"].startswith("text/plain")
    no_key = client.post(V1, {"telegram": "x"})
    assert no_key.status_code == 401 and no_key["WWW-Authenticate"] == "Token"
    assert "WWW-Authenticate" in schema["paths"][V1]["post"]["responses"]["401"]["headers"]


def test_every_v2_operation_documents_its_errors(schema):
    for path, method, operation in _operations(schema):
        if path == V1:
            continue
        responses = operation["responses"]
        for code in ("400", "401", "403", "503"):
            assert responses[code]["content"]["application/json"]["schema"] == ERROR_REF, (path, method, code)
        assert "Retry-After" in responses["503"]["headers"]
        has_body = "requestBody" in operation
        assert ("413" in responses) is has_body, (path, method)
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                assert response["description"], (path, method, code)
                assert "content" in response, (path, method, code)


def test_error_component_allows_detail_and_field_errors(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["detail"]["type"] == "string"
    assert error["additionalProperties"] is True


def test_duplicate_and_missing_are_documented(schema):
    assert "409" in schema["paths"]["/api/v2/datalogger/dsmrreading"]["post"]["responses"]
    assert "404" in schema["paths"]["/api/v2/datalogger/dsmrreading/{reading_id}"]["delete"]["responses"]
    assert "404" in schema["paths"]["/api/v2/consumption/today"]["get"]["responses"]


def test_one_request_content_type_per_operation(schema):
    for path, method, operation in _operations(schema):
        if "requestBody" in operation:
            assert len(operation["requestBody"]["content"]) == 1, (path, method)
            if path != V1:
                assert set(operation["requestBody"]["content"]) == {"application/json"}


def test_form_bodies_are_still_accepted_on_v2(api_client):
    """The schema names JSON only; the server keeps reading form bodies (DSMR-reader's clients send them)."""
    response = api_client.patch(
        "/api/v2/datalogger/meter-statistics",
        "electricity_tariff=2",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    assert response.json()["electricity_tariff"] == 2


def test_documented_413_is_what_a_large_body_gets(api_client, schema):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api_client.post("/api/v2/datalogger/dsmrreading", body, content_type="application/json")
    assert response.status_code == 413
    assert "detail" in response.json()
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in response.json()["detail"]


def test_retry_after_matches_the_server(schema):
    busy = schema["paths"]["/api/v2/consumption/today"]["get"]["responses"]["503"]
    assert busy["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert str(RETRY_AFTER_SECONDS) in busy["description"]


def _query_parameters(schema: dict, name: str):
    for path, method, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == name and parameter["in"] == "query":
                yield path, method, parameter["schema"]


def test_paging_parameters_have_the_servers_bounds(api_client, schema):
    limits = list(_query_parameters(schema, "limit"))
    assert len(limits) == 7  # every list endpoint
    for path, _method, limit in limits:
        assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 25), path
        for value in (limit["minimum"], limit["maximum"]):
            assert api_client.get(path, {"limit": value}).status_code == 200, (path, value)
        for value in (limit["minimum"] - 1, limit["maximum"] + 1):
            response = api_client.get(path, {"limit": value})
            assert response.status_code == 400 and "limit" in response.json(), (path, value)
    for path, _method, offset in _query_parameters(schema, "offset"):
        assert offset["minimum"] == 0
        assert api_client.get(path, {"offset": -1}).status_code == 400


def test_every_documented_ordering_is_accepted_and_others_refused(api_client, schema):
    orderings = list(_query_parameters(schema, "ordering"))
    assert {path for path, _, _ in orderings} == {
        "/api/v2/consumption/electricity",
        "/api/v2/consumption/gas",
        "/api/v2/consumption/quarter-hour-peak-electricity",
        "/api/v2/consumption/energy-supplier-prices",
        "/api/v2/datalogger/dsmrreading",
        "/api/v2/statistics/day",
        "/api/v2/statistics/hour",
    }
    for path, _method, ordering in orderings:
        fields = [value for value in ordering["enum"] if "," not in value and not value.startswith("-")]
        # n fields: ordered selections of k distinct ones, each signed: sum of n!/(n-k)! * 2^k
        expected = sum(math.perm(len(fields), k) * 2**k for k in range(1, len(fields) + 1))
        assert len(ordering["enum"]) == expected, path
        for value in ordering["enum"]:
            assert api_client.get(path, {"ordering": value}).status_code == 200, (path, value)
        assert api_client.get(path, {"ordering": "id"}).status_code == 400, path


def test_an_undeclared_method_is_405_even_with_query_parameters(api_client):
    """Found by schemathesis: TRACE with a list's filters was a 400 about the query, not a 405."""
    response = api_client.generic("TRACE", "/api/v2/statistics/day?day__gte=2025-01-01")
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_an_early_year_is_a_valid_date_time(api_client):
    """Found by schemathesis: year 7 rendered as '7-12-26T…' (strftime's %Y is not padded)."""
    response = api_client.patch(
        "/api/v2/datalogger/meter-statistics", {"timestamp": "0007-12-26T18:36:02Z"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["timestamp"] == "0007-12-26T18:36:02Z"


def test_a_number_is_not_a_telegram(api_client):
    """Found by schemathesis: a string field stored str(0) for the number 0."""
    response = api_client.patch("/api/v2/datalogger/meter-statistics", {"latest_telegram": 0}, format="json")
    assert response.status_code == 400
    assert "latest_telegram" in response.json()


def test_status_body_is_described_key_for_key(api_client, schema):
    """application/status had an empty object schema; every key the server sends is now described."""
    described = schema["paths"]["/api/v2/application/status"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    body = api_client.get("/api/v2/application/status").json()

    def compare(value, spec, where):
        if isinstance(value, dict):
            assert set(value) == set(spec["properties"]), where
            for key, item in value.items():
                compare(item, spec["properties"][key], f"{where}.{key}")

    compare(body, described, "status")


def test_empty_list_parameters_are_documented_as_allowed_and_ignored(api_client, schema):
    """Found by schemathesis: '?limit=' and '?ordering=' answer like no parameter; the schema says so."""
    path = "/api/v2/statistics/day"
    parameters = schema["paths"][path]["get"]["parameters"]
    assert all(parameter.get("allowEmptyValue") for parameter in parameters)
    plain = api_client.get(path).json()
    for parameter in parameters:
        assert api_client.get(path, {parameter["name"]: ""}).json() == plain, parameter["name"]


def test_utc_text_is_iso_8601_for_every_year():
    """One rendering of moments for serializers and the plain JSON bodies (status, live figures)."""
    for moment in (datetime(7, 12, 26, 18, 36, 2, tzinfo=UTC), datetime(2025, 3, 30, 1, 0, tzinfo=UTC)):
        assert utc_text(moment) == moment.isoformat().replace("+00:00", "Z")
