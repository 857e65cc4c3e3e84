"""Every API error is JSON with a reason; nothing returns HTML or a bare 500 to an API client."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from rest_framework.views import exception_handler as drf_exception_handler

from dsmrhub.db.busy import db_error_is_busy
from dsmrhub.middleware import busy_response

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        return JsonResponse({"detail": f"request body too large (at most {_max_body()} bytes)"}, status=413)
    if db_error_is_busy(exc):
        return busy_response(context["request"], exc)
    if isinstance(exc, SuspiciousOperation):
        return JsonResponse({"detail": f"bad request: {exc}"}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unexpected API error", exc_info=exc)
        return JsonResponse({"detail": "Internal error; see the server log"}, status=500)
    return response


def _max_body() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def json_not_found(request, exception=None) -> JsonResponse:
    return JsonResponse({"detail": f"Not found: {request.path}"}, status=404)


def json_server_error(request) -> JsonResponse:
    return JsonResponse({"detail": "Internal error; see the server log"}, status=500)
