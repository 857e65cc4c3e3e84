from django.core.management import call_command
from django.core.management.base import BaseCommand

from dsmrhub.runner import Part, parts_run


class Command(BaseCommand):
    help = "Run everything: web server + API, and the datalogger (the built-in demo meter by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT of the web server")
        parser.add_argument("--source", default="demo", help="datalogger source (default: demo)")
        parser.add_argument(
            "--demo-backfill-hours", type=float, default=6, help="demo history created at start"
        )

    def handle(self, *args, bind: str, source: str, demo_backfill_hours: float, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        datalogger = ["datalogger", "--source", source]
        if source == "demo":
            datalogger += ["--backfill-hours", str(demo_backfill_hours)]
        self.stdout.write(f"dsmrhub: web on http://{bind}/  datalogger source: {source}  (Ctrl-C stops)")
        parts_run([Part("web", ("serve", "--bind", bind)), Part("datalogger", tuple(datalogger))])
