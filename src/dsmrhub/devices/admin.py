"""The devices in the Django admin: what was seen (read-only), the hand-set kinds and the prices."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from dsmrhub.devices.models import Device, DeviceEpoch, DeviceOverride, DevicePrice
from dsmrhub.devices.services import DeviceSettingError, device_override_set, device_price_validate


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(_ReadOnly):
    list_display = [
        "channel",
        "kind",
        "device_type",
        "identifier",
        "position",
        "unit",
        "first_seen",
        "last_seen",
    ]


@admin.register(DeviceEpoch)
class DeviceEpochAdmin(_ReadOnly):
    list_display = ["timestamp", "channel", "kind", "reason", "before", "after"]


@admin.register(DeviceOverride)
class DeviceOverrideAdmin(admin.ModelAdmin):
    list_display = ["channel", "kind"]

    def save_model(self, request: HttpRequest, obj: DeviceOverride, form: Any, change: bool) -> None:
        obj.pk = device_override_set(channel=obj.channel, kind=obj.kind).pk

    def delete_model(self, request: HttpRequest, obj: DeviceOverride) -> None:
        device_override_set(channel=obj.channel, kind=None)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for override in queryset:
            device_override_set(channel=override.channel, kind=None)


class DevicePriceForm(forms.ModelForm):
    class Meta:
        model = DevicePrice
        fields = ["kind", "start", "end", "price"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            try:
                device_price_validate(
                    pk=self.instance.pk, **{name: data.get(name) for name in self.Meta.fields}
                )
            except DeviceSettingError as error:
                raise forms.ValidationError(str(error)) from None
        return data


@admin.register(DevicePrice)
class DevicePriceAdmin(admin.ModelAdmin):
    form = DevicePriceForm
    list_display = ["kind", "start", "end", "price"]
