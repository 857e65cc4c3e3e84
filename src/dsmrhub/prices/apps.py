from django.apps import AppConfig


class PricesConfig(AppConfig):
    name = "dsmrhub.prices"
    verbose_name = "Energy prices"
