import sys
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from dsmrhub.switching.dsmrreader import SourceError
from dsmrhub.switching.services import ImportStopped, dsmrreader_import

BAR = 24
LINE_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal


class Command(BaseCommand):
    help = (
        "Import a DSMR-reader v4/v5 PostgreSQL database (read-only): readings, contracts, meter statistics, "
        "temperatures, and day/hour statistics where its readings are gone. DATABASE_URL: "
        "postgresql://user:password@host:port/database. Safe to run again: nothing is imported twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("database_url", metavar="DATABASE_URL")
        parser.add_argument("--quiet", action="store_true", help="no progress")

    def handle(self, *args, database_url: str, quiet: bool, **options) -> None:
        tty = sys.stderr.isatty()
        last_line = [0.0]

        def progress(done: int, total: int, seconds: float) -> None:
            if quiet:
                return
            fraction = done / total if total else 1.0
            rate = done / max(seconds, 1e-9)
            if tty:
                filled = round(BAR * min(fraction, 1.0))
                sys.stderr.write(
                    f"\r[{'#' * filled}{'.' * (BAR - filled)}] {fraction:4.0%}  {done:,}/{total:,} readings  "
                    f"{rate:,.0f}/s"
                )
                sys.stderr.flush()
            elif done == total or time.monotonic() - last_line[0] >= LINE_EVERY:
                last_line[0] = time.monotonic()
                sys.stderr.write(f"readings {done:,}/{total:,} ({fraction:.0%}, {rate:,.0f}/s)\n")
                sys.stderr.flush()

        try:
            summary = dsmrreader_import(url=database_url, progress=progress)
        except SourceError as error:  # nothing written
            sys.stderr.write(f"dsmrhub import-dsmrreader: {error}\n")
            sys.exit(1)
        except ImportStopped as error:  # stopped midway: what was committed stays, a re-run completes it
            if tty and not quiet:
                sys.stderr.write("\n")
            self.stdout.write("\n".join(error.summary.lines()))
            self.stdout.flush()
            sys.stderr.write(f"dsmrhub import-dsmrreader: {error}\n")
            sys.exit(1)
        except KeyboardInterrupt:
            sys.stderr.write(
                "\ndsmrhub import-dsmrreader: interrupted; what was imported stays, run the import again "
                "to complete it\n"
            )
            sys.exit(130)
        except DatabaseError as error:
            reason = " ".join(str(error).split())
            sys.stderr.write(
                f"dsmrhub import-dsmrreader: writing to dsmrhub's database failed: {reason}; "
                "run the import again to complete it\n"
            )
            sys.exit(1)
        if tty and not quiet:
            sys.stderr.write("\n")
        self.stdout.write("\n".join(summary.lines()))
