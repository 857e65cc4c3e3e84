import os
import signal
import threading
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.backoff import RETRY_MAX
from dsmrhub.datalogger.models import validate_hex_key
from dsmrhub.datalogger.services import (
    SETTINGS_POLL,
    SOURCE_ENV,
    ConfigOverrides,
    ReaderFailed,
    datalogger_run,
    datalogger_wait_for_source,
)
from dsmrhub.datalogger.sources import source_from_url
from dsmrhub.datalogger.spool import DEFAULT_MAX_ITEMS, SpoolError
from dsmrhub.options import option_alias_deprecated, secret_from_file


class Command(BaseCommand):
    help = (
        "Read telegrams from a source and store them. Without --source: $DSMRHUB_SOURCE, else the "
        "source configured with `dsmrhub datalogger-settings` (or the settings page), and changes to it "
        "are picked up while running; with none it waits for one (the demo meter only with --source demo)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--source",
            help="serial:///dev/ttyUSB0[?preset=auto|dsmr4|dsmr22], socket://HOST:PORT, "
            "replay:FILE[?speed=N], demo[?interval=S] (default: $DSMRHUB_SOURCE, else the configured source)",
        )
        decryption_key = parser.add_argument(
            "--decryption-key", metavar="HEX", help="decryption key of an encrypted meter (32 hex digits)"
        )
        option_alias_deprecated(parser, "--key", target=decryption_key)
        parser.add_argument(
            "--decryption-key-file",
            metavar="FILE",
            help="the decryption key read from FILE (not visible in ps)",
        )
        parser.add_argument("--min-interval", type=float, help="store at most one telegram per S seconds")
        parser.add_argument("--interval", type=float, help="demo: seconds between telegrams (1 or 10)")
        parser.add_argument("--backfill-hours", type=float, default=0, help="demo: history to create first")
        parser.add_argument(
            "--buffer", type=Path, help="buffer file (default: DATA_DIR/datalogger-buffer.sqlite3)"
        )
        parser.add_argument(
            "--buffer-max", type=int, default=DEFAULT_MAX_ITEMS, help="telegrams the buffer holds"
        )
        parser.add_argument(
            "--retry-max", type=float, default=RETRY_MAX, help="longest pause between reconnects (s)"
        )
        parser.add_argument(
            "--settings-poll", type=float, default=SETTINGS_POLL, help="seconds between settings checks"
        )

    def handle(self, *args, **options) -> None:
        source = options["source"]
        origin = ""
        if not source and os.environ.get(SOURCE_ENV, "").strip():
            source, origin = os.environ[SOURCE_ENV].strip(), f"{SOURCE_ENV}: "
        if options["interval"] is not None:
            if source not in (None, "demo"):
                raise CommandError("--interval is for the demo source; use demo?interval=S", returncode=2)
            if options["interval"] <= 0:
                raise CommandError("--interval must be positive", returncode=2)
            source = f"demo?interval={options['interval']:g}"
        if options["decryption_key_file"]:
            if options["decryption_key"]:
                raise CommandError("give --decryption-key or --decryption-key-file, not both", returncode=2)
            try:
                options["decryption_key"] = secret_from_file(
                    options["decryption_key_file"], option="--decryption-key-file"
                )
            except ValueError as error:
                raise CommandError(str(error), returncode=2) from None
        try:
            if source:
                source_from_url(source)
            if options["decryption_key"]:
                validate_hex_key(options["decryption_key"])
        except Exception as error:  # ValueError or ValidationError: a readable reason either way
            raise CommandError(origin + getattr(error, "messages", [str(error)])[0], returncode=2) from None
        if options["min_interval"] is not None and options["min_interval"] < 0:
            raise CommandError("--min-interval must be 0 or more", returncode=2)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())  # finish the telegram in hand, keep the buffer
        overrides = ConfigOverrides(
            source=source, decryption_key=options["decryption_key"], min_interval=options["min_interval"]
        )
        if not datalogger_wait_for_source(overrides=overrides, stop=stop, poll=options["settings_poll"]):
            return  # stopped while waiting: nothing was read
        try:
            summary = datalogger_run(
                overrides=overrides,
                stop=stop,
                spool_path=options["buffer"],
                buffer_max=options["buffer_max"],
                retry_max=options["retry_max"],
                settings_poll=options["settings_poll"],
                backfill=timedelta(hours=options["backfill_hours"]),
            )
        except (SpoolError, ReaderFailed) as error:  # exit 1: `dsmrhub run` (or systemd) starts it again
            raise CommandError(f"datalogger: {error}") from None
        self.stdout.write(
            f"datalogger: received {summary.received}, stored {summary.stored}, duplicates "
            f"{summary.duplicates}, rejected {summary.rejected}, left in buffer {summary.buffered}"
        )
