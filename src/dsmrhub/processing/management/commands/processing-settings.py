from django.core.management.base import BaseCommand, CommandError

from dsmrhub.processing.models import GAS_RESOLUTIONS
from dsmrhub.processing.services import processing_settings_get, processing_settings_update


class Command(BaseCommand):
    help = (
        "Show or change how processing shapes the derived data. --gas-resolution hour gives one gas row "
        "per hour (the default), meter one row per gas value (every 5 minutes on DSMR 5)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--gas-resolution",
            metavar="{" + ",".join(value for value, _ in GAS_RESOLUTIONS) + "}",
            help="the resolution of the gas rows (the API's consumption/gas); they are rebuilt",
        )

    def handle(self, *args, gas_resolution: str | None, **options) -> None:
        if gas_resolution is not None:
            try:
                processing_settings_update(gas_resolution=gas_resolution)
            except ValueError as error:
                raise CommandError(str(error)) from None
        settings = processing_settings_get()
        self.stdout.write(
            f"gas resolution: {settings.gas_resolution} ({settings.get_gas_resolution_display()})"
        )
