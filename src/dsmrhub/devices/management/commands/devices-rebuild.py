"""`dsmrhub devices-rebuild`: rebuild every device row from the stored M-Bus values."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from dsmrhub.processing.devices import devices_rebuild
from dsmrhub.processing.sql import lock_derived_data


class Command(BaseCommand):
    help = "Rebuild the M-Bus devices' hours, days and epochs (water, heat, gas, …) from the stored values."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            lock_derived_data()
            values = devices_rebuild()
        self.stdout.write(f"devices rebuilt from {values} M-Bus values")
