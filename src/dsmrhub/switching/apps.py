from django.apps import AppConfig


class SwitchingConfig(AppConfig):
    name = "dsmrhub.switching"
    verbose_name = "Switching from DSMR-reader"
