from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "dsmrhub.alerts"
    verbose_name = "Alerts"
