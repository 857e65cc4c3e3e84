"""The publisher: queues new readings into the outbox and sends the outbox to the broker.

One thread does the database work (``Publisher.step``); paho's network thread only sends and receives.
A message leaves the outbox once the broker acknowledged it (PUBACK for QoS 1, PUBCOMP for QoS 2; for
QoS 0 once written to the socket). A lost connection discards the client and its in-flight messages;
they are still in the outbox and are sent again on the next connection, after a capped backoff (so with
QoS 1 a message whose PUBACK was lost with the connection arrives twice: at least once, not exactly once).

Availability: every connection sets a Last Will (``<prefix>/status`` = ``offline``, retained) and then
publishes ``online`` (retained); a clean stop publishes ``offline`` before disconnecting. A connection that
dies without a DISCONNECT (crash, ``kill -9``, network loss) gets its will published by the broker.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as paho
from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone

from dsmrhub.backoff import FIRST_RETRY, RETRY_MAX, Backoff
from dsmrhub.mqtt.models import MQTTSettings, OutboxMessage
from dsmrhub.mqtt.services import (
    CONNECTION_FIELDS,
    mqtt_discovery_sync,
    mqtt_outbox_fill,
    mqtt_settings_get,
    mqtt_state_update,
)
from dsmrhub.mqtt.topics import STATUS_OFFLINE, STATUS_ONLINE, STATUS_TOPIC

logger = logging.getLogger("dsmrhub.mqtt")

SEND_BATCH = 1000
ACK_TIMEOUT = 10.0  # seconds to wait for the acknowledgements of one batch
CONNECT_TIMEOUT = 10.0
OFFLINE_TIMEOUT = 2.0  # seconds a clean stop waits for the broker to acknowledge "offline"
HEARTBEAT = 20.0  # seconds between state heartbeats: each is a page written (SD card); seen alive within 30 s


class BrokerError(Exception):
    """The broker cannot be reached or refused us; the message says why (never with the password)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The connection part of the settings; a change means a new connection."""

    host: str
    port: int
    tls: bool
    tls_ca_file: str
    tls_insecure: bool
    username: str
    password: str
    client_id: str
    status_topic: str  # the Last Will's topic is fixed per connection

    @classmethod
    def of(cls, settings: MQTTSettings) -> Endpoint:
        values = {name: getattr(settings, name) for name in CONNECTION_FIELDS}
        return cls(**values, status_topic=f"{settings.prefix}/{STATUS_TOPIC}")

    def __repr__(self) -> str:  # never show the password
        return f"Endpoint({self.host}:{self.port}, tls={self.tls}, user={self.username or '-'})"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def tls_context(self) -> ssl.SSLContext:
        """The TLS settings as a context; raises BrokerError when the CA file cannot be used."""
        try:
            cafile = os.path.expanduser(self.tls_ca_file) if self.tls_ca_file else None
            context = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as error:
            reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or str(error)
            raise BrokerError(f"TLS: cannot use the CA file {self.tls_ca_file}: {reason}") from None
        if self.tls_insecure:  # clearly marked in the settings: no certificate or host name check
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


class Connection:
    """One paho client, connected once; discarded (not reconnected) when the connection drops."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.connected = threading.Event()
        self.done = threading.Event()  # CONNACK arrived, or the connection failed or dropped
        self.dropped = False
        self.error = ""
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=endpoint.client_id,
            protocol=paho.MQTTv311,
            clean_session=True,
        )
        if endpoint.username:
            client.username_pw_set(endpoint.username, endpoint.password or None)
        client.will_set(endpoint.status_topic, STATUS_OFFLINE, qos=1, retain=True)
        client.max_inflight_messages_set(SEND_BATCH)
        client.max_queued_messages_set(0)
        client.connect_timeout = CONNECT_TIMEOUT
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self.client = client

    def open(self) -> None:
        """Connect, wait for the broker's answer and say "online"; raises BrokerError with the reason."""
        endpoint = self.endpoint
        if endpoint.tls:
            self.client.tls_set_context(endpoint.tls_context())
        try:
            self.client.connect(endpoint.host, endpoint.port, keepalive=30)
        except ssl.SSLCertVerificationError as error:
            check = (
                f"the CA file {endpoint.tls_ca_file}"
                if endpoint.tls_ca_file
                else "the system CA certificates"
            )
            raise BrokerError(
                f"TLS: the certificate of {endpoint.address} is not trusted: {error.verify_message} "
                f"(it must be signed by a CA in {check} and name the host {endpoint.host})"
            ) from None
        except ssl.SSLError as error:
            raise BrokerError(
                f"TLS handshake with {endpoint.address} failed: {error.reason or error} "
                "(does that port speak TLS?)"
            ) from None
        except OSError as error:
            raise BrokerError(f"cannot connect to {endpoint.address}: {error}") from None
        self.client.loop_start()
        if not self.done.wait(CONNECT_TIMEOUT):
            self.close()
            raise BrokerError(f"{endpoint.address} did not answer the connect request")
        if not self.connected.is_set():
            self.close()
            raise BrokerError(self.error)
        self.client.publish(endpoint.status_topic, STATUS_ONLINE, qos=1, retain=True)

    def close(self) -> None:
        """A clean stop: "offline" (acknowledged, or given up after a moment), then DISCONNECT."""
        if self.connected.is_set():
            info = self.client.publish(self.endpoint.status_topic, STATUS_OFFLINE, qos=1, retain=True)
            deadline = time.monotonic() + OFFLINE_TIMEOUT
            while (
                info.rc == paho.MQTT_ERR_SUCCESS
                and not info.is_published()
                and self.connected.is_set()
                and time.monotonic() < deadline
            ):
                try:
                    info.wait_for_publish(0.05)
                except (RuntimeError, ValueError):  # the connection went meanwhile: the will says it
                    break
        self.connected.clear()
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.dropped:  # paho reconnected on its own: this connection is done, a new one takes over
            client.disconnect()
            return
        if reason_code.is_failure:
            self.error = f"the broker refused the connection: {reason_code}"
            if str(reason_code) in ("Not authorized", "Bad user name or password"):
                self.error += " (check the username and password)"
            client.disconnect()  # do not let paho retry with the same credentials
        else:
            self.connected.set()
        self.done.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.connected.is_set():
            self.error = f"connection to the broker lost: {reason_code}"
        self.dropped = True
        self.connected.clear()
        self.done.set()


class Publisher:
    """Follows the readings, keeps discovery in step with the settings, and drains the outbox."""

    def __init__(
        self, *, retry_min: float = FIRST_RETRY, retry_max: float = RETRY_MAX, interval: float = 1.0
    ) -> None:
        self.interval = interval
        self.connection: Connection | None = None
        self.settings_seen = None
        self.retry_at = 0.0
        self.backoff = Backoff(initial=retry_min, cap=retry_max)
        self.heartbeat_at = 0.0
        self.published = 0

    # one pass ---------------------------------------------------------------------------------
    def step(self) -> int:
        """Queue what is new and send one batch; returns the messages sent (acknowledged)."""
        settings = mqtt_settings_get()
        if not settings.enabled:
            self._disconnect("MQTT disabled")
            self._heartbeat()
            return 0
        if self.settings_seen != settings.changed_at:
            self.settings_seen = settings.changed_at
            mqtt_discovery_sync(settings=settings)
        mqtt_outbox_fill(settings=settings)
        if self.connection and self.connection.endpoint != Endpoint.of(settings):
            self._disconnect("settings changed")
            self.retry_at = 0.0
        if not self._connected(settings):
            self._heartbeat()
            return 0
        sent = self._send(settings)
        self._heartbeat()
        return sent

    def run(self, stop: threading.Event) -> None:
        logger.info("MQTT publisher running")
        mqtt_state_update(started_at=timezone.now(), connected=False)
        failing = ""  # logged when it starts or changes, not on every pass
        while not stop.is_set():
            try:
                sent = self.step()
            except DatabaseError as error:  # locked past the timeout, or gone: the next pass tries again
                if str(error) != failing:
                    logger.warning("MQTT pass failed: %s; retrying every %.1f s", error, self.interval)
                failing = str(error)
                sent = 0
            else:
                if failing:
                    logger.info("MQTT passes work again")
                failing = ""
            if sent < SEND_BATCH or not self._is_up():
                stop.wait(self.interval)
        self._disconnect("stopping")
        self._heartbeat(force=True)
        mqtt_state_update(connected=False, updated_at=None)
        logger.info("MQTT publisher stopped")

    def close(self) -> None:
        self._disconnect("closing")
        self._heartbeat(force=True)

    # connection -------------------------------------------------------------------------------
    def _is_up(self) -> bool:
        return self.connection is not None and self.connection.connected.is_set()

    def _connected(self, settings: MQTTSettings) -> bool:
        if self._is_up():
            return True
        if self.connection is not None:  # dropped: discard it with its in-flight messages
            error = self.connection.error
            self._disconnect(error)
            self._failed(error)
        if time.monotonic() < self.retry_at:
            return False
        endpoint = Endpoint.of(settings)
        connection = Connection(endpoint)
        try:
            connection.open()
        except BrokerError as error:
            self._failed(str(error))
            return False
        self.connection = connection
        self.backoff.reset()
        logger.info("MQTT connected to %s:%d", endpoint.host, endpoint.port)
        mqtt_state_update(connected=True, broker=f"{endpoint.host}:{endpoint.port}", last_error="")
        mqtt_discovery_sync(settings=settings, republish=True)  # the broker may have lost retained configs
        return True

    def _failed(self, error: str) -> None:
        delay = self.backoff.next()
        self.retry_at = time.monotonic() + delay
        level = (
            logging.WARNING if delay == self.backoff.initial or delay >= self.backoff.cap else logging.DEBUG
        )
        logger.log(level, "MQTT: %s; retrying in %.1f s", error, delay)
        mqtt_state_update(connected=False, last_error=error, last_error_at=timezone.now())

    def _disconnect(self, reason: str) -> None:
        if self.connection is None:
            return
        connection, self.connection = self.connection, None
        connection.close()
        logger.info("MQTT disconnected (%s)", reason)
        mqtt_state_update(connected=False)

    # sending ----------------------------------------------------------------------------------
    def _send(self, settings: MQTTSettings) -> int:
        rows = list(
            OutboxMessage.objects.order_by("id").values_list("id", "topic", "payload", "retain")[:SEND_BATCH]
        )
        if not rows:
            return 0
        client = self.connection.client
        infos = []
        for _, topic, payload, retain in rows:
            info = client.publish(topic, payload, qos=settings.qos, retain=retain)
            if info.rc != paho.MQTT_ERR_SUCCESS:
                break
            infos.append(info)
        deadline = time.monotonic() + ACK_TIMEOUT
        acked = 0
        for info in infos:  # acknowledgements arrive in order for one connection
            while not info.is_published():
                if not self._is_up() or time.monotonic() > deadline:
                    break
                info.wait_for_publish(0.05)
            if not info.is_published():
                break
            acked += 1
        if infos and not acked and self._is_up():
            # Connected, yet nothing acknowledged: a link that died without a word, or paho's network
            # thread is gone. Start over on a new connection instead of waiting on this one for ever.
            error = f"no acknowledgement from {self.connection.endpoint.address} within {ACK_TIMEOUT:.0f} s"
            self._disconnect(error)
            self._failed(error)
        done = [row[0] for row in rows[:acked]]
        if done:
            if done[-1] - done[0] + 1 == len(done):
                OutboxMessage.objects.filter(id__gte=done[0], id__lte=done[-1]).delete()
            else:
                for start in range(0, len(done), 500):
                    OutboxMessage.objects.filter(id__in=done[start : start + 500]).delete()
            self.published += len(done)
        return len(done)

    def _heartbeat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if now - self.heartbeat_at < HEARTBEAT and not force:
            return
        self.heartbeat_at = now
        values = {"updated_at": timezone.now(), "connected": self._is_up()}
        if self.published:
            values["published_messages"] = F("published_messages") + self.published
            values["last_published_at"] = timezone.now()
            self.published = 0
        mqtt_state_update(**values)
