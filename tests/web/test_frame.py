"""The frame every page shares: navigation, static assets, login/logout, require-login, languages."""

from __future__ import annotations

import pytest

from dsmrhub.web.services import web_settings_update
from tests.web.conftest import log_in

PAGES = ["/", "/archive/", "/trends/", "/contracts/", "/compare/", "/status/", "/export/"]


@pytest.mark.django_db
def test_assets_come_from_the_app_not_a_cdn(client):
    page = client.get("/status/").content.decode()
    assert "/static/web/vendor/pico.min.css" in page
    assert "//cdn" not in page and "https://" not in page
    css = client.get("/static/web/vendor/pico.min.css")
    assert css.status_code == 200
    chart = client.get("/static/web/vendor/chart.umd.min.js")
    assert chart.status_code == 200
    assert b"Chart" in b"".join(chart.streaming_content)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_pages_are_public_and_read_only_by_default(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'id="login"' in response.content


@pytest.mark.django_db
def test_require_login_redirects_every_page_but_not_the_api_or_the_login(client):
    web_settings_update(require_login=True)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next=")
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/api/v2/application/version").status_code in (401, 403)


@pytest.mark.django_db
def test_dutch_browser_gets_dutch_navigation(client):
    response = client.get("/status/", HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9")
    assert response.status_code == 200
    assert b'lang="nl"' in response.content
    assert b"Instellingen" in response.content


def test_login_and_logout_in_the_browser(browser_page, admin_user):
    web_settings_update(require_login=True)
    browser_page.open("/status/")
    assert "/accounts/login/" in browser_page.page.url
    log_in(browser_page)
    browser_page.open("/status/")
    browser_page.page.click("#logout")
    browser_page.page.wait_for_selector("#login")
    browser_page.open("/status/")
    assert "/accounts/login/" in browser_page.page.url
    assert browser_page.errors == []


def test_wrong_password_shows_an_error(browser_page, admin_user):
    browser_page.open("/accounts/login/")
    browser_page.page.fill("input[name=username]", "admin")
    browser_page.page.fill("input[name=password]", "wrong")
    browser_page.page.click("form button[type=submit]")
    assert browser_page.page.locator("[role=alert]").is_visible()
    assert browser_page.errors == []


@pytest.mark.django_db
def test_every_page_links_to_compare_and_marks_it_current_there(client):
    for path in PAGES:
        page = client.get(path).content.decode()
        assert '<a href="/compare/"' in page, path
    page = client.get("/compare/").content.decode()
    assert '<a href="/compare/" aria-current="page">Compare</a>' in page
    assert '<a href="/contracts/" aria-current="page">' not in page
