from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "dsmrhub.devices"
    verbose_name = "M-Bus devices"
