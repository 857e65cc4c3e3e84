from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dsmrhub.readings.tariffs import TARIFFS, tariff_naming, tariff_settings_update


class Command(BaseCommand):
    help = (
        "Show or change the names of the meter's two tariffs; without a name of their own they are named "
        "by the meter's country (Netherlands: 1 low, 2 normal; Belgium: 1 day, 2 night)."
    )

    def add_arguments(self, parser) -> None:
        for tariff in TARIFFS:
            parser.add_argument(
                f"--tariff-{tariff}-name",
                metavar="NAME",
                help=f"the name of tariff {tariff} (register 1.8.{tariff}/2.8.{tariff}); an empty string: "
                "the country's name again",
            )

    def handle(self, *args, tariff_1_name: str | None, tariff_2_name: str | None, **options) -> None:
        if tariff_1_name is not None or tariff_2_name is not None:
            try:
                tariff_settings_update(names={1: tariff_1_name, 2: tariff_2_name})
            except ValidationError as error:
                details = "; ".join(
                    f"{name.replace('_', '-')}: {' '.join(messages)}"
                    for name, messages in error.message_dict.items()
                )
                raise CommandError(details, returncode=2) from None
        naming = tariff_naming()
        country = naming.country or "none known"
        self.stdout.write(f"meter: {naming.variant or 'no telegram yet'} (tariff convention: {country})")
        for tariff in TARIFFS:
            own = " (own name)" if naming.custom.get(tariff) else ""
            self.stdout.write(f"tariff {tariff}: {naming.label(tariff)}{own}")
