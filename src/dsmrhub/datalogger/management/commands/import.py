import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from dsmrhub.datalogger.importer import ImportFileError, import_jobs, readings_import_files

BAR = 24


class Command(BaseCommand):
    help = "Import raw telegram captures (concatenated telegrams as a meter sends them; .gz too)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--jobs",
            type=int,
            default=0,
            help="processes checking telegrams (default: one per CPU, at most 4, from ~2,000 telegrams)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, files: list[Path], jobs: int, quiet: bool, **options) -> None:
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        jobs = import_jobs(files, jobs)
        if jobs > 1:
            connections.close_all()  # forked parser processes must not share the parent's connection
        show = not quiet and sys.stderr.isatty()

        def progress(done: int, seconds: float, fraction: float) -> None:
            if show:
                filled = round(BAR * min(fraction, 1.0))
                sys.stderr.write(
                    f"\r[{'#' * filled}{'.' * (BAR - filled)}] {fraction:4.0%}  "
                    f"{done:,} telegrams  {done / max(seconds, 1e-9):,.0f}/s"
                )
                sys.stderr.flush()

        began = time.perf_counter()
        failure = None
        try:
            result = readings_import_files(paths=files, jobs=jobs, progress=progress)
        except ImportFileError as error:
            failure, result = error, error.result
        seconds = time.perf_counter() - began
        if show:
            sys.stderr.write("\n")
        total = result.stored + result.duplicates + sum(result.rejected.values())
        self.stdout.write(
            f"imported {total} telegrams in {seconds:.1f} s ({total / max(seconds, 1e-9):,.0f}/s): "
            f"stored {result.stored}, duplicates {result.duplicates}, "
            f"rejected {sum(result.rejected.values())}"
        )
        for reason, count in result.rejected.most_common():
            self.stdout.write(f"  rejected {count}: {reason}")
        if failure is not None:  # one line, no traceback; what was read before it stays stored
            self.stdout.flush()
            sys.stderr.write(f"dsmrhub: import: {failure}\n")
            sys.exit(1)
