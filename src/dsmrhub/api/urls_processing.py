"""API v2 endpoints of processing (consumption, statistics, application): filled in by that work."""

urlpatterns: list = []
