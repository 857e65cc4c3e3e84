from django.contrib import admin, messages

from dsmrhub.api.models import APISettings
from dsmrhub.api.services import api_key_rotate


@admin.register(APISettings)
class APISettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "allow"]
    fields = ["allow", "auth_key"]
    actions = ["rotate_key"]

    def has_add_permission(self, request) -> bool:
        return not APISettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Generate a new random API key")
    def rotate_key(self, request, queryset) -> None:
        api_key_rotate()
        self.message_user(request, "A new API key was generated.", messages.SUCCESS)
