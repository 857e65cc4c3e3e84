from __future__ import annotations

from decimal import Decimal

import pytest

from dsmrhub.readings.models import DsmrReading, MeterStatistics
from tests.helpers import demo_telegrams, replace_line
from tests.processes import _template, install, make_install  # noqa: F401 - fixtures for the server test

URL = "/api/v1/datalogger/dsmrreading"
pytestmark = pytest.mark.django_db


def post(client, telegram, **headers):
    return client.post(URL, {"telegram": telegram}, **headers)


def test_stores_a_telegram_and_answers_201_with_empty_body(client, api_key):
    moment, telegram = demo_telegrams(1)[0]
    response = post(client, telegram, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 201
    assert response.content == b""
    reading = DsmrReading.objects.get()
    assert reading.timestamp == moment
    stats = MeterStatistics.objects.get()
    assert stats.latest_telegram == telegram
    assert stats.dsmr_version == "50"


def test_legacy_x_authkey_header_still_works(client, api_key, caplog):
    response = post(client, demo_telegrams(1)[0][1], HTTP_X_AUTHKEY=api_key)
    assert response.status_code == 201
    assert "deprecated X-AUTHKEY" in caplog.text


def test_same_telegram_twice_is_stored_once(client, api_key):
    telegram = demo_telegrams(1)[0][1]
    assert post(client, telegram, HTTP_AUTHORIZATION=f"Token {api_key}").status_code == 201
    assert post(client, telegram, HTTP_AUTHORIZATION=f"Token {api_key}").status_code == 201
    assert DsmrReading.objects.count() == 1


def test_disabled_api_answers_403_in_plain_text(client, api_key):
    from dsmrhub.api.services import api_settings_update

    api_settings_update(allow=False)
    response = post(client, demo_telegrams(1)[0][1], HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"API is disabled"


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Token wrong-key"}, {"HTTP_AUTHORIZATION": "Token "}, {"HTTP_X_AUTHKEY": ""}],
)
def test_missing_or_wrong_key_is_401_with_www_authenticate(client, api_key, headers):
    response = post(client, demo_telegrams(1)[0][1], **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert DsmrReading.objects.count() == 0


def test_empty_stored_key_never_authenticates(client, api_key):
    from dsmrhub.api.models import APISettings

    APISettings.objects.update(auth_key="")
    assert post(client, demo_telegrams(1)[0][1], HTTP_AUTHORIZATION="Token ").status_code == 401
    assert post(client, demo_telegrams(1)[0][1], HTTP_X_AUTHKEY="").status_code == 401


def _bad_telegrams():
    telegram = demo_telegrams(1)[0][1]
    body = telegram[: telegram.index("!") + 1]
    return {
        "empty": "",
        "wrong crc": body + "0000\r\n",
        "truncated": telegram[: len(telegram) // 2],
        "nul bytes": telegram.replace("1-0:1.8.1", "1-0:1.8.1\x00"),
        "garbage 1MB": "x" * 1_000_000,
        "binary": "\x01\x02\xff\xfe" * 100,
        "no header": telegram[telegram.index("\r\n") + 2 :],
        "out of range": replace_line(telegram, "1-0:1.8.1", "1-0:1.8.1(-00001.000*kWh)"),
        "future": replace_line(telegram, "0-0:1.0.0", "0-0:1.0.0(391231120000W)"),
        "impossible timestamp": replace_line(telegram, "0-0:1.0.0", "0-0:1.0.0(632525252525W)"),
        "reset clock": replace_line(telegram, "0-0:1.0.0", "0-0:1.0.0(000101000000W)"),
        "missing mandatory": replace_line(telegram, "1-0:1.8.2", "0-0:96.99.99(1)"),
    }


@pytest.mark.parametrize("case", list(_bad_telegrams()))
def test_bad_telegrams_get_400_with_a_reason_and_are_counted(client, api_key, case):
    telegram = _bad_telegrams()[case]
    response = post(client, telegram, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 400, response.content
    assert len(response.content) > 10
    assert DsmrReading.objects.count() == 0
    if case != "empty":
        assert MeterStatistics.objects.get().rejected_telegrams == 1


def test_lf_only_lines_and_unknown_registers_are_accepted(client, api_key):
    from tests.helpers import with_crc

    telegram = demo_telegrams(1)[0][1]
    body = telegram[: telegram.index("!") + 1].replace("\r\n", "\n").replace("!", "0-0:96.99.99(hello)\n!")
    response = post(client, with_crc(body), HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 201, response.content
    assert DsmrReading.objects.get().electricity_delivered_1 == Decimal("4123.456")


def test_json_body_is_refused_with_415(client, api_key):
    response = client.post(
        URL,
        {"telegram": demo_telegrams(1)[0][1]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_key}",
    )
    assert response.status_code == 415
    assert b"form field" in response.content


def test_missing_field_is_400(client, api_key):
    response = client.post(URL, {"other": "x"}, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 400
    assert b"telegram" in response.content


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_are_405(client, api_key, method):
    response = getattr(client, method)(URL, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 405
    assert b"POST" in response.content


def test_body_over_the_upload_limit_is_413_in_plain_text(client, api_key):
    response = post(client, "x" * 3_000_000, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert b"too large" in response.content


def test_out_of_range_counters_and_long_texts_do_not_cost_the_reading(client, api_key):
    telegram = demo_telegrams(1)[0][1]
    telegram = replace_line(telegram, "0-0:96.7.21", "0-0:96.7.21(99999999999)")
    telegram = replace_line(telegram, "1-3:0.2.8", "1-3:0.2.8(5000000000000)")
    telegram = replace_line(telegram, "0-1:96.1.0", "0-1:96.1.0(" + "41" * 80 + ")")
    response = post(client, telegram, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 201, response.content
    assert DsmrReading.objects.count() == 1
    stats = MeterStatistics.objects.get()
    assert stats.power_failure_count is None
    assert stats.dsmr_version is None
    assert stats.long_power_failure_count == 1
    from dsmrhub.readings.models import MBusReading

    assert MBusReading.objects.get().equipment_identifier == ""


def test_production_server_settings_keep_connections_alive():
    from granian.constants import Interfaces

    from dsmrhub.server.http import server_options

    options = server_options(bind="[::1]:8000", workers=3, threads=2)
    assert options["interface"] == Interfaces.WSGI and options["target"] == "dsmrhub.wsgi:application"
    assert options["http1_settings"].keep_alive
    assert (options["address"], options["port"]) == ("::1", 8000)
    assert (options["workers"], options["blocking_threads"]) == (3, 2)
    assert options["respawn_failed_workers"] and not options["log_access"]


@pytest.mark.parametrize("bind", ["8000", "localhost", "host:port", ":8000", "host:70000"])
def test_production_server_refuses_a_bind_that_is_not_host_and_port(bind):
    from dsmrhub.server.http import server_bind

    with pytest.raises(ValueError, match="HOST:PORT"):
        server_bind(bind)


@pytest.mark.xdist_group("processes")
def test_production_server_answers_v1_posts_on_one_kept_alive_connection(install):  # noqa: F811
    """`dsmrhub serve` (granian, as `dsmrhub run` starts it) keeps the client's connection open."""
    import http.client
    from urllib.parse import urlencode

    from tests.processes import free_port, stop_process, wait_for_http

    key = "serve-key-0123456789abcdef"
    install.run("api", "enable", "--api-key", key)
    port = free_port()
    server = install.start("serve", "--bind", f"127.0.0.1:{port}", log="serve")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {key}", "Content-Type": "application/x-www-form-urlencoded"}
        sockets = set()
        for _, telegram in demo_telegrams(3):
            connection.request("POST", URL, urlencode({"telegram": telegram}), headers)
            response = connection.getresponse()
            assert (response.status, response.read()) == (201, b"")
            assert response.getheader("Connection", "").lower() != "close"
            sockets.add(id(connection.sock))
        connection.close()
        assert len(sockets) == 1, "each request came on a new connection"
        assert len(install.stored_timestamps()) == 3
    finally:
        stop_process(server)


@pytest.mark.parametrize("count", [2, 3])
def test_a_field_with_several_telegrams_is_refused_whole_and_counted(client, api_key, count):
    telegrams = "".join(telegram for _, telegram in demo_telegrams(count))
    response = post(client, telegrams, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == (
        f"telegram rejected: the field holds {count} telegrams; send one per request"
    )
    assert DsmrReading.objects.count() == 0
    assert MeterStatistics.objects.get().rejected_telegrams == 1


@pytest.mark.parametrize("second", ["bad CRC", "glued"])
def test_a_second_telegram_that_fails_its_crc_or_has_no_line_end_before_it_still_refuses_both(
    client, api_key, second
):
    first, other = (telegram for _, telegram in demo_telegrams(2))
    if second == "bad CRC":
        body, _, crc = other.rpartition("!")
        other = f"{body}!{'0000' if not crc.startswith('0000') else 'FFFF'}\r\n"
    field = first.rstrip("\r\n") + other if second == "glued" else first + other
    response = post(client, field, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 400
    assert response.content.decode() == "telegram rejected: the field holds 2 telegrams; send one per request"
    assert DsmrReading.objects.count() == 0


@pytest.mark.parametrize(
    "trailer",
    [
        "\r\n\r\n",
        "\n\n  \n",
        "garbage after the telegram\r\n",
        "/half a header line\r\n",
        "\r\n/XMX5 cut off",
    ],
)
def test_blank_lines_and_garbage_after_the_one_telegram_are_still_accepted(client, api_key, trailer):
    telegram = demo_telegrams(1)[0][1]
    response = post(client, telegram + trailer, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 201, response.content
    assert DsmrReading.objects.count() == 1
