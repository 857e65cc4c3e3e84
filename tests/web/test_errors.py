"""Styled error pages in the frame (404, 400, 500 with DEBUG off), JSON for the API; the login form keeps the
username after a failed attempt."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_an_unknown_page_is_a_styled_404_in_the_frame(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/?x=1")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'id="error-404"' in page
    assert "There is no page at <code>/no-such-page/</code>." in page
    assert '<a href="/archive/">Archive</a>' in page  # the navigation of every page
    assert "/static/web/app.css" in page
    assert 'href="/" role="button"' in page


@pytest.mark.django_db
def test_the_404_page_in_dutch(client, settings):
    settings.DEBUG = False
    response = client.get("/nergens/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 404
    assert 'lang="nl"' in response.content.decode()
    assert "Instellingen" in response.content.decode()


@pytest.mark.django_db
def test_the_api_still_answers_404_in_json(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v2/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_a_bad_request_is_a_styled_400_in_the_frame(client, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["dsmrhub.local"]
    response = client.get("/status/", HTTP_HOST="attacker.example")  # DisallowedHost: a SuspiciousOperation
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-400"' in page
    assert "The server could not understand this request." in page
    assert '<a href="/trends/">Trends</a>' in page


@pytest.mark.django_db
def test_too_many_fields_is_a_styled_400(client, settings):
    settings.DEBUG = False
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    query = "&".join(f"f{n}=1" for n in range(10))
    response = client.get(f"/trends/?{query}")
    assert response.status_code == 400
    assert 'id="error-400"' in response.content.decode()


@pytest.mark.django_db
def test_a_server_error_is_a_styled_500_without_a_traceback(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'id="error-500"' in page
    assert "Something went wrong" in page and "Traceback" not in page and "ZeroDivisionError" not in page


def _boom(request):
    return 1 / 0


def _urlpatterns():  # this module is the URL conf of the 500 test: the project's routes and one that fails
    from django.urls import path

    from dsmrhub import urls

    return [path("boom/", _boom), *urls.urlpatterns]


urlpatterns = _urlpatterns()
handler500 = "dsmrhub.urls.handler500"
handler404 = "dsmrhub.urls.handler404"


@pytest.mark.django_db
def test_a_failed_login_keeps_the_username(client, django_user_model):
    django_user_model.objects.create_user("owner", password="the right password")
    response = client.post("/accounts/login/", {"username": "owner", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="username" value="owner"' in page
    assert 'name="password" autocomplete="current-password" required autofocus' in page
    assert 'value="wrong"' not in page  # never the password
    fresh = client.get("/accounts/login/").content.decode()
    assert 'name="username" value=""' in fresh and "required autofocus" in fresh


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_404_page_in_the_browser_on_a_phone_and_a_desktop(browser, live_server, settings, scheme):
    from tests.web.conftest import ARTIFACTS, DESKTOP, PHONE

    settings.DEBUG = False
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(locale="en-GB", viewport=viewport, color_scheme=scheme)
        page = context.new_page()
        response = page.goto(f"{live_server.url}/archive/2026/nothing")
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "Page not found"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert page.locator("#menu-toggle").is_visible() == (name == "phone")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"error-404-{name}-{scheme}.png"), full_page=True)
        page.locator("a[role=button]").click()
        page.wait_for_url(f"{live_server.url}/")
        context.close()


def test_a_failed_login_keeps_the_username_in_the_browser(browser_page, admin_user):
    page = browser_page.page
    browser_page.open("/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong")
    page.click("form button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("input[name=username]").input_value() == "admin"
    assert page.locator("input[name=password]").input_value() == ""
    assert page.evaluate("document.activeElement.name") == "password"
    page.fill("input[name=password]", "correct horse battery")
    page.click("form button[type=submit]")
    page.wait_for_selector("#logout")
    assert browser_page.errors == []
