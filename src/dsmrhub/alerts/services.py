"""Alerts through Apprise: announce a problem when it appears and when it clears, a daily summary of
yesterday, and delivery with retries.

Messages go through a small outbox (``AlertMessage``, one row per target): an endpoint that is down only
delays its messages, which are retried with the project's backoff rule and counted, and nothing here ever
raises into the loop that calls ``alerts_step``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dsmrhub.alerts.models import AlertMessage, AlertSettings, AlertState, AlertTarget, AnnouncedProblem
from dsmrhub.alerts.problems import Problem, problems_current
from dsmrhub.alerts.sender import SenderError, messages_send, urls_label
from dsmrhub.backoff import Backoff
from dsmrhub.processing.selectors import day_statistics_totals

logger = logging.getLogger(__name__)

CHECK_EVERY = 30.0  # seconds between looks at the problems
RETRY_FIRST = 60.0  # seconds after a failed delivery, doubling per attempt…
RETRY_MAX = 1800.0  # …up to half an hour
MESSAGE_MAX_AGE = timedelta(days=2)  # a message not delivered by then is dropped (and counted)
WAITING_MAX = 100  # messages per target; the oldest go first when more wait
TITLE = "dsmrhub"


class AlertError(ValueError):
    """An alert setting refused, with a one-line reason."""


@dataclass(frozen=True, slots=True)
class Delivery:
    target: str  # the URL with its secrets masked
    error: str  # "" when delivered


def alert_target_add(*, url: str) -> AlertTarget:
    """Add an Apprise URL; ``AlertError`` when Apprise does not understand it or it is there already."""
    url = url.strip()
    try:
        [label] = urls_label([url]) if url else [None]
    except SenderError as error:
        raise AlertError(_("The URL could not be checked: %(error)s") % {"error": error}) from None
    if label is None:
        raise AlertError(
            _("Not a notification URL that Apprise knows (e.g. ntfy://topic, tgram://…, json://…).")
        )
    if AlertTarget.objects.filter(url=url).exists():
        raise AlertError(_("This notification URL is there already."))
    return AlertTarget.objects.create(url=url, label=label[:300])


def alert_target_remove(*, target_id: int) -> None:
    """Remove a target (its waiting messages go with it); ``AlertError`` when there is none with that id."""
    deleted, _details = AlertTarget.objects.filter(pk=target_id).delete()
    if not deleted:
        raise AlertError(_("No notification URL has number %(id)s.") % {"id": target_id})


def alert_settings_update(
    *, enabled: bool | None = None, daily_summary: bool | None = None, summary_hour: int | None = None
) -> AlertSettings:
    """Change the given settings (None: keep); ``AlertError`` for an hour outside 0-23."""
    if summary_hour is not None and not 0 <= summary_hour <= 23:
        raise AlertError(_("The summary hour is 0 to 23."))
    changes = {
        name: value
        for name, value in (
            ("enabled", enabled),
            ("daily_summary", daily_summary),
            ("summary_hour", summary_hour),
        )
        if value is not None
    }
    return AlertSettings.store(**changes) if changes else AlertSettings.load()


def _enqueue(*, title: str, body: str, now: datetime) -> int:
    targets = list(AlertTarget.objects.values_list("pk", flat=True))
    AlertMessage.objects.bulk_create(
        AlertMessage(target_id=target, title=title, body=body, created_at=now, next_attempt_at=now)
        for target in targets
    )
    return len(targets)


def alerts_check(*, now: datetime, problems: list[Problem] | None = None) -> tuple[list[str], list[str]]:
    """Compare the problems with those announced: a message for each that appeared and each that cleared;
    (appeared, cleared) texts. Without targets (or with alerts off) nothing is announced or remembered, so
    that a target added later hears of the problems there are."""
    config = AlertSettings.peek()
    if not config.enabled or not AlertTarget.objects.exists():
        AnnouncedProblem.objects.all().delete()
        return [], []
    current = {
        problem.key: problem for problem in (problems if problems is not None else problems_current(now=now))
    }
    announced = {row.key: row for row in AnnouncedProblem.objects.all()}
    appeared = [problem for key, problem in current.items() if key not in announced]
    cleared = [row for key, row in announced.items() if key not in current]
    with transaction.atomic():
        for problem in appeared:
            AnnouncedProblem.objects.create(key=problem.key, text=problem.text, appeared_at=now)
            _enqueue(
                title=_("Problem: %(text)s") % {"text": _short(problem.text)}, body=problem.text, now=now
            )
        for row in cleared:
            row.delete()
            _enqueue(
                title=_("Solved: %(text)s") % {"text": _short(row.text)},
                body=_("Solved: %(text)s") % {"text": row.text},
                now=now,
            )
    return [problem.text for problem in appeared], [row.text for row in cleared]


def _short(text: str, length: int = 80) -> str:
    text = text.replace("`", "")
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _amount(value: Decimal | None, places: int) -> str:
    if value is None:
        return "–"
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def summary_text(*, day: date) -> str:
    """Yesterday's use and cost in one paragraph, from the day statistics."""
    totals = day_statistics_totals(first=day, last=day)
    if not totals["days"]:
        return _("No statistics for %(day)s (no readings that day, or not processed yet).") % {"day": day}
    used = totals["electricity1"] + totals["electricity2"]
    returned = totals["electricity1_returned"] + totals["electricity2_returned"]
    cost = totals["total_cost"]
    text = _("%(day)s: electricity %(used)s kWh used, %(returned)s kWh returned; gas %(gas)s m³.") % {
        "day": day,
        "used": _amount(used, 3),
        "returned": _amount(returned, 3),
        "gas": _amount(totals["gas"], 3),
    }
    if cost is None:
        return text + " " + _("Cost unknown (prices missing).")
    return text + " " + _("Cost € %(cost)s.") % {"cost": _amount(cost, 2)}


def alerts_summary(*, now: datetime) -> bool:
    """The daily summary of yesterday, once a day from the configured hour; whether one was queued."""
    config = AlertSettings.peek()
    if not (config.enabled and config.daily_summary):
        return False
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    if local.hour < config.summary_hour or AlertState.peek().last_summary_day == local.date():
        return False
    AlertState.load()
    AlertState.row().update(last_summary_day=local.date())
    yesterday = local.date() - timedelta(days=1)
    return bool(_enqueue(title=_("Yesterday's use and cost"), body=summary_text(day=yesterday), now=now))


def alerts_deliver(*, now: datetime) -> tuple[int, int]:
    """Send the messages that are due; (delivered, failed). A failure waits longer each attempt."""
    _drop_stale(now=now)
    delivered = failed = 0
    due = list(AlertMessage.objects.filter(next_attempt_at__lte=now).select_related("target"))
    try:
        errors = messages_send([(message.target.url, message.title, message.body) for message in due])
    except SenderError as error:  # the sending process failed: every message of this round counts as failed
        errors = [str(error)] * len(due)
    for message, error in zip(due, errors, strict=True):
        AlertState.load()
        if not error:
            message.delete()
            AlertState.row().update(sent=F("sent") + 1, last_sent_at=now)
            delivered += 1
            continue
        backoff = Backoff(initial=RETRY_FIRST, cap=RETRY_MAX)
        pause = [backoff.next() for _attempt in range(message.attempts + 1)][-1]
        AlertMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=pause)
        )
        AlertState.row().update(
            failed_attempts=F("failed_attempts") + 1,
            last_error=f"{message.target.label}: {error}"[:500],
            last_error_at=now,
        )
        logger.warning(
            "alert to %s not delivered: %s; next try in %.0f s",
            message.target.label,
            error,
            pause,
        )
        failed += 1
    return delivered, failed


def _drop_stale(*, now: datetime) -> None:
    stale = AlertMessage.objects.filter(created_at__lt=now - MESSAGE_MAX_AGE)
    dropped = stale.delete()[0]
    for target in AlertTarget.objects.all():
        over = list(target.messages.order_by("-id").values_list("pk", flat=True)[WAITING_MAX:])
        dropped += AlertMessage.objects.filter(pk__in=over).delete()[0]
    if dropped:
        AlertState.load()
        AlertState.row().update(dropped=F("dropped") + dropped)
        logger.warning("%d alert messages dropped (undelivered too long, or too many waiting)", dropped)


def alerts_step(*, now: datetime | None = None) -> float:
    """One turn of the alerts: problems compared, the summary when due, messages sent; the seconds to
    wait before the next turn. Never raises: a failure is logged and the next turn tries again."""
    now = now or timezone.now()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            alerts_check(now=now)
            alerts_summary(now=now)
        AlertState.load()
        AlertState.row().update(last_check_at=now)
        alerts_deliver(now=now)
    except Exception:
        logger.exception("alerts: this turn failed; the next one tries again")
        return CHECK_EVERY
    waiting = AlertMessage.objects.aggregate(next=Min("next_attempt_at"))["next"]
    if waiting is None:
        return CHECK_EVERY
    return max(1.0, min(CHECK_EVERY, (waiting - now).total_seconds()))


def alerts_test(*, now: datetime | None = None) -> list[Delivery]:
    """A test message to every target, sent at once (not through the outbox): what each answered."""
    with translation.override(settings.LANGUAGE_CODE):
        body = _("A test message from dsmrhub: alerts reach you here.")
    targets = list(AlertTarget.objects.all())
    try:
        errors = messages_send([(target.url, TITLE, body) for target in targets])
    except SenderError as error:
        errors = [str(error)] * len(targets)
    return [Delivery(target=target.label, error=error) for target, error in zip(targets, errors, strict=True)]
