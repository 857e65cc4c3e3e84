from django.contrib import admin

from dsmrhub.datalogger.models import DataloggerSettings, DataloggerState


@admin.register(DataloggerSettings)
class DataloggerSettingsAdmin(admin.ModelAdmin):
    fields = ["source", "decryption_key", "authentication_key", "min_interval", "changed_at"]
    readonly_fields = ["changed_at"]

    def has_add_permission(self, request) -> bool:
        return not DataloggerSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DataloggerState)
class DataloggerStateAdmin(admin.ModelAdmin):
    list_display = ["source", "connected", "last_telegram_at", "telegrams_per_minute", "last_error"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
