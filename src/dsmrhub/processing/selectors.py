"""Read-only views of processed data for the API: today so far, live values, status and problems."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dsmrhub.prices.costs import contract_for_day, round_cents
from dsmrhub.processing.costs import day_costs
from dsmrhub.processing.epochs import REGISTERS, epochs_between
from dsmrhub.processing.gas import gas_use_between
from dsmrhub.processing.live import ElectricityLive, electricity_live_figures
from dsmrhub.processing.models import (
    DayStatistics,
    ElectricityConsumption,
    GasConsumption,
    MeterEpoch,
    PendingMinute,
    ProcessingState,
)
from dsmrhub.processing.periods import MINUTE, day_start, from_epoch, local_zone, to_epoch
from dsmrhub.processing.quarantine import placeable_readings, quarantine_summary
from dsmrhub.readings.models import DsmrReading, MeterStatistics

NAMES = list(REGISTERS)
STALE_READINGS = 300  # seconds without a reading before monitoring complains
STALE_PROCESSING = 120  # seconds a pending change may wait


def readings_stale(*, seconds: int | None) -> bool:
    """The latest reading is too old to show its figures as current (the status page's problem)."""
    return seconds is not None and seconds > STALE_READINGS


DAY_TOTAL_FIELDS = (
    "electricity1",
    "electricity2",
    "electricity1_returned",
    "electricity2_returned",
    "gas",
    "electricity1_cost",
    "electricity2_cost",
    "gas_cost",
    "fixed_cost",
    "total_cost",
)


_ZEROS = {  # zero at each field's stored precision: "0.000" kWh, "0.00" money
    name: Decimal(0).scaleb(-DayStatistics._meta.get_field(name).decimal_places) for name in DAY_TOTAL_FIELDS
}


def day_statistics_totals(*, first: date, last: date | None = None) -> dict[str, Any]:
    """Sums of the day statistics in [first, last] (no ``last``: every later day), zero where none,
    ``days``, the number of days with statistics, and ``costs_missing``, the periods whose cost is unknown
    (a cost sum then leaves those days out: show it as incomplete); one aggregate query."""
    rows = DayStatistics.objects.filter(day__gte=first)
    if last is not None:
        rows = rows.filter(day__lte=last)
    sums = rows.aggregate(
        days=Count("day"),
        costs_missing=Sum("costs_missing"),
        **{name: Sum(name) for name in DAY_TOTAL_FIELDS},
    )
    totals: dict[str, Any] = {
        name: sums[name] if sums[name] is not None else _ZEROS[name] for name in DAY_TOTAL_FIELDS
    }
    totals["days"] = sums["days"]
    totals["costs_missing"] = sums["costs_missing"] or 0
    return totals


def _positions(reading: DsmrReading) -> list[Decimal]:
    return [getattr(reading, column) for column in REGISTERS.values()]


def _today_use(*, now: datetime) -> tuple[date, datetime, dict[str, Decimal]] | None:
    """The local day of ``now``, the latest reading at or before it and the use since local midnight:
    A(latest) − A(the reading at or before midnight; else the day's first), meter drops excluded, and gas
    of the day's hours up to ``now``. None without a reading today."""
    today = now.astimezone(local_zone()).date()
    start = day_start(today)
    readings = placeable_readings()
    latest = readings.filter(timestamp__lte=now).order_by("-timestamp").first()
    if latest is None or to_epoch(latest.timestamp) <= start:
        return None
    before = readings.filter(timestamp__lte=from_epoch(start)).order_by("-timestamp").first()
    if before is None:
        before = readings.filter(timestamp__gt=from_epoch(start)).order_by("timestamp").first()
    use = [end - begin for begin, end in zip(_positions(before), _positions(latest), strict=True)]
    for _moment, register, amount in epochs_between(after=start, until=to_epoch(latest.timestamp)):
        use[NAMES.index(register)] += Decimal(amount).scaleb(-3)
    values = {
        "electricity1": use[0],
        "electricity2": use[2],
        "electricity1_returned": use[1],
        "electricity2_returned": use[3],
        "gas": gas_use_between(start=start, end=to_epoch(now)),
    }
    return today, latest.timestamp, values


def consumption_today(*, now: datetime | None = None) -> dict[str, Any] | None:
    """Use (kWh, m³) and costs of the local day so far, as Decimals; None without a reading today.
    The API's and MQTT's today; ``today_summary`` is the same computation with the pages' extra fields."""
    now = now or timezone.now()
    found = _today_use(now=now)
    if found is None:
        return None
    today, _latest, values = found
    costs = day_costs(day=today, use=values, now=now)  # any kind (processing.costs)
    return {
        "day": today.isoformat(),
        "electricity1": values["electricity1"],
        "electricity1_cost": costs.electricity1,
        "electricity1_returned": values["electricity1_returned"],
        "electricity2": values["electricity2"],
        "electricity2_cost": costs.electricity2,
        "electricity2_returned": values["electricity2_returned"],
        "gas": values["gas"],
        "gas_cost": costs.gas,
        "total_cost": costs.total,
    }


TODAY_COST_FIELDS = (
    "electricity1_cost",
    "electricity2_cost",
    "electricity_cost",
    "gas_cost",
    "fixed_cost",
    "total_cost",
)


def today_summary(*, now: datetime | None = None) -> dict[str, Any] | None:
    """Today so far for the pages (the dashboard and the archive's today): ``consumption_today``'s use and
    costs (one computation, so every page shows the same today) plus what a page needs besides:

    - ``until``: the latest reading the figures run to (aware);
    - ``electricity`` and ``electricity_returned`` (both tariffs), ``net`` (used − returned, kWh);
    - ``contract``: whether a contract is in force today. Without one every cost field
      (``TODAY_COST_FIELDS``) is None: unknown, never "€ 0.00" (the API keeps its zeros);
    - ``electricity_cost`` (both tariffs) and ``fixed_cost`` (the day's fixed cost, in cents), so that
      electricity + gas + fixed = total.

    None without a reading today."""
    now = now or timezone.now()
    found = _today_use(now=now)
    if found is None:
        return None
    today, until, values = found
    summary: dict[str, Any] = {"day": today, "until": until, **values}
    summary["electricity"] = values["electricity1"] + values["electricity2"]
    summary["electricity_returned"] = values["electricity1_returned"] + values["electricity2_returned"]
    summary["net"] = summary["electricity"] - summary["electricity_returned"]
    summary["contract"] = contract_for_day(day=today) is not None
    if not summary["contract"]:
        return {**summary, **dict.fromkeys(TODAY_COST_FIELDS)}
    costs = day_costs(day=today, use=values, now=now)
    summary.update(
        electricity1_cost=costs.electricity1,
        electricity2_cost=costs.electricity2,
        electricity_cost=costs.electricity1 + costs.electricity2,
        gas_cost=costs.gas,
        fixed_cost=round_cents(costs.fixed),
        total_cost=costs.total,
    )
    return summary


def application_status(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    latest = placeable_readings().order_by("-timestamp").values_list("timestamp", flat=True).first()
    pending = PendingMinute.objects.order_by("minute").values_list("minute", flat=True)
    oldest_pending = pending.first()
    unprocessed = 0
    if oldest_pending is not None:
        newest_pending = PendingMinute.objects.order_by("-minute").values_list("minute", flat=True).first()
        unprocessed = DsmrReading.objects.filter(
            timestamp__gte=from_epoch(oldest_pending * MINUTE),
            timestamp__lt=from_epoch((newest_pending + 1) * MINUTE),
        ).count()
    gas = GasConsumption.objects.order_by("-read_at").values_list("read_at", flat=True).first()
    electricity = ElectricityConsumption.objects.order_by("-read_at").first()
    day = DayStatistics.objects.order_by("-day").values_list("day", flat=True).first()
    state = ProcessingState.row().first()
    epochs = MeterEpoch.objects.order_by("-timestamp")[:10]
    live = electricity_live_figures(now=now)
    return {
        "readings": {
            "latest": latest,
            "unprocessed": {
                "count": unprocessed,
                "seconds_since": _since(now, from_epoch(oldest_pending * MINUTE)) if oldest_pending else None,
            },
            "seconds_since": _since(now, latest),
        },
        "gas": {"latest": gas, "hours_since": _since(now, gas, 3600)},
        "capabilities": _capabilities(electricity, gas, live),
        "electricity": {
            "latest": electricity.read_at if electricity else None,
            "minutes_since": _since(now, electricity.read_at if electricity else None, 60),
        },
        "statistics": {
            "latest": day.isoformat() if day else None,
            "days_since": (now.astimezone(local_zone()).date() - day).days if day else None,
        },
        "processing": {
            "last_run": state.last_run_at if state else None,
            "seconds_since_last_run": _since(now, state.last_run_at if state else None),
            "lag_seconds": _since(now, from_epoch(oldest_pending * MINUTE)) if oldest_pending else 0,
            "last_error": (state.last_error or None) if state else None,
        },
        "quarantine": quarantine_summary(),
        "meter_epochs": [
            {
                "timestamp": epoch.timestamp,
                "register": epoch.register,
                "before": str(epoch.before),
                "after": str(epoch.after),
            }
            for epoch in epochs
        ],
    }


def _since(now: datetime, moment: datetime | None, unit: int = 1) -> int | None:
    if moment is None:
        return None
    return max(0, int((now - moment).total_seconds()) // unit)


def _capabilities(
    electricity: ElectricityConsumption | None, gas: datetime | None, live: ElectricityLive | None
) -> dict[str, bool]:
    """What the meter measures; returns and phases as the dashboard sees them (the live figures)."""
    has_electricity = electricity is not None
    returned = bool(live and live.has_returned)
    multi = bool(live and len(live.powered_phases) > 1)
    return {
        "any": has_electricity or gas is not None,
        "electricity": has_electricity,
        "electricity_returned": returned,
        "gas": gas is not None,
        "multi_phases": multi,
        "weather": False,
    }


def application_problems(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Processing's part of the one list of problems, each in plain words; what is shown is that list
    (``problems_current`` in ``alerts/problems.py`` gathers this with the other apps' parts)."""
    now = now or timezone.now()
    status = application_status(now=now)
    problems: list[dict[str, Any]] = []
    seconds = status["readings"]["seconds_since"]
    if seconds is None:
        problems.append({"problem": _("No readings have been stored yet."), "since": None})
    elif readings_stale(seconds=seconds):
        problems.append(
            {
                "problem": _("No new reading for %(minutes)s minutes: is the meter connected?")
                % {"minutes": seconds // 60},
                "since": status["readings"]["latest"],
            }
        )
    lag = status["processing"]["lag_seconds"]
    if lag and lag > STALE_PROCESSING:
        problems.append(
            {
                "problem": _(
                    "%(count)s readings wait for processing for %(seconds)s seconds: "
                    "is the processor (`dsmrhub process --follow`) running?"
                )
                % {"count": status["readings"]["unprocessed"]["count"], "seconds": lag},
                "since": from_epoch(to_epoch(now) - lag),
            }
        )
    if status["processing"]["last_error"]:
        problems.append(
            {
                "problem": _("The processor failed: %(error)s")
                % {"error": status["processing"]["last_error"]},
                "since": None,
            }
        )
    for epoch in status["meter_epochs"]:
        problems.append(
            {
                "problem": _(
                    "Meter register %(register)s went down from %(before)s to %(after)s "
                    "(meter replaced or reset); the drop is not counted as use."
                )
                % epoch,
                "since": epoch["timestamp"],
            }
        )
    quarantine = status["quarantine"]
    if quarantine["count"]:
        examples = "; ".join(f"{entry['timestamp']}: {entry['reason']}" for entry in quarantine["first"])
        problems.append(
            {
                "problem": _(
                    "%(count)s stored readings have an implausible time and are left out of processing "
                    "(%(examples)s). Delete them in the admin, through the API or with "
                    "`dsmrhub readings-delete`."
                )
                % {"count": quarantine["count"], "examples": examples},
                "since": quarantine["first"][0]["since"],
            }
        )
    rejected = MeterStatistics.row().values_list("rejected_telegrams", flat=True).first()
    if rejected:
        problems.append(
            {
                "problem": _("%(count)s telegrams were rejected (see the log).") % {"count": rejected},
                "since": None,
            }
        )
    if seconds is not None and contract_for_day(day=now.astimezone(local_zone()).date()) is None:
        problems.append({"problem": _("No energy contract covers today, so costs are zero."), "since": None})
    return problems
