"""``dsmrhub alerts``: notification URLs (Apprise), a test message, the daily summary (thin)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dsmrhub.alerts.selectors import alerts_status
from dsmrhub.alerts.services import (
    AlertError,
    alert_settings_update,
    alert_target_add,
    alert_target_remove,
    alerts_step,
    alerts_test,
)
from dsmrhub.options import secret_from_file


class Command(BaseCommand):
    help = (
        "Alerts through Apprise (ntfy, Telegram, e-mail, Home Assistant, …) when a problem appears and "
        "clears, and a daily summary. Options: --add URL, --remove N, --test, --enable/--disable, "
        "--summary/--no-summary, --summary-hour H; without options: the targets and deliveries so far."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--add", metavar="URL", help="add an Apprise URL, e.g. ntfy://ntfy.sh/my-topic")
        parser.add_argument(
            "--add-file", metavar="FILE", help="add the Apprise URL in FILE (not visible in ps)"
        )
        parser.add_argument(
            "--remove", metavar="N", type=int, help="remove the URL numbered N (see the list)"
        )
        parser.add_argument("--test", action="store_true", help="send a test message to every URL now")
        parser.add_argument(
            "--check", action="store_true", help="look at the problems and send what is due now"
        )
        switch = parser.add_mutually_exclusive_group()
        switch.add_argument("--enable", dest="enabled", action="store_true", default=None)
        switch.add_argument("--disable", dest="enabled", action="store_false")
        summary = parser.add_mutually_exclusive_group()
        summary.add_argument(
            "--summary",
            dest="daily_summary",
            action="store_true",
            default=None,
            help="send yesterday's use and cost every day",
        )
        summary.add_argument("--no-summary", dest="daily_summary", action="store_false")
        parser.add_argument("--summary-hour", type=int, help="local hour of the daily summary (0-23)")

    def handle(
        self, *args, add, add_file, remove, test, check, enabled, daily_summary, summary_hour, **options
    ):
        try:
            if add_file:
                add = secret_from_file(add_file, option="--add-file")
            if add:
                target = alert_target_add(url=add)
                self.stdout.write(f"added {target.pk}")
            if remove is not None:
                alert_target_remove(target_id=remove)
                self.stdout.write(f"removed {remove}")
            alert_settings_update(enabled=enabled, daily_summary=daily_summary, summary_hour=summary_hour)
        except (AlertError, ValueError) as error:
            raise CommandError(str(error), returncode=2) from None
        if test:
            deliveries = alerts_test()
            if not deliveries:
                raise CommandError("no notification URL yet: dsmrhub alerts --add URL")
            for delivery in deliveries:
                self.stdout.write(
                    f"{delivery.target}: {'delivered' if not delivery.error else delivery.error}"
                )
            if any(delivery.error for delivery in deliveries):
                raise CommandError("not every test message was delivered")
            return
        if check:
            alerts_step(now=timezone.now())
        self._show()

    def _show(self) -> None:
        status = alerts_status()
        summary = (
            f"daily summary at {status['summary_hour']:02d}:00"
            if status["daily_summary"]
            else "no daily summary"
        )
        self.stdout.write(f"alerts {'enabled' if status['enabled'] else 'disabled'}, {summary}")
        for target in status["targets"]:
            self.stdout.write(f"  {target['id']}: {target['label']}")
        if not status["targets"]:
            self.stdout.write("  no notification URL yet: dsmrhub alerts --add URL")
        self.stdout.write(
            f"sent {status['sent']}, waiting {status['waiting']}, "
            f"failed attempts {status['failed_attempts']}, dropped {status['dropped']}"
        )
        if status["last_error"]:
            self.stdout.write(f"last error: {status['last_error']}")
