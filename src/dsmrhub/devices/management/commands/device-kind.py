"""`dsmrhub device-kind`: show the M-Bus channels' kinds, or set one by hand (a meter without a type line)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.devices.kinds import KIND_BY_KEY
from dsmrhub.devices.models import DeviceOverride
from dsmrhub.devices.selectors import devices_present
from dsmrhub.devices.services import DeviceSettingError, device_override_set


class Command(BaseCommand):
    help = (
        "Show what each M-Bus channel is, or set a channel's kind by hand for a meter that sends no (or a "
        "wrong) type line 0-n:24.1.0; the processor's next pass recomputes its figures (gas statistics too)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("channel", nargs="?", type=int, help="the M-Bus channel (0-n: n)")
        parser.add_argument("kind", nargs="?", choices=list(KIND_BY_KEY), help="what the channel is")
        parser.add_argument(
            "--clear", action="store_true", help="remove the channel's kind: its type line decides again"
        )

    def handle(self, *args, channel: int | None, kind: str | None, clear: bool, **options) -> None:
        if channel is not None:
            if (kind is None) == (not clear):
                raise CommandError("give the channel a kind, or --clear", returncode=2)
            try:
                device_override_set(channel=channel, kind=kind)
            except DeviceSettingError as error:
                raise CommandError(str(error), returncode=2) from None
            done = f"is {kind}" if kind else "follows its type line"
            self.stdout.write(f"channel {channel} {done}; the processor's next pass recomputes its figures")
            return
        if clear or kind is not None:
            raise CommandError("say which channel", returncode=2)
        overrides = dict(DeviceOverride.objects.values_list("channel", "kind"))
        present = {device.channel: device for device in devices_present()}
        for number in sorted(set(present) | set(overrides)):
            device = present.get(number)
            sent = (
                "no type line"
                if device is None or device.device_type is None
                else f"type {device.device_type}"
            )
            seen = f"{device.label}, {sent}, {device.position} {device.unit}" if device else "no recent value"
            by_hand = f" (set by hand: {overrides[number]})" if number in overrides else ""
            self.stdout.write(f"channel {number}: {seen}{by_hand}")
        if not present and not overrides:
            self.stdout.write("no M-Bus devices seen yet")
