from django.apps import AppConfig


class MqttConfig(AppConfig):
    name = "dsmrhub.mqtt"
    verbose_name = "MQTT"
