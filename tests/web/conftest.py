"""Browser tests: Playwright drives Debian's headless Chromium against a live test server.

Every page test gets a ``browser_page`` (see ``BrowserPage``) whose console errors are collected;
screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO

# Playwright's sync API runs an event loop in the test's thread; Django's ORM refuses to run in a
# thread that has one unless told that this is intended (the tests call the ORM between page actions).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("DSMRHUB_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class BrowserPage:
    """A Playwright page on the live server, with the console errors it has logged."""

    page: object
    base_url: str
    errors: list[str] = field(default_factory=list)

    def open(self, path: str, *, status: int = 200):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == status, (path, response and response.status)
        return response

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 0
        return target

    def fits_width(self) -> bool:
        """True when nothing sticks out sideways (no horizontal scrolling of the whole page)."""
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _browser_page(browser, live_server, *, locale: str, viewport: dict) -> Iterator[BrowserPage]:
    context = browser.new_context(locale=locale, viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    wrapped = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", lambda message: message.type == "error" and wrapped.errors.append(message.text))
    page.on("pageerror", lambda error: wrapped.errors.append(str(error)))
    yield wrapped
    context.close()


@pytest.fixture
def browser_page(browser, live_server) -> Iterator[BrowserPage]:
    yield from _browser_page(browser, live_server, locale="en-GB", viewport=DESKTOP)


@pytest.fixture
def phone_page(browser, live_server) -> Iterator[BrowserPage]:
    yield from _browser_page(browser, live_server, locale="en-GB", viewport=PHONE)


@pytest.fixture
def dutch_page(browser, live_server) -> Iterator[BrowserPage]:
    yield from _browser_page(browser, live_server, locale="nl-NL", viewport=DESKTOP)


@pytest.fixture
def admin_user(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("admin", "admin@example.org", "correct horse battery")


def log_in(browser_page: BrowserPage, *, username: str = "admin", password: str = "correct horse battery"):
    """Log in through the real login form."""
    browser_page.open("/accounts/login/")
    browser_page.page.fill("input[name=username]", username)
    browser_page.page.fill("input[name=password]", password)
    browser_page.page.click("form button[type=submit]")
    browser_page.page.wait_for_selector("#logout")
