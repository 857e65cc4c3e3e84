from django.apps import AppConfig


class DataloggerConfig(AppConfig):
    name = "dsmrhub.datalogger"
    verbose_name = "Datalogger"
