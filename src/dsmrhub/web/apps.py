from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dsmrhub.web"
    label = "web"
    verbose_name = "Web pages"
