from django.contrib import admin

from dsmrhub.web.models import WebSettings


@admin.register(WebSettings)
class WebSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "require_login"]
