from django.apps import AppConfig


class SpotPricesConfig(AppConfig):
    name = "dsmrhub.spotprices"
    verbose_name = "Market prices"
