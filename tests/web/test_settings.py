"""Settings page: login required; API, datalogger, MQTT and require-login sections; secrets never shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dsmrhub.api.services import api_settings_get
from dsmrhub.datalogger.services import datalogger_settings_get, datalogger_settings_update
from dsmrhub.mqtt.services import mqtt_settings_get, mqtt_settings_update
from dsmrhub.web.forms import MQTTSettingsForm
from dsmrhub.web.services import web_settings_get
from tests.web.conftest import log_in

KEY = "000102030405060708090a0b0c0d0e0f"
SECRET = "s3cret-broker-password"


@pytest.fixture
def logged_in(client, django_user_model) -> Client:
    client.force_login(django_user_model.objects.create_user("editor", password="secret secret"))
    return client


def _mqtt_post(**changes: Any) -> dict[str, Any]:
    """The MQTT section as the browser would post it unchanged (empty password), with ``changes``."""
    form = MQTTSettingsForm(instance=mqtt_settings_get(), prefix="mqtt")
    data: dict[str, Any] = {"section": "mqtt"}
    for name, field in form.fields.items():
        value = changes.get(name, form[name].value())
        if name in ("password", "clear_password") and name not in changes:
            continue
        if field.widget.input_type == "checkbox":
            if value:
                data[f"mqtt-{name}"] = "on"
        else:
            data[f"mqtt-{name}"] = "" if value is None else value
    return data


def _datalogger_post(**changes: Any) -> dict[str, Any]:
    data = {"section": "datalogger", "datalogger-source": "", "datalogger-min_interval": "0"}
    data.update({f"datalogger-{name}": value for name, value in changes.items()})
    return data


# ---------------------------------------------------------------- login


@pytest.mark.django_db
def test_settings_need_a_login(client):
    key = api_settings_get().auth_key
    response = client.get("/settings/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/settings/"
    response = client.post("/settings/", {"section": "api", "api-allow": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/settings/", {"section": "api-rotate"}).status_code == 302
    assert (api_settings_get().allow, api_settings_get().auth_key) == (False, key)


@pytest.mark.django_db
def test_the_page_shows_every_section(logged_in):
    html = logged_in.get("/settings/").content.decode()
    for section in ('id="api"', 'id="datalogger"', 'id="mqtt"', 'id="web"'):
        assert section in html
    assert api_settings_get().auth_key in html
    assert "The API is disabled." in html


@pytest.mark.django_db
def test_unknown_section_is_a_400(logged_in):
    assert logged_in.post("/settings/", {"section": "nonsense"}).status_code == 400
    assert logged_in.post("/settings/", {}).status_code == 400


# ---------------------------------------------------------------- API


@pytest.mark.django_db
def test_enable_and_disable_the_api(logged_in):
    response = logged_in.post("/settings/", {"section": "api", "api-allow": "on"}, follow=True)
    assert response.redirect_chain == [("/settings/#api", 302)]
    assert "API settings saved." in response.content.decode()
    assert api_settings_get().allow is True
    logged_in.post("/settings/", {"section": "api"})
    assert api_settings_get().allow is False


@pytest.mark.django_db
def test_rotating_the_key_makes_a_new_one(logged_in):
    old = api_settings_get().auth_key
    response = logged_in.post("/settings/", {"section": "api-rotate"}, follow=True)
    new = api_settings_get().auth_key
    assert new != old and len(new) == 64
    html = response.content.decode()
    assert new in html and old not in html


# ---------------------------------------------------------------- datalogger


@pytest.mark.django_db
def test_datalogger_source_and_interval_are_saved(logged_in):
    response = logged_in.post(
        "/settings/",
        _datalogger_post(source="socket://192.168.1.20:2001", min_interval="5"),
        follow=True,
    )
    assert "Datalogger settings saved." in response.content.decode()
    settings = datalogger_settings_get()
    assert (settings.source, settings.min_interval) == ("socket://192.168.1.20:2001", 5.0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source": "ftp://example.org/meter"}, "source"),
        ({"source": "socket://nohostport"}, "source"),
        ({"min_interval": "-1"}, "min_interval"),
        ({"min_interval": "often"}, "min_interval"),
        ({"decryption_key": "not hex"}, "decryption_key"),
        ({"decryption_key": "00ff"}, "decryption_key"),
        ({"authentication_key": "zz" * 16}, "authentication_key"),
    ],
)
def test_bad_datalogger_settings_are_form_errors(logged_in, changes, field):
    response = logged_in.post("/settings/", _datalogger_post(**changes))
    assert response.status_code == 200
    assert response.context["forms"]["datalogger"].errors[field]
    assert 'class="error form-errors"' in response.content.decode()
    assert datalogger_settings_get().source == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key, is_set, not_set",
    [
        ("decryption_key", "A decryption key is set.", "No decryption key is set."),
        ("authentication_key", "An authentication key is set.", "No authentication key is set."),
    ],
)
def test_the_meter_keys_are_never_rendered_back(logged_in, key, is_set, not_set):
    assert not_set in logged_in.get("/settings/").content.decode()
    logged_in.post("/settings/", _datalogger_post(**{key: KEY.upper()}))
    assert getattr(datalogger_settings_get(), key) == KEY
    html = logged_in.get("/settings/").content.decode()
    assert KEY not in html.lower()
    assert is_set in html
    # an empty field keeps the key; the checkbox removes it; the other key is left alone
    logged_in.post("/settings/", _datalogger_post(source="demo"))
    assert getattr(datalogger_settings_get(), key) == KEY
    logged_in.post("/settings/", _datalogger_post(**{f"clear_{key}": "on"}))
    stored = datalogger_settings_get()
    assert (stored.decryption_key, stored.authentication_key) == ("", "")
    assert not_set in logged_in.get("/settings/").content.decode()


# ---------------------------------------------------------------- MQTT


@pytest.mark.django_db
def test_mqtt_settings_are_saved_and_the_password_is_not_rendered_back(logged_in):
    response = logged_in.post(
        "/settings/",
        _mqtt_post(enabled=True, host="broker.local", port=8883, tls=True, password=SECRET, qos=2),
        follow=True,
    )
    assert "MQTT settings saved." in response.content.decode()
    settings = mqtt_settings_get()
    assert (settings.enabled, settings.host, settings.port, settings.tls, settings.qos) == (
        True,
        "broker.local",
        8883,
        True,
        2,
    )
    assert settings.password == SECRET
    html = logged_in.get("/settings/").content.decode()
    assert SECRET not in html
    assert "A password is set." in html
    assert 'name="mqtt-password"' in html and 'value="broker.local"' in html


@pytest.mark.django_db
def test_an_empty_password_field_keeps_the_password_and_the_checkbox_removes_it(logged_in):
    mqtt_settings_update(password=SECRET)
    assert logged_in.post("/settings/", _mqtt_post(prefix="home/meter")).status_code == 302
    settings = mqtt_settings_get()
    assert (settings.prefix, settings.password) == ("home/meter", SECRET)
    logged_in.post("/settings/", _mqtt_post(clear_password=True))
    assert mqtt_settings_get().password == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"port": "70000"}, "port"),
        ({"port": "0"}, "port"),
        ({"port": "mqtt"}, "port"),
        ({"prefix": "dsmr/#"}, "prefix"),
        ({"qos": "3"}, "qos"),
        ({"host": ""}, "host"),
        ({"tls_ca_file": "/nonexistent/ca.pem"}, "tls_ca_file"),
    ],
)
def test_bad_mqtt_settings_are_form_errors_not_500(logged_in, changes, field):
    mqtt_settings_update(password=SECRET)
    response = logged_in.post("/settings/", _mqtt_post(**changes))
    assert response.status_code == 200
    assert response.context["forms"]["mqtt"].errors[field]
    assert SECRET not in response.content.decode()
    settings = mqtt_settings_get()
    assert (settings.port, settings.prefix, settings.qos, settings.host) == (1883, "dsmr", 1, "127.0.0.1")


@pytest.mark.django_db
def test_every_editable_mqtt_field_is_in_the_form():
    from dsmrhub.mqtt.models import MQTTSettings

    editable = {f.name for f in MQTTSettings._meta.fields if f.editable and not f.primary_key}
    assert editable <= set(MQTTSettingsForm().fields)


# ---------------------------------------------------------------- require login


@pytest.mark.django_db
def test_require_login_for_all_pages(logged_in):
    response = logged_in.post("/settings/", {"section": "web", "web-require_login": "on"}, follow=True)
    assert "Login setting saved." in response.content.decode()
    assert web_settings_get().require_login is True
    assert Client().get("/status/").status_code == 302
    logged_in.post("/settings/", {"section": "web"})
    assert web_settings_get().require_login is False
    assert Client().get("/status/").status_code == 200


# ---------------------------------------------------------------- in the browser


def test_settings_in_the_browser_need_a_login(browser_page, admin_user):
    datalogger_settings_update(decryption_key=KEY)
    browser_page.open("/settings/")
    assert "/accounts/login/" in browser_page.page.url
    log_in(browser_page)
    browser_page.open("/settings/")
    page = browser_page.page
    assert page.locator("#api-key").input_value() == api_settings_get().auth_key
    assert page.locator("#decryption-key-state").inner_text() == "A decryption key is set."
    assert page.locator("#id_datalogger-decryption_key").input_value() == ""
    assert page.locator("#authentication-key-state").inner_text() == "No authentication key is set."
    browser_page.screenshot("settings")
    assert browser_page.errors == []


def test_rotating_the_api_key_in_the_browser_shows_the_new_key(browser_page, admin_user):
    log_in(browser_page)
    browser_page.open("/settings/")
    page = browser_page.page
    old = page.locator("#api-key").input_value()
    page.click("#api-rotate")
    page.locator(f"#api-key:not([value='{old}'])").wait_for()  # the page's CSP allows no eval'd waits
    new = page.locator("#api-key").input_value()
    assert new == api_settings_get().auth_key != old
    # the copy button puts the key on the clipboard
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#api-key-copy")
    page.locator("#api-key-copy", has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == new
    assert browser_page.errors == []


def test_an_invalid_port_in_the_browser_shows_the_error(browser_page, admin_user):
    log_in(browser_page)
    browser_page.open("/settings/")
    page = browser_page.page
    page.fill("#id_mqtt-port", "99999")
    page.click("#mqtt-save")
    error = page.locator("#mqtt .form-errors")
    error.wait_for()
    assert page.locator("#id_mqtt-port").get_attribute("aria-invalid") == "true"
    assert mqtt_settings_get().port == 1883
    page.fill("#id_mqtt-port", "1884")
    page.click("#mqtt-save")
    page.locator("p.message.success").wait_for()
    assert mqtt_settings_get().port == 1884
    assert browser_page.errors == []


def test_settings_fit_a_phone(phone_page, admin_user):
    log_in(phone_page)
    phone_page.open("/settings/")
    assert phone_page.fits_width()
    assert phone_page.errors == []


# ---------------------------------------------------------------- issue 17/18: source in use, key, alerts


def _alerts_post(**changes: Any) -> dict[str, Any]:
    data = {"section": "alerts", "alerts-enabled": "on", "alerts-summary_hour": "8", "alerts-new_url": ""}
    data.update({f"alerts-{name}": value for name, value in changes.items()})
    return data


@pytest.mark.django_db
def test_the_source_in_use_is_shown_beside_the_saved_one(logged_in):
    from django.utils import timezone

    from dsmrhub.datalogger.models import DataloggerState
    from dsmrhub.db.singleton import SINGLETON_ID

    datalogger_settings_update(source="serial:///dev/ttyUSB0", min_interval=0)
    html = logged_in.get("/settings/").content.decode()
    assert "No datalogger has run here yet" in html
    # the running datalogger was started with --source: that is what it reads, not the saved setting
    DataloggerState.objects.create(
        pk=SINGLETON_ID, source="socket://10.0.0.5:2001", connected=True, updated_at=timezone.now()
    )
    html = logged_in.get("/settings/").content.decode()
    assert 'value="serial:///dev/ttyUSB0"' in html
    in_use = html.split('id="datalogger-in-use"', 1)[1].split("</p>", 1)[0]
    assert (
        "In use now:" in in_use
        and "<code>socket://10.0.0.5:2001</code>" in in_use
        and "(connected)" in in_use
    )
    DataloggerState.objects.filter(pk=SINGLETON_ID).update(
        updated_at=timezone.now() - timezone.timedelta(hours=1)
    )
    html = logged_in.get("/settings/").content.decode()
    assert "The datalogger is not running; it last read" in html


@pytest.mark.django_db
def test_the_api_key_is_masked_until_asked(logged_in):
    html = logged_in.get("/settings/").content.decode()
    key = api_settings_get().auth_key
    assert f'<input id="api-key" type="password" value="{key}" readonly' in html
    assert 'id="api-key-show"' in html and 'id="api-key-copy"' in html


@pytest.mark.django_db
def test_alert_urls_are_write_only_listed_masked_and_removable(logged_in):
    from dsmrhub.alerts.models import AlertSettings, AlertTarget

    secret = "ntfy://someone:hunter2secret@ntfy.example.org/my-topic"
    response = logged_in.post(
        "/settings/", _alerts_post(new_url=secret, daily_summary="on", summary_hour="7"), follow=True
    )
    assert response.redirect_chain == [("/settings/#alerts", 302)]
    html = response.content.decode()
    assert "Alert settings saved." in html and "1 notification URL is set." in html
    assert "hunter2secret" not in html and "Remove ntfy://someone:****@ntfy.example.org/my-topic" in html
    assert list(AlertTarget.objects.values_list("url", flat=True)) == [secret]
    config = AlertSettings.peek()
    assert (config.enabled, config.daily_summary, config.summary_hour) == (True, True, 7)

    # saving again with the URL field empty keeps the URL
    logged_in.post("/settings/", _alerts_post())
    assert AlertTarget.objects.count() == 1
    # a URL Apprise does not know, or an hour out of range: form errors at the field, nothing stored
    for changes, field, says in (
        ({"new_url": "nonsense://x"}, "new_url", "Not a notification URL that Apprise knows"),
        ({"new_url": secret}, "new_url", "This notification URL is there already."),
        ({"summary_hour": "24"}, "summary_hour", "Ensure this value is less than or equal to 23."),
    ):
        response = logged_in.post("/settings/", _alerts_post(**changes))
        assert response.status_code == 200
        form = response.context["forms"]["alerts"]
        assert any(says in error for error in form.errors[field]), form.errors
        assert "hunter2secret" not in response.content.decode()
    assert AlertTarget.objects.count() == 1

    [target] = AlertTarget.objects.all()
    response = logged_in.post("/settings/", _alerts_post(**{f"remove_{target.pk}": "on"}), follow=True)
    assert AlertTarget.objects.count() == 0
    assert "0 notification URLs are set." in response.content.decode()


@pytest.mark.django_db
def test_a_test_message_from_the_settings_page(logged_in):
    from dsmrhub.alerts.services import alert_target_add
    from tests.alerts.endpoint import Endpoint

    response = logged_in.post("/settings/", {"section": "alerts-test"}, follow=True)
    assert "Add a notification URL first." in response.content.decode()
    endpoint = Endpoint()
    try:
        alert_target_add(url=endpoint.url)
        response = logged_in.post("/settings/", {"section": "alerts-test"}, follow=True)
        assert response.redirect_chain == [("/settings/#alerts", 302)]
        assert f"{endpoint.url}: test message delivered." in response.content.decode()
        assert [m["message"] for m in endpoint.messages] == [
            "A test message from dsmrhub: alerts reach you here."
        ]
        endpoint.status = 500
        response = logged_in.post("/settings/", {"section": "alerts-test"}, follow=True)
        assert f"{endpoint.url}: not delivered (" in response.content.decode()
    finally:
        endpoint.stop()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_key_source_and_alerts_in_the_browser(request, admin_user, scheme, width):
    from dsmrhub.alerts.services import alert_target_add

    browser_page = request.getfixturevalue("browser_page" if width == "desktop" else "phone_page")
    alert_target_add(url="ntfy://someone:hunter2secret@ntfy.example.org/my-topic")
    log_in(browser_page)
    page = browser_page.page
    page.emulate_media(color_scheme=scheme)
    browser_page.open("/settings/")
    key = api_settings_get().auth_key
    field = page.locator("#api-key")
    assert field.get_attribute("type") == "password" and field.input_value() == key
    page.click("#api-key-show")
    assert field.get_attribute("type") == "text" and page.locator("#api-key-show").inner_text() == "Hide"
    assert page.locator("#api-key-show").get_attribute("aria-pressed") == "true"
    page.click("#api-key-show")
    assert field.get_attribute("type") == "password"
    # every help text sits right under its own field, inside the same label or just after a checkbox's label
    for help_text in page.locator("small[id$='_helptext']").all():
        described = page.locator(f"[aria-describedby~='{help_text.get_attribute('id')}']")
        assert described.count() == 1, help_text.get_attribute("id")
        field_box, help_box = described.bounding_box(), help_text.bounding_box()
        if field_box and help_box:  # visible ones: below the field, no more than a line or two away
            assert 0 <= help_box["y"] - (field_box["y"] + field_box["height"]) < 60, help_text.get_attribute(
                "id"
            )
    assert "hunter2secret" not in page.content()
    assert "ntfy://someone:****@ntfy.example.org/my-topic" in page.locator("#alerts").inner_text()
    assert browser_page.fits_width()
    browser_page.screenshot(f"settings-alerts-{width}-{scheme}")
    assert browser_page.errors == []


@pytest.mark.django_db
def test_backup_settings_are_saved_and_bad_ones_are_field_errors(logged_in, tmp_path):
    from dsmrhub.backup.models import BackupSettings

    post = {"section": "backup", "backup-daily": "on", "backup-hour": "4", "backup-keep": "14"}
    response = logged_in.post("/settings/", {**post, "backup-directory": str(tmp_path)}, follow=True)
    assert response.redirect_chain == [("/settings/#backup", 302)]
    html = response.content.decode()
    assert "Backup settings saved." in html and f"Backups go to <code>{tmp_path}</code>" in html
    config = BackupSettings.peek()
    assert (config.daily, config.hour, config.keep, config.directory) == (True, 4, 14, str(tmp_path))
    for changes, field, says in (
        ({"backup-directory": "relative/dir"}, "directory", "Give the whole path, from /."),
        ({"backup-keep": "0"}, "keep", "Ensure this value is greater than or equal to 1."),
        ({"backup-hour": "x"}, "hour", "Enter a whole number."),
    ):
        response = logged_in.post("/settings/", {**post, **changes})
        assert response.status_code == 200
        assert says in response.context["forms"]["backup"].errors[field]
    assert BackupSettings.peek().directory == str(tmp_path)
    logged_in.post("/settings/", {**post, "backup-daily": "", "backup-directory": ""})
    config = BackupSettings.peek()
    assert (config.daily, config.directory) == (False, "")
