"""MQTT test helpers: the shared broker, brokers of our own (plain or TLS with passwords), certificates,
and a subscriber that records everything."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt import publish

from tests.processes import _template, free_port, install, make_install, wait_until  # noqa: F401 - fixtures

SHARED = ("127.0.0.1", 1883)
MOSQUITTO = "/usr/sbin/mosquitto"


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def shared_broker() -> tuple[str, int]:
    if not _listening(*SHARED):
        pytest.fail(
            "no MQTT broker on 127.0.0.1:1883: start Mosquitto (`mosquitto -d`, or `.ci/run` starts it)",
            pytrace=False,
        )
    return SHARED


@pytest.fixture
def prefix():
    """A topic prefix of this test alone, so parallel workers never see each other's messages. Its retained
    messages (availability, state topics) are cleared from the shared broker afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    if _listening(*SHARED):
        clear_retained(name)


def clear_retained(prefix: str) -> None:
    """Empty every retained message under ``prefix/`` on the shared broker (retained messages arrive right
    after subscribing, before a marker published afterwards)."""
    subscriber = Subscriber(*SHARED, [f"{prefix}/#"])
    marker = f"{prefix}/end-of-retained-{uuid.uuid4().hex[:8]}"
    try:
        publish.single(marker, "end", qos=1, hostname=SHARED[0], port=SHARED[1])
        subscriber.wait_for(1, topic=marker)
        with subscriber.lock:
            topics = {m.topic for m in subscriber.messages if m.retain and m.payload}
    finally:
        subscriber.close()
    if topics:
        publish.multiple(
            [{"topic": topic, "payload": "", "qos": 1, "retain": True} for topic in sorted(topics)],
            hostname=SHARED[0],
            port=SHARED[1],
        )


@dataclass
class Received:
    topic: str
    payload: str
    retain: bool


@dataclass(eq=False)
class Subscriber:
    """A paho client recording every message on ``topics`` (QoS 1)."""

    host: str
    port: int
    topics: list[str]
    persistent: bool = False  # a session kept by the broker across our disconnects
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None  # TLS, trusting this CA
    messages: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=f"sub-{uuid.uuid4().hex[:10]}",
            clean_session=not self.persistent,
        )
        self.client.reconnect_delay_set(0.1, 0.5)
        if self.username:
            self.client.username_pw_set(self.username, self.password)
        if self.ca_file:
            self.client.tls_set_context(ssl.create_default_context(cafile=str(self.ca_file)))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        assert self.subscribed.wait(10), "subscribing failed"

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        client.subscribe([(topic, 1) for topic in self.topics])

    def _on_message(self, client, userdata, message) -> None:
        with self.lock:
            self.messages.append(Received(message.topic, message.payload.decode(), bool(message.retain)))

    def on(self, topic: str) -> list[str]:
        with self.lock:
            return [m.payload for m in self.messages if m.topic == topic]

    def topics_seen(self) -> dict[str, str]:
        """The last payload per topic."""
        with self.lock:
            return {m.topic: m.payload for m in self.messages}

    def wait_for(self, count: int, *, topic: str | None = None, timeout: float = 15) -> None:
        def enough() -> bool:
            with self.lock:
                return len([m for m in self.messages if topic is None or m.topic == topic]) >= count

        wait_until(enough, timeout=timeout, message=f"{count} messages on {topic or self.topics}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def subscribe():
    subscribers: list[Subscriber] = []

    def make(host: str, port: int, topics: list[str], *, persistent: bool = False, **auth) -> Subscriber:
        subscriber = Subscriber(host, port, topics, persistent, **auth)
        subscribers.append(subscriber)
        return subscriber

    yield make
    for subscriber in subscribers:
        subscriber.close()


@dataclass(eq=False)
class Mosquitto:
    """A Mosquitto process of this test alone, which can be stopped and started again (same port, same
    persistence file)."""

    directory: Path
    port: int
    password_file: Path | None = None
    tls: Certificates | None = None  # a TLS listener with this server certificate
    process: subprocess.Popen | None = None

    def start(self) -> None:
        config = self.directory / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence true",
            f"persistence_location {self.directory}/",
            "max_inflight_messages 0",
            "max_queued_messages 0",
        ]
        if self.tls:
            lines += [
                f"cafile {self.tls.ca_file}",
                f"certfile {self.tls.cert_file}",
                f"keyfile {self.tls.key_file}",
            ]
        if os.geteuid() == 0:  # else Mosquitto drops to its own user, who cannot reach pytest's tmp dirs
            lines.append("user root")
        if self.password_file:
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        else:
            lines.append("allow_anonymous true")
        config.write_text("\n".join(lines) + "\n")
        log = open(self.directory / "mosquitto.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: _listening("127.0.0.1", self.port), timeout=10, message="mosquitto listening")

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its sessions and queued messages, as a restarting broker does."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_until(lambda: not _listening("127.0.0.1", self.port), timeout=5, message="mosquitto stopped")


@pytest.fixture
def mosquitto(tmp_path):
    brokers: list[Mosquitto] = []

    def make(*, users: dict[str, str] | None = None, tls: Certificates | None = None) -> Mosquitto:
        directory = tmp_path / f"mosquitto{len(brokers) + 1}"
        directory.mkdir()
        password_file = None
        if users:
            password_file = directory / "passwords"
            for number, (user, password) in enumerate(users.items()):
                flags = ["-b", "-c"] if number == 0 else ["-b"]
                subprocess.run(["mosquitto_passwd", *flags, str(password_file), user, password], check=True)
            password_file.chmod(0o600)
        broker = Mosquitto(directory, free_port(), password_file, tls)
        broker.start()
        brokers.append(broker)
        return broker

    yield make
    for broker in brokers:
        broker.stop()


# ---------------------------------------------------------------- certificates


@dataclass(frozen=True)
class Certificates:
    """A CA and a server certificate it signed (for 127.0.0.1 and localhost), as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def _key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key) -> None:
    from cryptography.hazmat.primitives import serialization

    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def make_certificates(directory: Path, name: str) -> Certificates:
    """A fresh CA ``name`` and a server certificate signed by it, written into ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = _key()
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} test CA"))
        .issuer_name(_name(f"{name} test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    server_key = _key()
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    certificates = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    certificates.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certificates.cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    _write_key(certificates.key_file, server_key)
    return certificates
