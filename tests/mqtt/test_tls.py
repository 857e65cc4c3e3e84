"""TLS against a real Mosquitto with a TLS listener and a password file (its own process and port;
certificates made for the test): the right CA and password publish; a wrong password and a certificate
from another CA are clear errors; the password never shows; settings changes apply without a restart."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import call_command

from dsmrhub.mqtt.publisher import Publisher
from dsmrhub.mqtt.selectors import mqtt_status
from dsmrhub.mqtt.services import mqtt_settings_update
from tests.helpers import demo_telegrams
from tests.mqtt.conftest import make_certificates
from tests.mqtt.test_publish import drain, ingest

pytestmark = pytest.mark.django_db

PASSWORD = "Tls-s3cret-Pw"
WRONG = "not-the-Pw-42"


@pytest.fixture
def tls_broker(mosquitto, tmp_path):
    certificates = make_certificates(tmp_path / "pki", "dsmrhub")
    broker = mosquitto(users={"meter": PASSWORD}, tls=certificates)
    return broker, certificates


def enable_tls(broker, prefix: str, ca_file, password: str = PASSWORD, **values):
    return mqtt_settings_update(
        enabled=True, host="127.0.0.1", port=broker.port, tls=True, tls_ca_file=str(ca_file),
        username="meter", password=password, prefix=prefix, discovery=False, **values,
    )  # fmt: skip


def no_password_anywhere(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text and WRONG not in text


def test_publishing_over_tls_with_the_right_ca_and_password(tls_broker, prefix, subscribe, caplog):
    broker, certificates = tls_broker
    subscriber = subscribe(
        "127.0.0.1", broker.port, [f"{prefix}/#"],
        username="meter", password=PASSWORD, ca_file=certificates.ca_file,
    )  # fmt: skip
    enable_tls(broker, prefix, certificates.ca_file)
    ingest(demo_telegrams(1))
    publisher = Publisher()
    with caplog.at_level(logging.DEBUG, logger="dsmrhub.mqtt"):
        drain(publisher)
        publisher.close()
    subscriber.wait_for(1, topic=f"{prefix}/json")
    subscriber.wait_for(2, topic=f"{prefix}/status")
    assert subscriber.on(f"{prefix}/reading/electricity_delivered_1") == ["4123.456"]
    assert subscriber.on(f"{prefix}/status") == ["online", "offline"]
    assert mqtt_status()["last_error"] == ""
    no_password_anywhere(caplog.text)


def test_wrong_password_over_tls_is_a_clear_error_and_the_password_never_shows(
    tls_broker, prefix, subscribe, caplog
):
    broker, certificates = tls_broker
    enable_tls(broker, prefix, certificates.ca_file, password=WRONG)
    publisher = Publisher(retry_min=0.05, retry_max=0.1)
    with caplog.at_level(logging.DEBUG):  # every logger, paho's included
        publisher.step()
    status = mqtt_status()
    assert status["connected"] is False
    assert status["last_error"] == (
        "the broker refused the connection: Not authorized (check the username and password)"
    )
    assert "refused the connection" in caplog.text
    shown = StringIO()
    call_command("mqtt", "show", stdout=shown)
    assert "last error: the broker refused the connection" in shown.getvalue()
    assert "password: ***" in shown.getvalue()
    no_password_anywhere(caplog.text, shown.getvalue(), repr(status))

    # Corrected in the settings: the running publisher reconnects with it, no restart.
    subscriber = subscribe(
        "127.0.0.1", broker.port, [f"{prefix}/#"],
        username="meter", password=PASSWORD, ca_file=certificates.ca_file,
    )  # fmt: skip
    mqtt_settings_update(password=PASSWORD)
    ingest(demo_telegrams(1))
    drain(publisher)
    publisher.close()
    subscriber.wait_for(1, topic=f"{prefix}/json")
    assert mqtt_status()["last_error"] == ""


def test_certificate_not_signed_by_the_configured_ca_is_a_clear_error(
    tls_broker, prefix, subscribe, tmp_path
):
    broker, certificates = tls_broker
    other = make_certificates(tmp_path / "other-pki", "other")  # a CA that did not sign the broker's cert
    enable_tls(broker, prefix, other.ca_file)
    publisher = Publisher(retry_min=0.05, retry_max=0.1)
    publisher.step()
    status = mqtt_status()
    assert status["connected"] is False
    assert status["last_error"] == (
        f"TLS: the certificate of 127.0.0.1:{broker.port} is not trusted: self-signed certificate in "
        f"certificate chain (it must be signed by a CA in the CA file {other.ca_file} and name the host "
        "127.0.0.1)"
    )  # Mosquitto sends its CA along: the chain ends in a CA we were not told to trust

    # Insecure mode (clearly marked) connects without checking; then the right CA, without a restart.
    subscriber = subscribe(
        "127.0.0.1", broker.port, [f"{prefix}/status"],
        username="meter", password=PASSWORD, ca_file=certificates.ca_file,
    )  # fmt: skip
    mqtt_settings_update(tls_insecure=True)
    drain(publisher)
    subscriber.wait_for(1)
    assert mqtt_status()["connected"] is True
    shown = StringIO()
    call_command("mqtt", "show", stdout=shown)
    assert "TLS: INSECURE" in shown.getvalue()
    mqtt_settings_update(tls_insecure=False, tls_ca_file=str(certificates.ca_file))
    drain(publisher)
    subscriber.wait_for(3)  # offline (old connection), online (new one)
    assert subscriber.on(f"{prefix}/status") == ["online", "offline", "online"]
    assert mqtt_status()["last_error"] == ""
    publisher.close()


def test_tls_settings_are_checked(tmp_path):
    with pytest.raises(ValueError, match="tls_ca_file: no such file"):
        mqtt_settings_update(tls=True, tls_ca_file=str(tmp_path / "missing.pem"))
    out = StringIO()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        call_command("mqtt", "enable", "--tls", "--tls-ca-file", str(tmp_path / "missing.pem"), stdout=out)


def test_a_ca_file_that_is_not_pem_is_a_clear_error(tls_broker, prefix, tmp_path):
    broker, _ = tls_broker
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    enable_tls(broker, prefix, garbage)
    Publisher(retry_min=0.05).step()
    assert mqtt_status()["last_error"].startswith(f"TLS: cannot use the CA file {garbage}: ")
