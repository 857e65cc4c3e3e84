"""The pages' 404 and 400 answers in the frame (templates/404.html, 400.html); the API answers in JSON
(dsmrhub.urls picks)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return defaults.page_not_found(request, exception, template_name="404.html")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own bad_request renders without the request (no navigation, no language); this one renders
    the frame, and falls back to the bare template if the request itself cannot be rendered with."""
    template = loader.get_template("400.html")
    try:
        body = template.render({}, request)
    except Exception:  # a request broken enough to fail the frame still gets a 400, never a 500
        logger.warning("400 page rendered without the request", exc_info=True)
        body = template.render({})
    return HttpResponse(body, status=400)
