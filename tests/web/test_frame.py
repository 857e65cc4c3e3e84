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


# --- issue 17: a menu on narrow screens, chart colours in both schemes, wide tables, tall charts ---

NAV_ITEMS = "#site-pages > li"


def _nav_lines(page) -> int:
    """How many lines the visible navigation links take (by their distinct top edges)."""
    return page.evaluate(
        """() => new Set(Array.from(document.querySelectorAll('#site-pages a'))
             .filter((a) => a.offsetParent !== null)
             .map((a) => Math.round(a.getBoundingClientRect().top))).size"""
    )


def test_desktop_navigation_is_one_line_without_a_menu_button(browser_page):
    browser_page.open("/trends/")
    page = browser_page.page
    assert not page.locator("#menu-toggle").is_visible()
    assert _nav_lines(page) == 1
    assert page.locator("#site-pages a").count() == page.locator(NAV_ITEMS).count() >= 8
    browser_page.screenshot("frame-desktop")
    assert browser_page.errors == []


@pytest.mark.parametrize("locale", ["en-GB", "nl-NL"])
@pytest.mark.parametrize("width", [390, 800, 1000, 1280])
def test_the_navigation_is_one_line_or_a_menu_at_every_width(browser, live_server, locale, width):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/status/")
    menu = page.locator("#menu-toggle").is_visible()
    if menu:
        assert not page.locator("#site-pages").is_visible()
    else:
        assert _nav_lines(page) == 1
    if width == 1280:
        assert not menu  # a desktop has room for every page
    if width == 390:
        assert menu
    header = page.evaluate("document.querySelector('header nav').getBoundingClientRect().height")
    assert header < 80, header  # one bar: brand, pages or the menu button, login
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()


def test_phone_navigation_is_a_menu_that_the_keyboard_opens_and_closes(phone_page):
    phone_page.open("/archive/")
    page = phone_page.page
    toggle = page.locator("#menu-toggle")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#site-pages").is_visible()
    assert page.locator("#login").is_visible()  # logging in or out stays in the bar
    # the bar itself is one line: brand, menu button and login share a top edge
    tops = page.evaluate(
        """() => ['.brand', '#menu-toggle', '#login'].map(
             (s) => Math.round(document.querySelector(s).getBoundingClientRect().top / 10))"""
    )
    assert len(set(tops)) == 1, tops
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-pages").is_visible()
    # focus moved into the list; each link is reachable and the current page is marked
    assert page.evaluate("document.activeElement.closest('#site-pages') !== null")
    assert page.locator("#site-pages a[aria-current=page]").inner_text() == "Archive"
    phone_page.screenshot("frame-phone-menu")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#site-pages").is_visible()
    assert page.evaluate("document.activeElement.id") == "menu-toggle"
    # and a click follows a link
    toggle.click()
    page.locator("#site-pages a[href='/status/']").click()
    page.wait_for_url("**/status/")
    assert phone_page.fits_width()
    assert phone_page.errors == []


CHART_COLOURS = """() => ({
    color: Chart.defaults.color,
    grid: Chart.defaults.scale.grid.color,
    arc: Chart.defaults.elements.arc.borderColor,
    background: getComputedStyle(document.documentElement).backgroundColor,
    text: getComputedStyle(document.body).color,
})"""


TICKS = "Chart.getChart(document.getElementById('trends-hours')).scales.x.options.ticks.color"


def _luminance(css: str) -> float:
    """Relative luminance of an rgb()/rgba()/#rrggbb colour (WCAG), to compare text against background."""
    css = css.strip()
    if css.startswith("#"):
        channels = [int(css[i : i + 2], 16) for i in (1, 3, 5)]
    else:
        channels = [float(part) for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one: str, other: str) -> float:
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_charts_follow_the_colour_scheme_and_switch_with_it(browser, live_server, width):
    from datetime import date

    from tests.web.conftest import DESKTOP, PHONE
    from tests.web.days import store_days

    store_days(date(2026, 10, 24), date(2026, 10, 26))
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(
            locale="en-GB", viewport=DESKTOP if width == "desktop" else PHONE, color_scheme=scheme
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        page.goto(f"{live_server.url}/trends/?start=2026-10-24&end=2026-10-26")
        page.wait_for_function("() => Chart.getChart(document.getElementById('trends-hours')) !== undefined")
        colours[scheme] = page.evaluate(CHART_COLOURS)
        # chart text is readable on the page's background (WCAG AA for large text: 3:1)
        assert _contrast(colours[scheme]["color"], colours[scheme]["background"]) >= 3, colours[scheme]
        # a chart's scales take the defaults (no page hard-codes them)
        ticks = page.evaluate(TICKS)
        assert ticks == colours[scheme]["color"]
        page.screenshot(path=str(_artifact(f"frame-trends-{width}-{scheme}")), full_page=True)
        if scheme == "dark":
            # switching the scheme while the page is open re-colours the charts already drawn
            page.emulate_media(color_scheme="light")
            page.wait_for_function("(light) => Chart.defaults.color === light", arg=colours["light"]["color"])
            assert page.evaluate(TICKS) == colours["light"]["color"]
        assert errors == []
        context.close()
    assert colours["dark"]["color"] != colours["light"]["color"]
    assert colours["dark"]["grid"] != colours["light"]["grid"]
    assert colours["dark"]["arc"] != colours["light"]["arc"]  # doughnut outlines match the background
    assert _luminance(colours["dark"]["background"]) < _luminance(colours["light"]["background"])


def _artifact(name: str):
    from tests.web.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_a_wide_table_on_a_phone_scrolls_with_a_cue_naming_the_hidden_columns(phone_page):
    from datetime import date

    from tests.web.days import store_days

    store_days(date(2026, 10, 24), date(2026, 10, 26))
    page = phone_page.page
    phone_page.open("/trends/?start=2026-10-24&end=2026-10-26")
    page.click("#weekday-details summary")
    wrapper = page.locator("#weekday-details .table-scroll")
    page.wait_for_function(
        "() => document.querySelector('#weekday-details .table-scroll').classList.contains('scrollable')"
    )
    hint = page.locator("#weekday-details .scroll-hint")
    assert hint.is_visible()
    text = hint.inner_text()
    assert "More columns to the side:" in text and "Days" in text
    assert "Weekday" not in text  # the first column is in view
    assert wrapper.evaluate("(w) => getComputedStyle(w).overflowX") == "auto"
    assert wrapper.evaluate("(w) => getComputedStyle(w).maskImage") != "none"
    phone_page.screenshot("frame-table-scroll-phone")
    wrapper.evaluate("(w) => { w.scrollLeft = w.scrollWidth; w.dispatchEvent(new Event('scroll')); }")
    page.wait_for_function(
        "() => document.querySelector('#weekday-details .table-scroll').classList.contains('at-end')"
    )
    assert "Weekday" in hint.inner_text()  # now the first column is out of view
    assert phone_page.fits_width()
    assert phone_page.errors == []


def test_a_table_that_fits_has_no_cue(browser_page):
    browser_page.open("/trends/")
    page = browser_page.page
    assert page.locator("#compare-table").is_visible()
    assert not page.locator(".table-scroll.scrollable").count()
    assert page.locator(".scroll-hint:visible").count() == 0
    assert browser_page.errors == []


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_charts_are_tall_enough_to_read(browser, live_server, viewport):
    from datetime import date

    from tests.web.conftest import DESKTOP, PHONE
    from tests.web.days import store_days

    store_days(date(2026, 10, 24), date(2026, 10, 24))
    context = browser.new_context(locale="en-GB", viewport=DESKTOP if viewport == "desktop" else PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/trends/?start=2026-10-24&end=2026-10-24")
    heights = page.evaluate(
        "Array.from(document.querySelectorAll('.chart canvas')).map((c) => c.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 190, heights  # 12rem at the least; 18rem for the main ones on a phone
    if viewport == "phone":
        assert page.evaluate("document.querySelector('#trends-hours').getBoundingClientRect().height") >= 280
    context.close()


def test_other_pages_charts_take_the_dark_colours_too(browser, live_server):
    """The colours are set once in app.js: the archive's charts (not written for it) follow as well."""
    from datetime import date

    from tests.web.conftest import DESKTOP
    from tests.web.days import store_days

    store_days(date(2026, 10, 24), date(2026, 10, 26))
    found = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(locale="en-GB", viewport=DESKTOP, color_scheme=scheme)
        page = context.new_page()
        page.goto(f"{live_server.url}/archive/?period=month&date=2026-10-01")
        page.wait_for_function(
            "(id) => Boolean(Chart.getChart(document.getElementById(id)))", arg="archive-electricity"
        )
        found[scheme] = page.evaluate(
            """() => {
                const chart = Chart.getChart(document.getElementById('archive-electricity'));
                const css = getComputedStyle(document.documentElement);
                return {ticks: chart.scales.x.options.ticks.color, grid: chart.scales.y.options.grid.color,
                        text: Chart.defaults.color, page: css.getPropertyValue('--chart-text').trim()};
            }"""
        )
        assert found[scheme]["ticks"] == found[scheme]["text"] == found[scheme]["page"]
        context.close()
    assert found["light"]["ticks"] != found["dark"]["ticks"]
    assert found["light"]["grid"] != found["dark"]["grid"]
