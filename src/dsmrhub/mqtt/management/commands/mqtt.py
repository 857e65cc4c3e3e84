import logging
import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.backoff import RETRY_MAX
from dsmrhub.mqtt.models import MQTTSettings
from dsmrhub.mqtt.publisher import Publisher
from dsmrhub.mqtt.selectors import mqtt_status
from dsmrhub.mqtt.services import mqtt_settings_get, mqtt_settings_update
from dsmrhub.mqtt.topics import FEATURES, FEATURES_BY_NAME

logger = logging.getLogger("dsmrhub.mqtt")


class Command(BaseCommand):
    help = "Enable, disable or show MQTT publishing, or run the publisher (`mqtt publish`)."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        enable = actions.add_parser("enable", help="enable publishing (and change settings)")
        enable.add_argument("--host")
        enable.add_argument("--port", type=int)
        enable.add_argument("--username", help="empty string: no username")
        enable.add_argument("--password-file", type=Path, help="a file whose first line is the password")
        enable.add_argument("--client-id")
        enable.add_argument("--prefix", help="topic prefix (default dsmr)")
        enable.add_argument("--qos", type=int, choices=[0, 1, 2])
        enable.add_argument("--tls", action="store_true", default=None, help="connect with TLS")
        enable.add_argument("--no-tls", dest="tls", action="store_false")
        enable.add_argument(
            "--tls-ca-file",
            help="PEM file of the CA that signed the broker's certificate (empty: system CAs)",
        )
        enable.add_argument(
            "--tls-insecure",
            action="store_true",
            default=None,
            help="INSECURE, for testing only: accept any broker certificate and host name",
        )
        enable.add_argument("--no-tls-insecure", dest="tls_insecure", action="store_false")
        enable.add_argument("--discovery", action="store_true", default=None, help="Home Assistant discovery")
        enable.add_argument("--no-discovery", dest="discovery", action="store_false")
        enable.add_argument("--discovery-prefix")
        names = ", ".join(FEATURES_BY_NAME)
        enable.add_argument(
            "--with",
            dest="features_on",
            action="append",
            default=[],
            metavar="FEATURE",
            choices=list(FEATURES_BY_NAME),
            help=f"publish a feature ({names})",
        )
        enable.add_argument(
            "--without",
            dest="features_off",
            action="append",
            default=[],
            metavar="FEATURE",
            choices=list(FEATURES_BY_NAME),
            help="stop publishing a feature",
        )
        enable.add_argument("--outbox-max", type=int)
        actions.add_parser("disable", help="stop publishing (settings are kept)")
        actions.add_parser("show", help="the settings (password as ***) and the publisher's status")
        publish = actions.add_parser("publish", help="run the publisher (a part of `dsmrhub run`)")
        publish.add_argument("--interval", type=float, default=1.0, help="seconds between passes when idle")
        publish.add_argument(
            "--retry-max", type=float, default=RETRY_MAX, help="longest wait between connects"
        )

    def handle(self, *args, action: str, **options) -> None:
        if action == "publish":
            self._publish(options["interval"], options["retry_max"])
            return
        if action == "enable":
            values = {
                "enabled": True,
                "host": options["host"],
                "port": options["port"],
                "username": options["username"],
                "client_id": options["client_id"],
                "prefix": options["prefix"],
                "qos": options["qos"],
                "tls": options["tls"],
                "tls_ca_file": (
                    str(Path(options["tls_ca_file"]).expanduser().resolve())
                    if options["tls_ca_file"]
                    else options["tls_ca_file"]
                ),
                "tls_insecure": options["tls_insecure"],
                "discovery": options["discovery"],
                "discovery_prefix": options["discovery_prefix"],
                "outbox_max": options["outbox_max"],
            }
            for name in options["features_on"]:
                values[FEATURES_BY_NAME[name].setting] = True
            for name in options["features_off"]:
                values[FEATURES_BY_NAME[name].setting] = False
            try:
                mqtt_settings_update(password_file=options["password_file"], **values)
            except ValueError as error:
                raise CommandError(str(error), returncode=2) from None  # bad input: a usage error
        elif action == "disable":
            mqtt_settings_update(enabled=False)
        self._show(mqtt_settings_get())

    def _show(self, settings: MQTTSettings) -> None:
        status = mqtt_status()
        write = self.stdout.write
        write(f"MQTT: {'enabled' if settings.enabled else 'disabled'}")
        write(f"broker: {'mqtts' if settings.tls else 'mqtt'}://{settings.host}:{settings.port}")
        if settings.tls:
            write(f"TLS CA file: {settings.tls_ca_file or '- (system CA certificates)'}")
            if settings.tls_insecure:
                write("TLS: INSECURE, the broker's certificate and host name are not checked")
        write(f"username: {settings.username or '-'}")
        write(f"password: {'***' if settings.password else '-'}")
        write(f"client id: {settings.client_id}  qos: {settings.qos}  prefix: {settings.prefix}")
        on = [f.name for f in FEATURES if getattr(settings, f.setting)]
        write(f"features: {', '.join(on) or '-'}")
        write(f"discovery: {'on, under ' + settings.discovery_prefix if settings.discovery else 'off'}")
        write(
            f"availability: {settings.prefix}/status (online / offline, retained; offline is the Last Will)"
        )
        state = "connected" if status["connected"] else ("running" if status["running"] else "not running")
        write(
            f"publisher: {state}; outbox {status['outbox']} of {status['outbox_max']}, "
            f"{status['dropped_messages']} dropped, {status['published_messages']} published"
        )
        if status["last_error"]:
            write(f"last error: {status['last_error']}")

    def _publish(self, interval: float, retry_max: float) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        publisher = Publisher(interval=interval, retry_max=retry_max)
        try:
            publisher.run(stop)
        except Exception as error:  # a crash restarts the part; say why
            raise CommandError(f"MQTT publisher failed: {error}") from error
