import gc
import importlib
import os

from django.core.management.base import BaseCommand, CommandError
from django.urls import get_resolver

from dsmrhub.datalogger.services import (
    COMMIT_INTERVAL_ENV,
    RUN_COMMIT_INTERVAL,
    SOURCE_ENV,
    commit_interval_from_environment,
)
from dsmrhub.datalogger.sources import source_from_url
from dsmrhub.db.durability import database_sync
from dsmrhub.server.admin_user import admin_user_from_environment
from dsmrhub.server.runner import Part, Periodic, parts_run

# The processor's follow mode (dsmrhub.processing) and the MQTT publisher (idle while MQTT is disabled).
PROCESSOR_ARGS = ("process", "--follow")
MQTT_ARGS = ("mqtt", "publish")
PRELOAD = (  # modules of the parts, imported before they are forked (see _preload)
    "dsmrhub.server.http",
    "dsmrhub.mqtt.publisher",
    "dsmrhub.processing.services",
    "dsmrhub.spotprices.fetch",
    "dsmrhub.alerts.services",
    "dsmrhub.backup.schedule",
    "paho.mqtt.client",
)
# One worker process (4 threads) answers a household's pages and API; each more costs about 15 MB.
WEB_WORKERS = 1
SPAWN_ENV = "DSMRHUB_RUN_SPAWN"  # "exec": each part a new interpreter (default on Linux: forked)
PRICES_ARGS = ("prices", "schedule")  # day-ahead prices (idle while price fetching is disabled)
UPKEEP_ARGS = ("upkeep",)  # the daily backup and the alerts, one process for both


class Command(BaseCommand):
    help = (
        "Run everything: web server + API, the datalogger (--source, else $DSMRHUB_SOURCE, else the "
        "configured source; with none it waits for one, and the status page says how to set it; the demo "
        "meter only with --source demo), the processor, the MQTT publisher, the price fetcher and the upkeep "
        "(daily backups, alerts). A crashed part restarts with backoff; SIGTERM stops all."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT of the web server")
        parser.add_argument(
            "--source",
            help="datalogger source URL, e.g. demo (default: $DSMRHUB_SOURCE, else the configured one)",
        )
        parser.add_argument(
            "--demo-backfill-hours",
            type=float,
            default=6,
            help="with the demo source: history created at start",
        )
        parser.add_argument(
            "--without",
            action="append",
            default=[],
            choices=["datalogger", "processor", "mqtt", "prices", "upkeep"],
            help="leave a part out (repeatable), e.g. when a remote datalogger feeds the API",
        )

    def handle(self, *args, bind: str, source: str | None, demo_backfill_hours: float, without, **options):
        named = source or os.environ.get(SOURCE_ENV, "").strip()
        if (
            named
        ):  # checked here: a datalogger child that cannot start would only be restarted again and again
            try:
                source_from_url(named)
            except ValueError as error:
                raise CommandError(f"{'--source' if source else SOURCE_ENV}: {error}", returncode=2) from None
        try:  # the datalogger's group commit (issue 18: SD-card wear); a power cut costs at most this long
            os.environ.setdefault(COMMIT_INTERVAL_ENV, f"{RUN_COMMIT_INTERVAL:g}")
            interval = commit_interval_from_environment()
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        try:  # the first admin from DSMRHUB_ADMIN_USER + DSMRHUB_ADMIN_PASSWORD_FILE (Docker, systemd)
            admin_user_from_environment(os.environ)
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        parts = [Part("web", ("serve", "--bind", bind, "--workers", str(WEB_WORKERS)))]
        if "datalogger" not in without:
            datalogger = ["datalogger", "--backfill-hours", str(demo_backfill_hours)]
            if source:
                datalogger += ["--source", source]
            parts.append(Part("datalogger", tuple(datalogger)))
        if "processor" not in without:
            parts.append(Part("processor", PROCESSOR_ARGS))
        if "mqtt" not in without:
            parts.append(Part("mqtt", MQTT_ARGS))
        if "prices" not in without:
            parts.append(Part("prices", PRICES_ARGS))
        if "upkeep" not in without:
            parts.append(Part("upkeep", UPKEEP_ARGS))
        self.stdout.write(
            f"dsmrhub: web on http://{bind}/  parts: {', '.join(part.name for part in parts)}  (Ctrl-C stops)"
        )
        self.stdout.flush()
        # What the other parts commit (API posts, settings) is on disk as promptly as the datalogger's groups.
        # Forked parts share what this process imported (issue 18: memory on a Pi).
        fork = hasattr(os, "fork") and os.environ.get(SPAWN_ENV) != "exec"
        if fork:
            _preload()
        periodic = Periodic(interval, database_sync) if interval > 0 else None
        parts_run(parts, periodic=periodic, fork=fork)


def _preload() -> None:
    """Import what the parts import anyway (every URL's views, the web server, the publisher, the
    processor) and freeze it, so that a forked part shares those pages instead of importing its own copy."""
    for name in PRELOAD:
        importlib.import_module(name)
    get_resolver().url_patterns  # noqa: B018 - imports every page's and the API's views
    gc.freeze()
