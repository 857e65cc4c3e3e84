"""API v2 endpoints of costs, included under /api/v2/."""

from django.urls import path

from dsmrhub.api import views_costs as views

urlpatterns = [
    path("costs", views.CostsView.as_view(), name="v2-costs"),
    path("costs/compare", views.CostsCompareView.as_view(), name="v2-costs-compare"),
]
