"""API v2 endpoints of processing (consumption, statistics, application), included under /api/v2/."""

from django.urls import path, re_path

from dsmrhub.api import views_devices
from dsmrhub.api import views_processing as views

urlpatterns = [
    path("consumption/electricity", views.ElectricityConsumptionView.as_view(), name="v2-electricity"),
    path("consumption/gas", views.GasConsumptionView.as_view(), name="v2-gas"),
    path(
        "consumption/quarter-hour-peak-electricity",
        views.QuarterPeakView.as_view(),
        name="v2-quarter-hour-peak-electricity",
    ),
    path("consumption/devices", views_devices.DevicesView.as_view(), name="v2-devices"),
    re_path(
        r"^consumption/devices/(?P<channel>[0-9]{1,3})$",
        views_devices.ChannelConsumptionView.as_view(),
        name="v2-device",
    ),
    path("consumption/water", views_devices.WaterConsumptionView.as_view(), name="v2-water"),
    path("consumption/heat", views_devices.HeatConsumptionView.as_view(), name="v2-heat"),
    path("consumption/cooling", views_devices.CoolingConsumptionView.as_view(), name="v2-cooling"),
    path("consumption/today", views.TodayView.as_view(), name="v2-today"),
    path("consumption/electricity-live", views.ElectricityLiveView.as_view(), name="v2-electricity-live"),
    path("consumption/gas-live", views.GasLiveView.as_view(), name="v2-gas-live"),
    path(
        "consumption/energy-supplier-prices",
        views.EnergySupplierPricesView.as_view(),
        name="v2-energy-supplier-prices",
    ),
    path("statistics/day", views.DayStatisticsView.as_view(), name="v2-statistics-day"),
    path("statistics/hour", views.HourStatisticsView.as_view(), name="v2-statistics-hour"),
    path("application/version", views.VersionView.as_view(), name="v2-version"),
    path("application/status", views.StatusView.as_view(), name="v2-status"),
    path("application/monitoring", views.MonitoringView.as_view(), name="v2-monitoring"),
]
