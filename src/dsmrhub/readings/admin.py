from django.contrib import admin

from dsmrhub.readings.models import DsmrReading, MBusReading, MeterStatistics


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
