"""Pages are public and read-only unless the "require login" setting is on; the API has its own keys."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from dsmrhub.web.services import web_settings_get

OPEN_PREFIXES = ("/api/", "/static/", "/admin/", "/accounts/login/", "/favicon")


class RequireLoginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not request.path.startswith(OPEN_PREFIXES)
            and not request.user.is_authenticated
            and web_settings_get().require_login
        ):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
