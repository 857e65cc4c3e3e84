from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dsmrhub.api"
    verbose_name = "API"

    def ready(self) -> None:
        from dsmrhub.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
