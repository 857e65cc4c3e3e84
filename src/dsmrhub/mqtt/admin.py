from django import forms
from django.contrib import admin

from dsmrhub.mqtt.models import MQTTSettings, MQTTState
from dsmrhub.mqtt.services import mqtt_watermark_start
from dsmrhub.options import secret_kept


class MQTTSettingsForm(forms.ModelForm):
    """The password is write-only: never rendered back; left empty, the stored one is kept."""

    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored password. Tick 'clear password' to remove it.",
    )
    clear_password = forms.BooleanField(required=False)

    class Meta:
        model = MQTTSettings
        fields = [f.name for f in MQTTSettings._meta.fields if f.name not in ("id", "password", "changed_at")]

    def save(self, commit: bool = True):
        settings = super().save(commit=False)
        data = self.cleaned_data
        settings.password = secret_kept(
            entered=data.get("password"), clear=data.get("clear_password"), stored=settings.password
        )
        if commit:
            settings.save()
        return settings


@admin.register(MQTTSettings)
class MQTTSettingsAdmin(admin.ModelAdmin):
    form = MQTTSettingsForm
    list_display = ["__str__", "enabled", "host", "port", "prefix"]
    fieldsets = [
        (None, {"fields": ["enabled", "host", "port", "username", "password", "clear_password"]}),
        ("TLS", {"fields": ["tls", "tls_ca_file", "tls_insecure"]}),
        ("Publishing", {"fields": ["client_id", "qos", "prefix", "outbox_max"]}),
        (
            "Features",
            {
                "fields": [
                    "publish_raw",
                    "publish_json",
                    "publish_split",
                    "publish_meter_stats",
                    "publish_day_totals",
                    "publish_period_totals",
                    "publish_gas",
                    "publish_quarter_peaks",
                    "publish_running_quarter",
                    "publish_prices",
                ]
            },
        ),
        ("Home Assistant", {"fields": ["discovery", "discovery_prefix", "node_id", "currency"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return not MQTTSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if obj.enabled:
            mqtt_watermark_start()


@admin.register(MQTTState)
class MQTTStateAdmin(admin.ModelAdmin):
    list_display = ["broker", "connected", "published_messages", "dropped_messages", "last_error"]
    exclude = ["discovery"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
