from django.contrib import admin

from dsmrhub.readings.models import DsmrReading, MBusReading, MeterStatistics, epoch_seconds
from dsmrhub.readings.services import readings_delete


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DsmrReading)
class DsmrReadingAdmin(ReadOnlyAdmin):
    list_display = [
        "timestamp",
        "electricity_delivered_1",
        "electricity_delivered_2",
        "electricity_returned_1",
        "electricity_returned_2",
        "electricity_currently_delivered",
        "electricity_currently_returned",
        "extra_device_delivered",
    ]
    show_full_result_count = False

    # Readings are never edited, but a wrong one can be deleted ("Delete selected DSMR readings", or the
    # reading's own page): through the readings service, so processing recomputes what it touched.
    def has_delete_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj: DsmrReading) -> None:
        readings_delete(ids=[obj.id])

    def delete_queryset(self, request, queryset) -> None:
        readings_delete(ids=[epoch_seconds(moment) for moment in queryset.values_list("pk", flat=True)])


@admin.register(MBusReading)
class MBusReadingAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "channel", "device_type", "value", "unit", "equipment_identifier"]
    list_filter = ["channel", "device_type"]
    show_full_result_count = False


@admin.register(MeterStatistics)
class MeterStatisticsAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "dsmr_version", "electricity_tariff", "rejected_telegrams"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
