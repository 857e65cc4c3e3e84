from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dsmrhub.datalogger.services import DEFAULT_SOURCE, datalogger_settings_get, datalogger_settings_update


class Command(BaseCommand):
    help = "Show or change the datalogger settings; a running datalogger picks changes up within seconds."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--source", help="source URL; an empty string means the demo meter")
        parser.add_argument("--key", help="decryption key (32 hex digits); empty string: none")
        parser.add_argument("--auth-key", help="authentication key of an encrypted meter (optional)")
        parser.add_argument("--min-interval", type=float, help="seconds between stored telegrams (0: all)")

    def handle(self, *args, source, key, auth_key, min_interval, **options) -> None:
        if any(value is not None for value in (source, key, auth_key, min_interval)):
            try:
                current = datalogger_settings_update(
                    source=source, decryption_key=key, authentication_key=auth_key, min_interval=min_interval
                )
            except ValidationError as error:
                details = "; ".join(
                    f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
                )
                raise CommandError(details) from None
        else:
            current = datalogger_settings_get()
        self.stdout.write(f"source: {current.source or DEFAULT_SOURCE + ' (default)'}")
        self.stdout.write(f"decryption key: {'set' if current.decryption_key else 'none'}")
        self.stdout.write(f"authentication key: {'set' if current.authentication_key else 'none'}")
        self.stdout.write(f"minimum interval: {current.min_interval:g} s")
