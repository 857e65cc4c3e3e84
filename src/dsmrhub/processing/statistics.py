"""Minute rows (+ gas hours, meter epochs, contracts) → hour and day statistics of complete local periods.

Consumption in a period is A(end) − A(start), A(t) being the position of the latest reading at or before t
plus earlier meter drops; so the hours of a day add up exactly to the day, and days to the meter advance.

Imported history (rows with ``imported=True``, written by ``processing.history.statistics_import``) is never
deleted by a refresh or rebuild. Where processing computes its own row for a period, that row replaces the
imported one — except for a period that starts before the first reading (processing would only see part of
it, while the imported row was computed from readings since deleted): there the imported row stays and the
own row is not written. A period for which processing computes no row (no readings in it) keeps its
imported row. See ``_own_or_imported``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from dsmrhub.processing.costs import day_statistics_price
from dsmrhub.processing.gas import gas_hours, gas_position_at
from dsmrhub.processing.models import DayStatistics, HourStatistics, QuarterStatistics
from dsmrhub.processing.periods import HOUR, day_end, day_start, from_epoch, hour_shift, local_date
from dsmrhub.processing.positions import NAMES, QUARTER, period_uses
from dsmrhub.processing.quarantine import Window
from dsmrhub.processing.sql import READINGS, fetch

# statistics field ← register
STAT_FIELDS = {
    "delivered_1": "electricity1",
    "delivered_2": "electricity2",
    "returned_1": "electricity1_returned",
    "returned_2": "electricity2_returned",
}


def _dec(thousandths: int) -> Decimal:
    return Decimal(thousandths).scaleb(-3)


def latest_reading_at(*, window: Window) -> int | None:
    sql = f"SELECT MAX(timestamp) FROM {READINGS} WHERE {window.contains('timestamp')}"
    return fetch(sql, window.bounds)[0][0]


def first_reading_at(*, window: Window) -> int | None:
    sql = f"SELECT MIN(timestamp) FROM {READINGS} WHERE {window.contains('timestamp')}"
    return fetch(sql, window.bounds)[0][0]


def statistics_refresh(*, first_day: date, last_day: date, window: Window) -> None:
    """Rewrite the hour and day statistics of the local days [first_day, last_day] (complete periods only);
    readings outside the processor's window do not count."""
    latest = latest_reading_at(window=window)
    span_start, span_end = day_start(first_day), day_end(last_day)
    HourStatistics.objects.filter(
        hour_start__gte=from_epoch(span_start), hour_start__lt=from_epoch(span_end), imported=False
    ).delete()
    DayStatistics.objects.filter(day__gte=first_day, day__lte=last_day, imported=False).delete()
    QuarterStatistics.objects.filter(
        quarter_start__gte=from_epoch(span_start), quarter_start__lt=from_epoch(span_end)
    ).delete()
    shift = hour_shift(span_start, span_end)
    found = (
        period_uses(start=span_start, end=span_end, length=HOUR, shift=shift, window=window)
        if latest is not None
        else None
    )
    if found is None:
        return
    raw, uses = found
    first = first_reading_at(window=window)
    gas_by_hour = gas_hours(start=span_start, end=span_end)
    gas_reading = gas_position_at(span_start)

    hours: list[HourStatistics] = []
    days: dict[date, dict] = {}
    hour = span_start
    while hour < span_end and hour + HOUR <= latest:
        end = hour + HOUR
        day = local_date(hour)
        if day not in days:
            days[day] = {
                "raw": list(raw),
                "gas_reading": gas_reading,
                "sums": defaultdict(int),
                "gas": Decimal(0),
            }
        period = uses.get(hour)
        use = period.use if period else [0, 0, 0, 0]
        if period:
            raw = period.raw
        gas = gas_by_hour.get(hour)  # (position at the hour's end, use)
        # An hour that ends at or before the first reading has no statistic (a DSMR 4 gas value stamped
        # before the first reading only gives the position the first day starts from).
        if (period or gas is not None) and end > first:
            gas_use = gas[1] if gas is not None else Decimal("0.000")
            hours.append(
                HourStatistics(
                    hour_start=from_epoch(hour),
                    gas=gas_use,
                    **{STAT_FIELDS[name]: _dec(use[i]) for i, name in enumerate(NAMES)},
                )
            )
            for i, name in enumerate(NAMES):
                days[day]["sums"][name] += use[i]
            days[day]["gas"] += gas_use
            days[day]["has_data"] = True
            if days[day]["gas_reading"] is None and gas is not None:
                # The first day with gas: its position at the first gas value (as electricity's first day
                # starts at the first reading).
                days[day]["gas_reading"] = gas[0] - gas[1]
        if gas is not None:
            gas_reading = gas[0]
        hour = end
    day_rows = _day_rows(days, latest=latest, first_day=first_day, last_day=last_day)
    hour_span = {"hour_start__gte": from_epoch(span_start), "hour_start__lt": from_epoch(span_end)}
    day_span = {"day__gte": first_day, "day__lte": last_day}
    HourStatistics.objects.bulk_create(_own_or_imported(hours, key="hour_start", span=hour_span, first=first))
    _quarters_store(span_start, span_end, latest=latest, window=window)
    DayStatistics.objects.bulk_create(_own_or_imported(day_rows, key="day", span=day_span, first=first))


def _quarters_store(start: int, end: int, *, latest: int, window: Window) -> None:
    """The complete quarter hours in [start, end) (local midnights are quarter starts in every zone)."""
    found = period_uses(start=start, end=end, length=QUARTER, shift=0, window=window)
    if found is None:
        return
    QuarterStatistics.objects.bulk_create(
        QuarterStatistics(
            quarter_start=from_epoch(period.start),
            **{name: _dec(period.use[i]) for i, name in enumerate(NAMES)},
        )
        for period in found[1].values()
        if period.start + QUARTER <= latest
    )


def _own_or_imported(rows: list, *, key: str, span: dict, first: int) -> list:
    """The own rows to write, after removing the imported rows they replace (same model, same period).

    An own row replaces an imported row of its period when the period starts at or after the first reading
    (``first``, Unix seconds): processing then saw the whole period. For a period that starts before it,
    the imported row is kept and the own (partial) row dropped. ``span`` filters the refreshed range.
    """
    if not rows:
        return rows
    model = type(rows[0])
    imported = set(model.objects.filter(**span, imported=True).values_list(key, flat=True))
    if not imported:
        return rows

    def start(value) -> int:
        return day_start(value) if key == "day" else int(value.timestamp())

    keep = [row for row in rows if getattr(row, key) not in imported or start(getattr(row, key)) >= first]
    replaced = [getattr(row, key) for row in keep if getattr(row, key) in imported]
    for at in range(0, len(replaced), 500):
        model.objects.filter(**{f"{key}__in": replaced[at : at + 500], "imported": True}).delete()
    return keep


def _day_rows(days: dict[date, dict], *, latest: int, first_day: date, last_day: date) -> list[DayStatistics]:
    rows = []
    for day, data in days.items():
        if not data.get("has_data") or day_end(day) > latest:
            continue
        use = {STAT_FIELDS[name]: _dec(data["sums"][name]) for name in NAMES}
        rows.append(
            DayStatistics(
                day=day,
                gas=data["gas"],
                **use,
                **{f"{STAT_FIELDS[name]}_reading": _dec(data["raw"][i]) for i, name in enumerate(NAMES)},
                gas_reading=data["gas_reading"],
            )
        )
    day_statistics_price(rows)  # the cost columns, by the cost engine (processing.costs)
    return rows


def statistics_costs_refresh(*, first_day: date | None = None, last_day: date | None = None) -> int:
    """Recompute the costs of stored day statistics (after a contract changed); returns the days updated."""
    days = DayStatistics.objects.all()
    if first_day:
        days = days.filter(day__gte=first_day)
    if last_day:
        days = days.filter(day__lte=last_day)
    rows = list(days)
    if not rows:
        return 0
    day_statistics_price(rows)
    DayStatistics.objects.bulk_update(
        rows,
        ["electricity1_cost", "electricity2_cost", "gas_cost", "fixed_cost", "total_cost", "costs_missing"],
        batch_size=500,
    )
    return len(rows)
