from django.core.management.base import BaseCommand, CommandError

from dsmrhub.api.services import api_key_rotate, api_settings_get, api_settings_update
from dsmrhub.options import option_alias_deprecated


class Command(BaseCommand):
    help = "Enable, disable or show the API, or rotate its key."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        enable = actions.add_parser("enable", help="enable the API (optionally with your own key)")
        api_key = enable.add_argument(
            "--api-key",
            metavar="KEY",
            help="use this key (at least 16 characters) instead of the current one",
        )
        option_alias_deprecated(enable, "--key", target=api_key)
        actions.add_parser("disable", help="disable the API")
        actions.add_parser("show", help="show whether the API is enabled, and its key")
        actions.add_parser("rotate-key", help="generate a new random key")

    def handle(self, *args, action: str, api_key: str | None = None, **options) -> None:
        if action == "enable":
            try:
                settings = api_settings_update(allow=True, auth_key=api_key)
            except ValueError as error:
                raise CommandError(str(error)) from None
        elif action == "disable":
            settings = api_settings_update(allow=False)
        elif action == "rotate-key":
            settings = api_key_rotate()
        else:
            settings = api_settings_get()
        self.stdout.write(f"API: {'enabled' if settings.allow else 'disabled'}")
        self.stdout.write(f"key: {settings.auth_key}")
