from django.core.management.base import BaseCommand, CommandError

from dsmrhub.server.http import server_bind, server_run


class Command(BaseCommand):
    help = "Serve the web interface and API with granian (applies migrations first)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT (default 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")

    def handle(self, *args, bind: str, workers: int, threads: int, **options) -> None:
        try:
            server_bind(bind)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"dsmrhub listening on http://{bind}/")
        server_run(bind=bind, workers=workers, threads=threads)
