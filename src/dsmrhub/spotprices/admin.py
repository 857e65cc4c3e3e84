"""Market prices in the Django admin: the fetch settings are editable, the stored prices read-only
(they change only through ``dsmrhub prices import`` and ``fetch``, which check them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from dsmrhub.options import secret_kept
from dsmrhub.spotprices.fetch import price_fetch_settings_problems
from dsmrhub.spotprices.models import MarketPrice, PriceFetchSettings


class PriceFetchSettingsForm(forms.ModelForm):
    """The token is write-only: never rendered back; left empty, the stored one is kept."""

    token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="ENTSO-E security token. Empty keeps the stored one; tick 'clear token' to remove it.",
    )
    clear_token = forms.BooleanField(required=False)

    class Meta:
        model = PriceFetchSettings
        fields = ["enabled", "provider", "zone"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        token = secret_kept(
            entered=data.get("token"), clear=data.get("clear_token"), stored=self.instance.token
        )
        for name, reason in price_fetch_settings_problems(
            enabled=data["enabled"], provider=data["provider"], token=token, zone=data["zone"]
        ):
            self.add_error(name, reason)
        return data

    def save(self, commit: bool = True):
        settings = super().save(commit=False)
        data = self.cleaned_data
        settings.token = secret_kept(
            entered=data.get("token"), clear=data.get("clear_token"), stored=settings.token
        )
        if commit:
            settings.save()
        return settings


@admin.register(PriceFetchSettings)
class PriceFetchSettingsAdmin(admin.ModelAdmin):
    form = PriceFetchSettingsForm
    list_display = ["__str__", "enabled", "provider", "zone", "last_success_at", "last_error"]
    fields = [
        "enabled",
        "provider",
        "token",
        "clear_token",
        "zone",
        "last_attempt_at",
        "last_success_at",
        "last_error",
    ]
    readonly_fields = ["last_attempt_at", "last_success_at", "last_error"]

    def has_add_permission(self, request) -> bool:
        return not PriceFetchSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MarketPrice)
class MarketPriceAdmin(admin.ModelAdmin):
    list_display = ["commodity", "start", "end", "price", "source", "fetched_at"]
    list_filter = ["commodity", "source"]
    ordering = ["-start", "commodity"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
