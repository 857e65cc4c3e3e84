from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dsmrhub.datalogger.services import datalogger_settings_get, datalogger_settings_update
from dsmrhub.options import option_alias_deprecated


class Command(BaseCommand):
    help = "Show or change the datalogger settings; a running datalogger picks changes up within seconds."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--source",
            help="source URL (e.g. serial:///dev/ttyUSB0, socket://HOST:PORT, demo); an empty string: none",
        )
        decryption_key = parser.add_argument(
            "--decryption-key", metavar="HEX", help="decryption key (32 hex digits); empty string: none"
        )
        option_alias_deprecated(parser, "--key", target=decryption_key)
        authentication_key = parser.add_argument(
            "--authentication-key", metavar="HEX", help="authentication key of an encrypted meter (optional)"
        )
        option_alias_deprecated(parser, "--auth-key", target=authentication_key)
        parser.add_argument("--min-interval", type=float, help="seconds between stored telegrams (0: all)")

    def handle(self, *args, source, decryption_key, authentication_key, min_interval, **options) -> None:
        if any(value is not None for value in (source, decryption_key, authentication_key, min_interval)):
            try:
                current = datalogger_settings_update(
                    source=source,
                    decryption_key=decryption_key,
                    authentication_key=authentication_key,
                    min_interval=min_interval,
                )
            except ValidationError as error:
                details = "; ".join(
                    f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
                )
                raise CommandError(details) from None
        else:
            current = datalogger_settings_get()
        self.stdout.write(f"source: {current.source or 'none (the datalogger waits for one)'}")
        self.stdout.write(f"decryption key: {'set' if current.decryption_key else 'none'}")
        self.stdout.write(f"authentication key: {'set' if current.authentication_key else 'none'}")
        self.stdout.write(f"minimum interval: {current.min_interval:g} s")
