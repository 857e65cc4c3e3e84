"""The web pages: each page module owns its routes, named "<page>" and "<page>-<something>"."""

from django.urls import include, path

urlpatterns = [
    path("", include("dsmrhub.web.views.dashboard")),
    path("archive/", include("dsmrhub.web.views.archive")),
    path("trends/", include("dsmrhub.web.views.trends")),
    path("contracts/", include("dsmrhub.web.views.contracts")),
    path("compare/", include("dsmrhub.web.views.compare")),
    path("capacity/", include("dsmrhub.web.views.capacity")),
    path("meter/", include("dsmrhub.web.views.meter")),
    path("status/", include("dsmrhub.web.views.status")),
    path("export/", include("dsmrhub.web.views.export")),
    path("settings/", include("dsmrhub.web.views.settings")),
    path("accounts/", include("dsmrhub.web.views.login")),
]
