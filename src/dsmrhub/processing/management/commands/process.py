import contextlib
import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from dsmrhub.processing.services import processing_record_error, processing_run_due, processing_run_pending

logger = logging.getLogger("dsmrhub.processing")


class Command(BaseCommand):
    help = "Process new and late readings into consumption, statistics and costs (pending work, then exit)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--follow", action="store_true", help="keep running, picking up new readings")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between passes (--follow)")

    def handle(self, *args, follow: bool, interval: float, **options) -> None:
        if not follow:
            result = processing_run_pending()
            self.stdout.write(
                f"processed {result.minutes} changed minutes, restated {result.days} days, "
                f"recomputed costs of {result.costs_refreshed} days in {result.seconds:.2f} s"
            )
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        logger.info("processor running; a pass every %.1f s", interval)
        failing = ""  # logged when it starts or changes, not on every pass
        while not stop.is_set():
            try:
                result = processing_run_due()  # a pass when a changed minute is over: SD-card wear
                if result.minutes or result.costs_refreshed:
                    logger.debug("processed %d minutes in %.3f s", result.minutes, result.seconds)
            except DatabaseError as error:  # e.g. locked past the timeout, or gone: try again next pass
                if str(error) != failing:
                    logger.warning("processing pass failed: %s; retrying every %.1f s", error, interval)
                failing = str(error)
                with contextlib.suppress(DatabaseError):  # a locked database refuses this write too
                    processing_record_error(error=str(error))
            else:
                if failing:
                    logger.info("processing works again")
                failing = ""
            stop.wait(interval)
        logger.info("processor stopped")
