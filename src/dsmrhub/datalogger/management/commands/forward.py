import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dsmrhub.datalogger.forward import ForwarderFailed, ForwardTarget, forward_run
from dsmrhub.datalogger.models import validate_hex_key
from dsmrhub.datalogger.sources import source_from_url
from dsmrhub.datalogger.spool import DEFAULT_MAX_ITEMS, SpoolError
from dsmrhub.datalogger.stream import StreamSettings
from dsmrhub.options import option_alias_deprecated, secret_from_file


class Command(BaseCommand):
    help = (
        "Remote datalogger: read a source and POST each telegram to one or more instances (API v1), "
        "with a persistent queue per target. Needs no database."
    )
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--source", required=True, help="serial:///dev/ttyUSB0, socket://HOST:PORT, …")
        parser.add_argument("--to", action="append", required=True, help="base URL of a target (repeatable)")
        api_key = parser.add_argument(
            "--api-key",
            action="append",
            metavar="KEY",
            help="API key of the --to before it (one for all: give it once)",
        )
        option_alias_deprecated(parser, "--key", target=api_key)
        parser.add_argument(
            "--api-key-file",
            action="append",
            metavar="FILE",
            help="like --api-key, the key read from FILE (its first line): not visible in ps",
        )
        parser.add_argument(
            "--decryption-key", default="", metavar="HEX", help="encrypted meters: the 32-hex-digit key"
        )
        parser.add_argument("--decryption-key-file", metavar="FILE", help="the decryption key read from FILE")
        parser.add_argument(
            "--authentication-key", default="", metavar="HEX", help="encrypted meters: the authentication key"
        )
        parser.add_argument(
            "--authentication-key-file", metavar="FILE", help="the authentication key read from FILE"
        )
        parser.add_argument(
            "--min-interval", type=float, default=0, help="forward one telegram per S seconds"
        )
        parser.add_argument("--queue-dir", type=Path, help="queue files (default: DATA_DIR/forward)")
        parser.add_argument("--queue-max", type=int, default=DEFAULT_MAX_ITEMS, help="telegrams per queue")
        parser.add_argument("--retry-max", type=float, default=60.0, help="longest pause between retries (s)")

    def handle(self, *args, **options) -> None:
        if options["api_key"] and options["api_key_file"]:
            raise CommandError(
                "give the API keys with --api-key or with --api-key-file, not both", returncode=2
            )
        try:  # secrets from files (systemd's LoadCredential=): never on the command line
            keys = options["api_key"] or [
                secret_from_file(path, option="--api-key-file") for path in options["api_key_file"] or []
            ]
            for name in ("decryption_key", "authentication_key"):
                if options[f"{name}_file"]:
                    if options[name]:
                        raise ValueError(f"give --{name.replace('_', '-')} or its -file option, not both")
                    options[name] = secret_from_file(
                        options[f"{name}_file"], option=f"--{name.replace('_', '-')}-file"
                    )
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        urls = options["to"]
        if len(keys) == 1 and len(urls) > 1:
            keys = keys * len(urls)
        if len(keys) != len(urls):
            raise CommandError(
                "give one --api-key (or --api-key-file) per --to, or one for all", returncode=2
            )
        try:
            source = source_from_url(options["source"])
            targets = [ForwardTarget(url=url, key=key) for url, key in zip(urls, keys, strict=True)]
            for name in ("decryption_key", "authentication_key"):
                if options[name]:
                    validate_hex_key(options[name])
        except Exception as error:  # ValueError or ValidationError: a readable reason either way
            raise CommandError(getattr(error, "messages", [str(error)])[0], returncode=2) from None
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        try:
            summary = forward_run(
                source=source,
                targets=targets,
                stop=stop,
                queue_dir=options["queue_dir"] or settings.DATA_DIR / "forward",
                stream=StreamSettings(
                    decryption_key=options["decryption_key"],
                    authentication_key=options["authentication_key"],
                    min_interval=options["min_interval"],
                ),
                queue_max=options["queue_max"],
                retry_max=options["retry_max"],
            )
        except (SpoolError, ForwarderFailed) as error:  # exit 1, so that systemd starts it again
            raise CommandError(f"forward: {error}") from None
        sent = ", ".join(
            f"{url}: sent {count}, rejected {summary.rejected[url]}, queued {summary.queued[url]}"
            for url, count in summary.sent.items()
        )
        self.stdout.write(f"forward: read {summary.received} telegrams; {sent}")
