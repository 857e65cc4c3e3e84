"""dsmrhub's middleware: Django's page middleware, skipped for the API; and, further down, the body limit,
the pages' security headers and the 503 for a busy database.

The API authenticates every request with its key and needs no session, CSRF cookie, language or
messages; for a remote datalogger posting a telegram a second, that work was a fifth of each request.
Each class is a subclass of Django's own, so Django's and the admin's checks still recognise them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware import csrf, locale
from django.shortcuts import render

from dsmrhub.db.busy import RETRY_AFTER_SECONDS, db_error_is_busy

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class _PagesOnly:
    get_response: object

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(_PagesOnly, sessions.SessionMiddleware):
    pass


class LocaleMiddleware(_PagesOnly, locale.LocaleMiddleware):
    pass


class CsrfViewMiddleware(_PagesOnly, csrf.CsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        if is_api(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class AuthenticationMiddleware(_PagesOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(_PagesOnly, messages.MessageMiddleware):
    pass


# dsmrhub's own middleware: body limit, security headers, and a busy database as a 503.

V1_PREFIX = "/api/v1/"
# No inline scripts or styles anywhere: the pages load theirs from /static/. Pico CSS draws its form
# icons from data: URIs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def error_response(request: HttpRequest, status: int, text: str, **headers: str) -> HttpResponse:
    """An error in the form the client reads: plain text on API v1, JSON on the rest of the API,
    a short plain-text page otherwise."""
    if is_api(request) and not request.path_info.startswith(V1_PREFIX):
        response: HttpResponse = JsonResponse({"detail": text}, status=status)
    else:
        response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


class BodyLimitMiddleware:
    """413 for any request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, multipart file parts included.

    Django itself limits only the non-file part of a body, so a large upload was spooled to a temporary
    file by any page before the view refused it. Django reads at most ``Content-Length`` bytes of a body
    and none when the header is absent, so checking the header before anything reads the body is
    enough; a chunked body (no length) is refused with 411 rather than silently read as empty.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH")
        if not length and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return error_response(request, 411, "send the request body with a Content-Length header")
        if length:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if not length.isdigit():
                return error_response(request, 400, f"bad Content-Length header: {length!r}")
            if limit is not None and int(length) > limit:
                return error_response(request, 413, f"request body too large (at most {limit} bytes)")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A Content-Security-Policy for the pages (Django's SecurityMiddleware sends nosniff and the
    referrer policy, XFrameOptionsMiddleware the frame refusal for older browsers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api(request):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class DatabaseBusyMiddleware:
    """A view that gave up waiting for a database lock answers 503 with Retry-After, not 500 with a
    traceback (API v2's errors go through its exception handler, which does the same)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not db_error_is_busy(exception):
            return None
        return busy_response(request, exception)


def busy_response(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The 503 for a request that met a busy database, logged as one line."""
    logger.warning("database busy (%s): %s %s answered 503", exception, request.method, request.path)
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    text = f"database busy: another writer holds the lock; retry in {RETRY_AFTER_SECONDS} s"
    if is_api(request):
        return error_response(request, 503, text, **retry)
    response = render(request, "web/busy.html", {"retry_after": RETRY_AFTER_SECONDS}, status=503)
    response["Retry-After"] = retry["Retry-After"]
    return response
