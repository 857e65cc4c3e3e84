"""The datalogger loop for the built-in demo meter (serial and network sources come with issue 4)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from dsmrhub.datalogger.demo import DemoMeter
from dsmrhub.readings.models import DsmrReading
from dsmrhub.readings.services import ReadingRejected, reading_ingest_telegram

logger = logging.getLogger(__name__)


def demo_backfill(*, meter: DemoMeter, since: datetime, until: datetime, step: timedelta) -> int:
    """Store demo readings from ``since`` to ``until`` so charts have a history at once."""
    stored = 0
    moment = since
    while moment < until:
        result = reading_ingest_telegram(telegram=meter.telegram_at(moment))
        stored += result.created
        moment += step
    return stored


def datalogger_run_demo(
    *, interval: float = 1.0, backfill: timedelta = timedelta(0), stop: threading.Event | None = None
) -> None:
    """Feed the demo meter's telegrams through the ingest service every ``interval`` seconds until stopped."""

    stop = stop or threading.Event()
    meter = DemoMeter(tz=ZoneInfo(settings.TIME_ZONE))
    now = timezone.now().replace(microsecond=0)
    since = now - backfill
    latest = DsmrReading.objects.order_by("-timestamp").first()
    if latest is not None:
        # Carry on from the stored positions, so a restart never makes the meter run backwards.
        meter.delivered = [latest.electricity_delivered_1, latest.electricity_delivered_2]
        meter.returned = [latest.electricity_returned_1, latest.electricity_returned_2]
        meter.gas = latest.extra_device_delivered or meter.gas
        meter.telegram_at(latest.timestamp)
        since = max(since, latest.timestamp + timedelta(minutes=1))
    if since < now:
        count = demo_backfill(meter=meter, since=since, until=now, step=timedelta(minutes=1))
        logger.info("demo meter: stored %d readings of history", count)
    logger.info("demo meter: one telegram every %.0f s", interval)
    while not stop.is_set():
        close_old_connections()
        moment = datetime.now(UTC).replace(microsecond=0)
        try:
            reading_ingest_telegram(telegram=meter.telegram_at(moment))
        except ReadingRejected as rejection:  # never expected from the demo; logged and counted already
            logger.error("demo telegram rejected: %s", rejection.reason)
        stop.wait(max(0.0, interval - (time.time() % interval)))
