from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dsmrhub.web"
    verbose_name = "Web interface"
