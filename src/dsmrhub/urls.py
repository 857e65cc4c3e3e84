from django.contrib import admin
from django.urls import include, path

from dsmrhub.api.exceptions import json_not_found, json_server_error

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("dsmrhub.api.urls")),
    path("", include("dsmrhub.web.urls")),
]


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    from dsmrhub.web.views.errors import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return json_server_error(request)
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": f"Bad request: {exception or 'malformed request'}"}, status=400)
    from dsmrhub.web.views.errors import bad_request

    return bad_request(request, exception)
