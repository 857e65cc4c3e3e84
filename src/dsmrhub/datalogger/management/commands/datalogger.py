import signal
import threading
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.backoff import RETRY_MAX
from dsmrhub.datalogger.models import validate_hex_key
from dsmrhub.datalogger.services import SETTINGS_POLL, ConfigOverrides, ReaderFailed, datalogger_run
from dsmrhub.datalogger.sources import source_from_url
from dsmrhub.datalogger.spool import DEFAULT_MAX_ITEMS, SpoolError
from dsmrhub.options import option_alias_deprecated


class Command(BaseCommand):
    help = (
        "Read telegrams from a source and store them. Without --source the source configured with "
        "`dsmrhub datalogger-settings` (or the admin) is used, and changes to it are picked up while running."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--source",
            help="serial:///dev/ttyUSB0[?preset=auto|dsmr4|dsmr22], socket://HOST:PORT, "
            "replay:FILE[?speed=N], demo[?interval=S] (default: the configured source, else demo)",
        )
        decryption_key = parser.add_argument(
            "--decryption-key", metavar="HEX", help="decryption key of an encrypted meter (32 hex digits)"
        )
        option_alias_deprecated(parser, "--key", target=decryption_key)
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
        if options["interval"] is not None:
            if source not in (None, "demo"):
                raise CommandError("--interval is for the demo source; use demo?interval=S")
            if options["interval"] <= 0:
                raise CommandError("--interval must be positive")
            source = f"demo?interval={options['interval']:g}"
        try:
            if source:
                source_from_url(source)
            if options["decryption_key"]:
                validate_hex_key(options["decryption_key"])
        except Exception as error:  # ValueError or ValidationError: a readable reason either way
            raise CommandError(getattr(error, "messages", [str(error)])[0]) from None
        if options["min_interval"] is not None and options["min_interval"] < 0:
            raise CommandError("--min-interval must be 0 or more")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())  # finish the telegram in hand, keep the buffer
        try:
            summary = datalogger_run(
                overrides=ConfigOverrides(
                    source=source,
                    decryption_key=options["decryption_key"],
                    min_interval=options["min_interval"],
                ),
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
