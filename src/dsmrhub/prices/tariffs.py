"""A contract as the cost engine reads it: ``Tariff``, built from a stored contract or from a spec.

The engine (``processing.costs``) prices energy with a ``Tariff`` only, never with a model instance, so a
stored contract and one entered ad hoc for a comparison (``contract compare``) are priced by the same code.

Time-of-use bands are chosen by the local day type and the local quarter hour a quarter starts in: day types
are Monday … Sunday and, when the contract names a country, its public holidays (``holidays`` package),
priced as a day type of their own. Bands change on quarter hours (the resolution costs are computed at), so
a band set is validated on a grid of 96 quarters × 7 (or 8) day types: every cell belongs to exactly one
band. On the 25-hour day the repeated hour 02:00–03:00 is priced twice by the band of 02:00–03:00; on the
23-hour day that hour does not exist and simply has no energy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import holidays

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")
HOLIDAY = 7
DAY_TYPES = len(DAY_NAMES)
QUARTER_MINUTES = 15
QUARTERS_PER_DAY = 24 * 60 // QUARTER_MINUTES
HUNDRED = Decimal(100)
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    """Local minutes [start_minute, end_minute) of the day types in ``days`` (bit 0 Monday … 7 holiday)."""

    days: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class BandSpec:
    name: str
    delivered_price: Decimal  # € per kWh delivered
    returned_price: Decimal  # € per kWh returned (credited)
    periods: tuple[PeriodSpec, ...]


@dataclass(frozen=True, slots=True)
class TermSpec:
    """(market + markup + tax) × (1 + vat_percent / 100): the price per kWh or m3 of a dynamic contract."""

    commodity: str
    markup: Decimal
    tax: Decimal
    vat_percent: Decimal

    def unit_price(self, market: Decimal) -> Decimal:
        return (market + self.markup + self.tax) * (ONE + self.vat_percent / HUNDRED)


def band_grid(bands: tuple[BandSpec, ...] | list[BandSpec]) -> list[list[list[int]]]:
    """grid[day type][quarter of the day] → the indexes of the bands holding then (valid: exactly one)."""
    grid: list[list[list[int]]] = [[[] for _ in range(QUARTERS_PER_DAY)] for _ in range(DAY_TYPES)]
    for index, band in enumerate(bands):
        for period in band.periods:
            for day_type in range(DAY_TYPES):
                if period.days >> day_type & 1:
                    first = period.start_minute // QUARTER_MINUTES
                    last = period.end_minute // QUARTER_MINUTES
                    for quarter in range(first, last):
                        grid[day_type][quarter].append(index)
    return grid


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def day_type(day: date, country: str) -> int:
    """0 Monday … 6 Sunday, or ``HOLIDAY`` for a public holiday of ``country`` ("" = no holidays)."""
    if country and day in _holidays(country, day.year):
        return HOLIDAY
    return day.weekday()


@dataclass(frozen=True, slots=True)
class Tariff:
    """Everything a contract prices with. ``prices``: the model's price fields by name."""

    label: str
    kind: str  # prices.models.ContractKind
    start: date
    end: date | None
    prices: Mapping[str, Decimal]
    holidays_country: str = ""
    bands: tuple[BandSpec, ...] = ()
    terms: Mapping[str, TermSpec] = field(default_factory=dict)
    contract_id: int | None = None
    # [day type][quarter] → band index (bands contracts; built by ``tariff_make``)
    band_index: tuple[tuple[int, ...], ...] = ()

    def band_at(self, local: datetime) -> BandSpec:
        """The band of the quarter starting at the local time ``local``."""
        quarter = (local.hour * 60 + local.minute) // QUARTER_MINUTES
        return self.bands[self.band_index[day_type(local.date(), self.holidays_country)][quarter]]


def tariff_make(
    *,
    label: str,
    kind: str,
    start: date,
    end: date | None,
    prices: Mapping[str, Decimal],
    holidays_country: str = "",
    bands: tuple[BandSpec, ...] = (),
    terms: Mapping[str, TermSpec] | None = None,
    contract_id: int | None = None,
) -> Tariff:
    """A ``Tariff`` with its band look-up table (the bands must be valid: ``contract_validate``)."""
    grid = band_grid(bands) if bands else []
    index = tuple(tuple(cell[0] if cell else -1 for cell in row) for row in grid)
    return Tariff(
        label=label,
        kind=kind,
        start=start,
        end=end,
        prices=dict(prices),
        holidays_country=holidays_country,
        bands=tuple(bands),
        terms=dict(terms or {}),
        contract_id=contract_id,
        band_index=index,
    )
