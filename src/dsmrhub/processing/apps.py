from django.apps import AppConfig


class ProcessingConfig(AppConfig):
    name = "dsmrhub.processing"
    verbose_name = "Processing"
