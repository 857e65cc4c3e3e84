from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    name = "dsmrhub.readings"
    verbose_name = "Readings"
