"""Thin HTTP edges over the reading services."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from dsmrhub.api.filters import DsmrReadingFilter, KnownQueryParamsMixin
from dsmrhub.api.serializers import (
    DsmrReadingSerializer,
    MeterStatisticsSerializer,
    ReadingsDeletedSerializer,
)
from dsmrhub.api.services import api_check_request_key
from dsmrhub.readings.models import DsmrReading
from dsmrhub.readings.selectors import reading_count
from dsmrhub.readings.services import (
    ReadingRejected,
    meter_statistics_count_rejection,
    meter_statistics_get,
    reading_create,
    reading_ingest_telegram,
    readings_delete,
)
from dsmrhub.telegram import CRC_MISMATCH, Frame, TelegramFramer

logger = logging.getLogger(__name__)


def _plain(status_code: int, text: str, **headers: str) -> HttpResponse:
    response = HttpResponse(text, status=status_code, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
def v1_dsmrreading(request: HttpRequest) -> HttpResponse:
    """API v1: a raw telegram in the form field ``telegram``; 201 with an empty body when stored."""
    if request.method != "POST":
        return _plain(405, f"method {request.method} not allowed; POST a telegram", Allow="POST")
    check = api_check_request_key(
        authorization=request.META.get("HTTP_AUTHORIZATION"),
        legacy_key=request.META.get("HTTP_X_AUTHKEY"),
        client=request.META.get("REMOTE_ADDR", ""),
    )
    if check.status == 401:
        return _plain(401, check.detail, **{"WWW-Authenticate": "Token"})
    if check.status != 200:
        return _plain(check.status, check.detail)
    if not request.content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return _plain(415, "send the telegram as form field 'telegram' (application/x-www-form-urlencoded)")
    try:
        telegram = request.POST.get("telegram")
    except RequestDataTooBig:
        return _plain(413, f"request body too large (at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)")
    if not telegram:
        return _plain(400, "missing form field 'telegram'")
    count = _v1_telegram_count(telegram)
    if count > 1:
        # Storing the first and dropping the rest would lose readings silently; the client splits them.
        reason = f"the field holds {count} telegrams; send one per request"
        meter_statistics_count_rejection(reason=reason)
        return _plain(400, f"telegram rejected: {reason}")
    try:
        reading_ingest_telegram(telegram=telegram)
    except ReadingRejected as rejection:
        return _plain(400, f"telegram rejected: {rejection.reason}")
    return HttpResponse(status=201)


def _v1_telegram_count(telegram: str) -> int:
    """Telegrams ('/' header through '!' line) in the field, a second one that fails its CRC included.
    A telegram holds one '/' (its header), so the usual case costs one search; otherwise the framer counts."""
    if telegram.find("/", telegram.find("/") + 1) < 0:
        return 1
    data = telegram.encode("utf-8", "surrogateescape")
    framer = TelegramFramer(max_size=len(data) + 16)
    return sum(
        isinstance(item, Frame) or item.reason.startswith(CRC_MISMATCH)
        for item in [*framer.feed(data), *framer.flush()]
    )


@extend_schema_view(
    post=extend_schema(
        responses={
            201: DsmrReadingSerializer,
            409: OpenApiResponse(
                description="A reading with this timestamp already exists: `detail`, and `existing` holds it."
            ),
        }
    )
)
class DsmrReadingView(KnownQueryParamsMixin, generics.ListCreateAPIView):
    """Readings: list (``timestamp``, ``timestamp__gte``/``__lte``, ``ordering``, ``limit``/``offset``),
    create, and delete a range."""

    queryset = DsmrReading.objects.all()
    serializer_class = DsmrReadingSerializer
    filterset_class = DsmrReadingFilter
    ordering_fields = ["timestamp"]
    ordering = ["timestamp"]
    method_query_params = {"DELETE": ("timestamp", "timestamp__gte", "timestamp__lte")}

    def count_rows(self, queryset) -> int:
        """The total for paging from the hourly counts (the filter backend has validated the bounds)."""
        bounds = DsmrReadingFilter(self.request.query_params, queryset=queryset)
        bounds.form.is_valid()
        since, until = bounds.bounds()
        return reading_count(since=since, until=until)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = reading_create(values=serializer.validated_data)
        except ReadingRejected as rejection:
            raise ValidationError({"detail": rejection.reason}) from None
        body = self.get_serializer(result.reading).data
        if not result.created:
            return Response(
                {"detail": "a reading with this timestamp already exists", "existing": body},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                bound, OpenApiTypes.DATETIME, description=f"delete readings with timestamp {sign}"
            )
            for bound, sign in (
                ("timestamp", "exactly this"),
                ("timestamp__gte", ">= this"),
                ("timestamp__lte", "<= this"),
            )
        ],
        operation_id="datalogger_dsmrreading_delete_range",
        request=None,
        responses={200: ReadingsDeletedSerializer},
        description="Delete the readings in a range (at least one bound, or one exact timestamp); "
        "processing then recomputes the data derived from them.",
    )
    def delete(self, request, *args, **kwargs):
        bounds = DsmrReadingFilter(request.query_params, queryset=self.get_queryset())
        if not bounds.form.is_valid():
            raise ValidationError(bounds.form.errors)
        since, until = bounds.bounds()
        if since is None and until is None:
            raise ValidationError(
                {"detail": "give timestamp, timestamp__gte and/or timestamp__lte: the readings to delete"}
            )
        if since is not None and until is not None and since > until:
            return Response({"deleted": 0})
        return Response({"deleted": readings_delete(since=since, until=until).count})


class DsmrReadingDetailView(KnownQueryParamsMixin, generics.GenericAPIView):
    """One reading by its id (its timestamp in Unix seconds, as the list shows it): DELETE."""

    queryset = DsmrReading.objects.all()
    serializer_class = DsmrReadingSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        operation_id="datalogger_dsmrreading_delete",
        parameters=[OpenApiParameter("reading_id", int, OpenApiParameter.PATH)],
        responses={204: None, 404: OpenApiResponse(description="no reading with this id")},
    )
    def delete(self, request, reading_id: str):
        if not readings_delete(ids=[int(reading_id)]).count:
            raise NotFound(f"no reading with id {reading_id}")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeterStatisticsView(KnownQueryParamsMixin, mixins.UpdateModelMixin, generics.GenericAPIView):
    """The meter's own statistics (one object). PATCH with an empty value sets a nullable field to null."""

    serializer_class = MeterStatisticsSerializer
    pagination_class = None
    filter_backends: list = []

    def get_object(self):
        return meter_statistics_get()

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=MeterStatisticsSerializer)
    def patch(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)
