"""Request limits and security headers: a body over the limit (file parts included) is a 413, a JSON body
nested too deeply a 400, and the pages carry a Content-Security-Policy that they themselves keep."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from dsmrhub.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.django_db
LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
PAGES = [
    "/",
    "/archive/",
    "/trends/",
    "/contracts/",
    "/status/",
    "/export/",
    "/settings/",
    "/accounts/login/",
]


# ---------------------------------------------------------------- body limit


@pytest.mark.parametrize("path", ["/accounts/login/", "/settings/", "/export/", "/no-such-page/"])
def test_a_multipart_upload_over_the_limit_is_413_before_any_page_reads_it(client, path):
    upload = SimpleUploadedFile("big.csv", b"x" * (LIMIT + 1))
    response = client.post(path, {"username": "a", "password": "b", "file": upload})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert f"at most {LIMIT} bytes".encode() in response.content


def test_an_upload_within_the_limit_still_reaches_the_page(client):
    upload = SimpleUploadedFile("small.csv", b"x" * (LIMIT // 2))
    response = client.post("/accounts/login/", {"username": "a", "password": "b", "file": upload})
    assert response.status_code == 200
    assert b"didn't match" in response.content


def test_an_api_v2_body_over_the_limit_is_a_json_413(api_client):
    response = api_client.post(
        "/api/v2/datalogger/dsmrreading", "[" + " " * LIMIT + "]", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body too large (at most {LIMIT} bytes)"}


def test_a_content_length_that_is_no_number_is_400(client):
    response = client.generic("POST", "/accounts/login/", b"x", CONTENT_LENGTH="12abc")
    assert response.status_code == 400


# ---------------------------------------------------------------- JSON nesting


@pytest.mark.parametrize("opening", ["[", '{"a": '])
@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v2/datalogger/dsmrreading"), ("patch", "/api/v2/datalogger/meter-statistics")],
)
def test_json_nested_100000_deep_is_400_with_a_reason(api_client, method, path, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * 100_000 + "1" + closing * 100_000
    response = getattr(api_client, method)(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested too deeply"}


def test_ordinary_json_still_parses(api_client):
    response = api_client.patch(
        "/api/v2/datalogger/meter-statistics", {"electricity_tariff": 2}, format="json"
    )
    assert response.status_code == 200, response.content


# ---------------------------------------------------------------- security headers


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_content_security_policy_and_keep_it(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    html = response.content.decode()
    inline_scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and "application/json" not in tag
    ]
    assert inline_scripts == [], path
    assert not re.search(r"<[^>]+\sstyle=", html), path
    assert not re.search(r"<style\b", html), path
    assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers either


def test_the_api_gets_no_content_security_policy(api_client):
    response = api_client.get("/api/v2/application/version")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
