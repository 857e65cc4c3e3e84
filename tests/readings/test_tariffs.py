"""Tariff names: the country's convention from the telegram, the user's own names, one lookup a request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from dsmrhub.mqtt.models import OutboxMessage
from dsmrhub.mqtt.services import mqtt_outbox_fill, mqtt_settings_get, mqtt_settings_update
from dsmrhub.readings.models import MeterStatistics, TariffSettings
from dsmrhub.readings.services import reading_ingest_telegram
from dsmrhub.readings.tariffs import tariff_label, tariff_names, tariff_naming, tariff_settings_update
from dsmrhub.telegram.specs import TARIFF_CONVENTIONS
from tests.corpus import CORPUS, corpus_entries
from tests.helpers import demo_telegrams, with_crc
from tests.processes import dsmrhub, free_port

pytestmark = pytest.mark.django_db

# A Belgian (Fluvius e-MUCS) meter on tariff 2; written for these tests, CRC computed.
BELGIAN = with_crc(
    "/FLU5\\253769484_A\r\n\r\n"
    "0-0:96.1.4(50217)\r\n"
    "0-0:96.1.1(3153414733313030373136393537)\r\n"
    "0-0:1.0.0(260302120000W)\r\n"
    "1-0:1.8.1(001234.567*kWh)\r\n"
    "1-0:1.8.2(000765.432*kWh)\r\n"
    "1-0:2.8.1(000100.001*kWh)\r\n"
    "1-0:2.8.2(000050.002*kWh)\r\n"
    "0-0:96.14.0(0002)\r\n"
    "1-0:1.7.0(00.512*kW)\r\n"
    "1-0:2.7.0(00.000*kW)\r\n"
    "1-0:32.7.0(231.0*V)\r\n"
    "1-0:31.7.0(002.21*A)\r\n"
    "0-0:96.13.0()\r\n"
    "!"
)


def tariff_in(telegram: str) -> int:
    line = next(line for line in telegram.splitlines() if line.startswith("0-0:96.14.0("))
    return int(line[len("0-0:96.14.0(") : -1])


def live_tariff_name(api_client) -> str | None:
    response = api_client.get("/api/v2/consumption/electricity-live")
    assert response.status_code == 200, response.content
    return response.json()["tariff_name"]


def test_a_dutch_meter_names_tariff_1_low_and_2_normal(api_client):
    for _, telegram in demo_telegrams(2):
        reading_ingest_telegram(telegram=telegram)
    assert tariff_naming().variant == "dsmr5"
    assert tariff_names() == {1: "low", 2: "normal"}
    assert live_tariff_name(api_client) == {1: "low", 2: "normal"}[tariff_in(telegram)]


def test_a_belgian_meter_names_tariff_1_day_and_2_night(api_client):
    reading_ingest_telegram(telegram=BELGIAN)
    assert tariff_naming().variant == "be"
    assert tariff_names() == {1: "day", 2: "night"}
    assert live_tariff_name(api_client) == "night"  # the telegram's 0-0:96.14.0(0002)


def test_without_a_telegram_the_dutch_names_hold_and_other_countries_use_numbers():
    assert tariff_naming().variant is None
    assert tariff_names() == {1: "low", 2: "normal"}
    assert tariff_label(tariff=1, variant="lu") == "tariff 1"
    assert tariff_label(tariff=2, variant="se") == "tariff 2"
    assert tariff_label(tariff=None) is None
    assert set(TARIFF_CONVENTIONS) == {"dsmr22", "dsmr4", "dsmr5", "be"}


@pytest.mark.parametrize(
    "entry", corpus_entries(lambda e: e["kind"] == "telegram" and e.get("country") in ("NL", "BE"))
)
def test_every_dutch_and_belgian_corpus_telegram_gets_its_countrys_names(entry):
    text = (CORPUS / entry["file"]).read_bytes().decode("latin-1")
    MeterStatistics.store(timestamp="2026-03-02T12:00:00Z", latest_telegram=text)
    expected = {"NL": {1: "low", 2: "normal"}, "BE": {1: "day", 2: "night"}}[entry["country"]]
    assert tariff_naming().country == entry["country"]
    assert tariff_names() == expected


def test_renamed_tariffs_show_everywhere_and_blank_brings_the_countrys_name_back(api_client):
    reading_ingest_telegram(telegram=BELGIAN)
    tariff_settings_update(names={1: "  Peak   hours ", 2: "Off-peak"})
    assert TariffSettings.peek().tariff_1_name == "Peak hours"  # blanks collapsed
    assert tariff_names() == {1: "Peak hours", 2: "Off-peak"}
    with translation.override("nl"):
        assert tariff_names() == {1: "Peak hours", 2: "Off-peak"}  # the user's words, not translated
    assert live_tariff_name(api_client) == "Off-peak"
    tariff_settings_update(names={2: "", 1: None})  # None leaves tariff 1 alone
    assert tariff_names() == {1: "Peak hours", 2: "night"}
    assert live_tariff_name(api_client) == "night"


def test_a_name_too_long_or_an_unknown_tariff_is_refused_and_nothing_stored():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        tariff_settings_update(names={1: "x" * 33, 2: "fine"})
    assert "tariff_1_name" in error.value.message_dict
    with pytest.raises(ValidationError):
        tariff_settings_update(names={3: "third"})
    assert not TariffSettings.objects.exists()


def test_within_a_request_the_names_are_looked_up_once():
    # request_started/finished's receivers (sending the signals would close the test's connection)
    from dsmrhub.readings.tariffs import _request_finished, _request_started

    _request_started()
    try:
        with CaptureQueriesContext(connection) as queries:
            for _ in range(5):
                tariff_names()
                tariff_label(tariff=1)
        assert len(queries) == 2  # the user's names and the latest telegram, once
        tariff_settings_update(names={1: "Cheap"})  # a rename is seen at once, also within the request
        assert tariff_names()[1] == "Cheap"
    finally:
        _request_finished()
    with CaptureQueriesContext(connection) as queries:  # outside a request nothing is kept
        tariff_names()
        tariff_names()
    assert len(queries) == 4


def test_mqtt_meter_statistics_carry_the_tariff_name():
    mqtt_settings_update(enabled=True, host="127.0.0.1", port=free_port(), prefix="tariffs", discovery=False)
    mqtt_outbox_fill(settings=mqtt_settings_get())  # starts the watermark
    reading_ingest_telegram(telegram=BELGIAN)
    tariff_settings_update(names={2: "Nacht"})
    mqtt_outbox_fill(settings=mqtt_settings_get())
    payloads = dict(OutboxMessage.objects.values_list("topic", "payload"))
    assert payloads["tariffs/meter-stats/electricity_tariff"] == "2"
    assert payloads["tariffs/meter-stats/electricity_tariff_name"] == "Nacht"


def test_cli_renames_shows_and_refuses_in_one_line(cli_env):
    shown = dsmrhub(cli_env, "meter-settings").stdout
    assert "tariff 1: low\n" in shown and "tariff 2: normal\n" in shown  # no telegram yet: Dutch
    shown = dsmrhub(cli_env, "meter-settings", "--tariff-1-name", "Dal", "--tariff-2-name", "Piek").stdout
    assert "tariff 1: Dal (own name)\n" in shown and "tariff 2: Piek (own name)\n" in shown
    assert "tariff 2: Piek (own name)\n" in dsmrhub(cli_env, "meter-settings").stdout  # stored
    shown = dsmrhub(cli_env, "meter-settings", "--tariff-2-name", "").stdout
    assert "tariff 1: Dal (own name)\n" in shown and "tariff 2: normal\n" in shown

    result = dsmrhub(cli_env, "meter-settings", "--tariff-1-name", "x" * 40, check=False)
    errors = [line for line in result.stderr.splitlines() if " dsmrhub.d" not in line]
    assert result.returncode == 2, result.stderr
    assert len(errors) == 1 and "tariff-1-name: At most 32 characters." in errors[0], result.stderr
    assert "Traceback" not in result.stderr
