from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "dsmrhub.server"
    verbose_name = "Server"
