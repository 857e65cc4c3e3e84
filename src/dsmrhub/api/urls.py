from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from dsmrhub.api import views
from dsmrhub.api.exceptions import json_not_found

urlpatterns = [
    path("v1/datalogger/dsmrreading", views.v1_dsmrreading, name="v1-dsmrreading"),
    path("v2/datalogger/dsmrreading", views.DsmrReadingView.as_view(), name="v2-dsmrreading"),
    # ids are Unix seconds, negative before 1970; at most 18 digits always fit the database's integers
    re_path(
        r"^v2/datalogger/dsmrreading/(?P<reading_id>-?[0-9]{1,18})$",
        views.DsmrReadingDetailView.as_view(),
        name="v2-dsmrreading-detail",
    ),
    path("v2/datalogger/meter-statistics", views.MeterStatisticsView.as_view(), name="v2-meter-statistics"),
    path(
        "v2/schema",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="schema",
    ),
    path("v2/", include("dsmrhub.api.urls_processing")),
    path("v2/", include("dsmrhub.api.urls_costs")),
    re_path(r"^.*$", json_not_found),
]
