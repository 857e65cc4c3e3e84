import signal
import threading
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.datalogger.services import datalogger_run_demo


class Command(BaseCommand):
    help = "Read telegrams from a source and store them (this version: --source demo)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--source", default="demo", help="demo (built-in demo meter)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between demo telegrams")
        parser.add_argument("--backfill-hours", type=float, default=0, help="demo history to create first")

    def handle(self, *args, source: str, interval: float, backfill_hours: float, **options) -> None:
        if source != "demo":
            raise CommandError(f"unknown source {source!r}; this version supports: demo")
        if interval <= 0:
            raise CommandError("--interval must be positive")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())  # finish the telegram in hand, then stop
        datalogger_run_demo(interval=interval, backfill=timedelta(hours=backfill_hours), stop=stop)
