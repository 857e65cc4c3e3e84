"""Which contracts are valid: one validation for the contracts page, the ``contract`` command and the admin.

They call ``contract_validate`` to show errors, and ``processing.contracts.contract_save``/``contract_delete``
to store a change (validated again under the lock) and reprice its days at once. The cost rules live in
``prices.costs``. Nothing in ``prices`` imports processing (docs/architecture.md, the package graph).

A contract's parts beyond its prices (``prices.models``: the kind, time-of-use bands, dynamic price terms)
are given as the frozen specs of ``prices.tariffs`` (``BandSpec``, ``TermSpec``); ``contract_spec_parse``
reads them, and a whole contract, from the JSON form the ``contract`` command and the API accept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import holidays
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext as _

from dsmrhub.prices.models import (
    BandPeriod,
    ContractKind,
    EnergyContract,
    PriceBand,
    PriceTerm,
    TermCommodity,
)
from dsmrhub.prices.tariffs import (
    DAY_NAMES,
    DAY_TYPES,
    HOLIDAY,
    QUARTERS_PER_DAY,
    BandSpec,
    PeriodSpec,
    TermSpec,
    band_grid,
)
from dsmrhub.spotprices.services import PRICE_LIMIT

PRICE_FIELDS = (
    "electricity_delivered_1_price",
    "electricity_delivered_2_price",
    "electricity_returned_1_price",
    "electricity_returned_2_price",
    "gas_price",
    "fixed_daily_cost",
)
# Prices added with the contract kinds (the contracts page edits PRICE_FIELDS only; these keep their value).
MORE_PRICE_FIELDS = ("fixed_monthly_cost", "capacity_price", "capacity_minimum")
# Prices per kWh or m3: beyond spotprices' PRICE_LIMIT (±10 €) is a unit mistake, refused like a market price.
PER_UNIT_FIELDS = PRICE_FIELDS[:5]
CAPACITY_PRICE_LIMIT = Decimal(1000)  # € per kW per year (Flanders 2025: about 50)
CAPACITY_MINIMUM_LIMIT = Decimal(100)  # kW
# Contract days must lie in this range (or the end be empty: open-ended). Meters with a P1 port date from
# 2008, so 2000 leaves room for any imported history; a last day beyond 2099 is a typo or a stand-in for
# "no end" (9999-12-31), and the day after such a date no longer exists for Python's date type.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


class ContractError(ValueError):
    """A contract change that cannot be made; the message says why, in the active language (dates as
    YYYY-MM-DD, the same on pages, in the admin and on the command line).

    ``field``: the field at fault (a model field name, or "bands"/"terms"; None: the contract as a whole);
    ``overlaps``: the contract in the way, for an overlap; ``parts``: for "bands"/"terms", the parts at fault
    as (band name or term commodity, attribute) pairs, attribute one of name, delivered_price,
    returned_price, periods (bands) or markup, tax, vat_percent (terms); empty when no one part is.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        overlaps: EnergyContract | None = None,
        parts: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.field = field
        self.overlaps = overlaps
        self.parts = parts


def _number(value: Any, *, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ContractError(_("Enter a number."), field=field) from None
    if not number.is_finite():
        raise ContractError(_("Enter a number."), field=field)
    return number


def _range_check(
    number: Decimal, *, field: str, places: int, digits: int, low: Decimal, high: Decimal | None
) -> None:
    try:
        DecimalValidator(digits, places)(number)
        MinValueValidator(low)(number)
        if high is not None:
            MaxValueValidator(high)(number)
    except ValidationError as error:
        raise ContractError(" ".join(error.messages), field=field) from None


def _price_limit(name: str) -> Decimal | None:
    if name in PER_UNIT_FIELDS:
        return PRICE_LIMIT
    return {"capacity_price": CAPACITY_PRICE_LIMIT, "capacity_minimum": CAPACITY_MINIMUM_LIMIT}.get(name)


def _price_check(name: str, value: Any) -> None:
    field = EnergyContract._meta.get_field(name)
    number = _number(value, field=name)
    _range_check(
        number,
        field=name,
        places=field.decimal_places,
        digits=field.max_digits,
        low=Decimal(0),
        high=_price_limit(name),
    )


def _overlapping(*, start: date, end: date | None, contract_id: int | None) -> EnergyContract | None:
    others = EnergyContract.objects.filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        others = others.filter(start__lte=end)
    if contract_id is not None:
        others = others.exclude(pk=contract_id)
    return others.order_by("start").first()


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _bands_check(bands: Sequence[BandSpec], holidays_country: str) -> None:
    """Names unique, prices valid, periods on quarter hours, and every quarter of every day type (the
    holiday type only with a country) in exactly one band; the first fault named with day and time."""
    if not bands:
        raise ContractError(_("A time-of-use contract needs at least one band."), field="bands")
    names = [band.name.strip() for band in bands]
    if any(not name for name in names):
        raise ContractError(_("Every band needs a name."), field="bands", parts=(("", "name"),))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ContractError(
            _("Band names must differ."), field="bands", parts=tuple((name, "name") for name in repeated)
        )
    for band in bands:
        for attribute in ("delivered_price", "returned_price"):
            part = ((band.name, attribute),)
            try:
                number = _number(getattr(band, attribute), field="bands")
                _range_check(number, field="bands", places=6, digits=12, low=Decimal(0), high=PRICE_LIMIT)
            except ContractError as error:
                raise ContractError(f"{band.name} {attribute}: {error}", field="bands", parts=part) from None
        if not band.periods:
            raise ContractError(
                _("Band “%(name)s” holds at no time.") % {"name": band.name},
                field="bands",
                parts=((band.name, "periods"),),
            )
        for period in band.periods:
            if not 0 < period.days < 1 << DAY_TYPES:
                raise ContractError(
                    _("A band period needs at least one day."), field="bands", parts=((band.name, "periods"),)
                )
            ok = 0 <= period.start_minute < period.end_minute <= 24 * 60
            if not ok or period.start_minute % 15 or period.end_minute % 15:
                raise ContractError(
                    _("Band “%(name)s”: %(start)s–%(end)s is not a period on quarter hours within a day.")
                    % {
                        "name": band.name,
                        "start": _clock(period.start_minute),
                        "end": _clock(period.end_minute),
                    },
                    field="bands",
                    parts=((band.name, "periods"),),
                )
    grid = band_grid(list(bands))
    day_types = range(DAY_TYPES) if holidays_country else range(HOLIDAY)
    for day_type in day_types:
        for quarter in range(QUARTERS_PER_DAY):
            cell = grid[day_type][quarter]
            if len(cell) == 1:
                continue
            last = quarter + 1  # the run of quarters with the same fault, for the message
            while last < QUARTERS_PER_DAY and grid[day_type][last] == cell:
                last += 1
            where = {
                "day": DAY_NAMES[day_type],
                "start": _clock(quarter * 15),
                "end": _clock(last * 15),
            }
            if not cell:
                raise ContractError(_("No band holds on %(day)s %(start)s–%(end)s.") % where, field="bands")
            raise ContractError(
                _("Bands %(names)s overlap on %(day)s %(start)s–%(end)s.")
                % {**where, "names": " and ".join(f"“{bands[i].name}”" for i in cell)},
                field="bands",
                parts=tuple((bands[i].name, "periods") for i in cell),
            )


def _terms_check(terms: Sequence[TermSpec]) -> None:
    commodities = [term.commodity for term in terms]
    unknown = sorted(set(commodities) - set(TermCommodity.values))
    if unknown:
        raise ContractError(f"unknown price term commodities: {', '.join(unknown)}", field="terms")
    if len(set(commodities)) != len(commodities):
        raise ContractError(_("One price term per commodity."), field="terms")
    missing = [
        c
        for c in (TermCommodity.ELECTRICITY_DELIVERED, TermCommodity.ELECTRICITY_RETURNED)
        if c not in commodities
    ]
    if missing:
        raise ContractError(
            _("A dynamic contract needs price terms for %(what)s.") % {"what": ", ".join(missing)},
            field="terms",
            parts=tuple((commodity, "markup") for commodity in missing),
        )
    for term in terms:
        for attribute, low, high in (
            ("markup", -PRICE_LIMIT, PRICE_LIMIT),
            ("tax", -PRICE_LIMIT, PRICE_LIMIT),
            ("vat_percent", Decimal(0), Decimal(100)),
        ):
            places = 2 if attribute == "vat_percent" else 6
            try:
                number = _number(getattr(term, attribute), field="terms")
                _range_check(number, field="terms", places=places, digits=places + 6, low=low, high=high)
            except ContractError as error:
                raise ContractError(
                    f"{term.commodity} {attribute}: {error}",
                    field="terms",
                    parts=((term.commodity, attribute),),
                ) from None


def contract_validate(
    *,
    contract_id: int | None = None,
    description: str,
    start: date,
    end: date | None,
    prices: Mapping[str, Any],
    kind: str | None = None,
    holidays_country: str | None = None,
    bands: Sequence[BandSpec] | None = None,
    terms: Sequence[TermSpec] | None = None,
    overlap: bool = True,
) -> None:
    """Raise ``ContractError`` for the first thing wrong with this contract (``contract_id``: the one being
    changed, None for a new one): description, prices (zero or more, 6 decimals, per kWh or m3 at most
    ±10 €), dates (in range, end not before start), the kind's parts and overlap. A contract holds the
    prices of every commodity, so contracts may not overlap at all (an overlap for one commodity is one for
    all). ``kind`` None: the kind's parts are not being changed (the contracts page edits prices and
    dates only). ``overlap`` False: a contract entered for a comparison only, never stored."""
    if not description.strip():
        raise ContractError(_("A contract needs a description."), field="description")
    unknown = sorted(set(prices) - set(PRICE_FIELDS) - set(MORE_PRICE_FIELDS))
    if unknown:
        raise ContractError(f"unknown price fields: {', '.join(unknown)}")
    for name in (*PRICE_FIELDS, *MORE_PRICE_FIELDS):
        if name in prices:
            _price_check(name, prices[name])
    for name, day in (("start", start), ("end", end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise ContractError(
                _("Choose a day from %(first)s through %(last)s (leave the last day empty for no end).")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
                field=name,
            )
    if end is not None and end < start:
        raise ContractError(_("The last day lies before the first day."), field="end")
    if kind is not None:
        if kind not in ContractKind.values:
            raise ContractError(
                f"unknown contract kind {kind!r}; expected one of {', '.join(ContractKind.values)}",
                field="kind",
            )
        country = holidays_country or ""
        if country and country not in holidays.list_supported_countries():
            raise ContractError(
                _("Unknown country for public holidays: %(country)s.") % {"country": country},
                field="holidays_country",
            )
        if kind == ContractKind.BANDS:
            _bands_check(bands or [], country)
        elif bands:
            raise ContractError(_("Only a time-of-use contract has bands."), field="bands")
        if kind == ContractKind.DYNAMIC:
            _terms_check(terms or [])
        elif terms:
            raise ContractError(_("Only a dynamic contract has price terms."), field="terms")
    if not overlap:
        return
    other = _overlapping(start=start, end=end, contract_id=contract_id)
    if other is not None:
        raise ContractError(
            _(
                "This period overlaps the contract “%(description)s” (%(start)s – %(end)s); "
                "contracts may not overlap."
            )
            % {
                "description": other.description,
                "start": other.start.isoformat(),
                "end": other.end.isoformat() if other.end else _("open end"),
            },
            overlaps=other,
        )


def contract_parts(contract: EnergyContract) -> tuple[list[BandSpec], list[TermSpec]]:
    """A stored contract's bands and price terms as specs (two queries and one for the band periods)."""
    periods: dict[int, list[PeriodSpec]] = {}
    for period in BandPeriod.objects.filter(band__contract=contract).order_by("id"):
        periods.setdefault(period.band_id, []).append(
            PeriodSpec(days=period.days, start_minute=period.start_minute, end_minute=period.end_minute)
        )
    bands = [
        BandSpec(
            name=band.name,
            delivered_price=band.delivered_price,
            returned_price=band.returned_price,
            periods=tuple(periods.get(band.pk, ())),
        )
        for band in contract.bands.order_by("id")
    ]
    terms = [
        TermSpec(commodity=t.commodity, markup=t.markup, tax=t.tax, vat_percent=t.vat_percent)
        for t in contract.terms.order_by("commodity")
    ]
    return bands, terms


def contract_parts_store(
    *, contract: EnergyContract, bands: Sequence[BandSpec], terms: Sequence[TermSpec]
) -> None:
    """Replace a saved contract's bands and price terms (validated by ``contract_validate``; called by
    ``processing.contracts.contract_save`` inside its transaction)."""
    contract.bands.all().delete()
    contract.terms.all().delete()
    for spec in bands:
        band = PriceBand.objects.create(
            contract=contract,
            name=spec.name.strip(),
            delivered_price=Decimal(str(spec.delivered_price)),
            returned_price=Decimal(str(spec.returned_price)),
        )
        BandPeriod.objects.bulk_create(
            BandPeriod(band=band, days=p.days, start_minute=p.start_minute, end_minute=p.end_minute)
            for p in spec.periods
        )
    PriceTerm.objects.bulk_create(
        PriceTerm(
            contract=contract,
            commodity=t.commodity,
            markup=Decimal(str(t.markup)),
            tax=Decimal(str(t.tax)),
            vat_percent=Decimal(str(t.vat_percent)),
        )
        for t in terms
    )


def contract_day_after(contract: EnergyContract) -> date | None:
    """The first day a next contract can start on; None when ``contract`` is open-ended or ends at (or
    beyond, if stored before the range was enforced) the last allowed day."""
    if contract.end is None or not FIRST_DAY <= contract.end < LAST_DAY:
        return None
    return contract.end + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """A whole contract as given on the command line or to the API (``contract_spec_parse``)."""

    description: str
    start: date
    end: date | None
    kind: str
    prices: dict[str, Decimal]
    holidays_country: str = ""
    bands: tuple[BandSpec, ...] = ()
    terms: tuple[TermSpec, ...] = ()


def _spec_error(message: str) -> ContractError:
    return ContractError(f"contract spec: {message}")


def _spec_days(text: str) -> int:
    """ "mon-fri", "sat,sun,holiday", "all" → the day bit set."""
    bits = 0
    for part in str(text).lower().replace(" ", "").split(","):
        if part == "all":
            bits |= (1 << DAY_TYPES) - 1
            continue
        first, _dash, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise _spec_error(
                f"unknown day {part!r} (use {', '.join(DAY_NAMES)}, ranges like mon-fri, or all)"
            )
        low, high = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        if high < low:
            raise _spec_error(f"day range {part!r} runs backwards")
        for day_type in range(low, high + 1):
            bits |= 1 << day_type
    return bits


def _spec_minute(text: str) -> int:
    hours, colon, minutes = text.strip().partition(":")
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise _spec_error(f"not a time (HH:MM): {text!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > 24 * 60:
        raise _spec_error(f"not a time of day: {text!r}")
    return value


def _spec_periods(item: Mapping[str, Any]) -> list[PeriodSpec]:
    """{"days": "mon-fri", "hours": "22:00-07:00"} → periods (a span past midnight is cut in two, both on
    the same day types: the morning part and the evening part)."""
    days = _spec_days(item.get("days", "all"))
    hours = str(item.get("hours", "00:00-24:00"))
    first, dash, last = hours.partition("-")
    if not dash:
        raise _spec_error(f"hours must be HH:MM-HH:MM, not {hours!r}")
    start, end = _spec_minute(first), _spec_minute(last)
    if start == end:
        raise _spec_error(f"empty hours {hours!r}")
    if start < end:
        return [PeriodSpec(days, start, end)]
    periods = [PeriodSpec(days, start, 24 * 60)]
    return periods + ([PeriodSpec(days, 0, end)] if end else [])


def band_periods_parse(text: str, *, band: str = "") -> tuple[PeriodSpec, ...]:
    """A band's periods as people write them (the contracts page): entries split by ";" or new lines, each
    day types as in a spec ("mon-fri", "sat,sun,holiday", "all"; default all) and local hours HH:MM-HH:MM
    (default the whole day), e.g. "mon-fri 07:00-23:00; sat,sun". Hours past midnight ("23:00-07:00") hold
    on the same day types in the evening and the morning. ``band``: its name, for ``ContractError.parts``."""
    periods: list[PeriodSpec] = []
    for entry in text.replace("\n", ";").split(";"):
        words = entry.split()
        if not words:
            continue
        hours = [word for word in words if ":" in word]
        days = [word for word in words if ":" not in word]
        try:
            if len(hours) > 1:
                raise _spec_error(f"one span of hours per entry, not {' '.join(hours)!r}")
            found = {"days": ",".join(days) or "all", "hours": hours[0] if hours else "00:00-24:00"}
            periods += _spec_periods(found)
        except ContractError as error:
            message = str(error).removeprefix("contract spec: ")
            raise ContractError(message, field="bands", parts=((band, "periods"),)) from None
    return tuple(periods)


def _days_text(bits: int) -> str:
    if bits == (1 << DAY_TYPES) - 1:
        return "all"
    parts, day = [], 0
    while day < DAY_TYPES:
        if not bits >> day & 1:
            day += 1
            continue
        last = day
        while last + 1 < HOLIDAY and bits >> (last + 1) & 1 and day < HOLIDAY:
            last += 1
        if last - day >= 2:
            parts.append(f"{DAY_NAMES[day]}-{DAY_NAMES[last]}")
        else:
            parts += DAY_NAMES[day : last + 1]
        day = last + 1
    return ",".join(parts)


def band_periods_text(periods: Sequence[PeriodSpec]) -> str:
    """Periods in ``band_periods_parse``'s form (an evening and a morning on the same days read as one span
    past midnight), so that parsing the text gives the same band."""
    rest = list(periods)
    entries = []
    while rest:
        period = rest.pop(0)
        start, end = period.start_minute, period.end_minute
        if end == 24 * 60 and start:
            morning = next((p for p in rest if p.days == period.days and p.start_minute == 0), None)
            if morning is not None and morning.end_minute < start:
                rest.remove(morning)
                end = morning.end_minute
        hours = "" if (start, end) == (0, 24 * 60) else f" {_clock(start)}-{_clock(end)}"
        entries.append(f"{_days_text(period.days)}{hours}")
    return "; ".join(entries)


def _spec_date(data: Mapping[str, Any], name: str, default: date | None) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        return default
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _spec_error(f"{name}: not a date (YYYY-MM-DD): {value!r}") from None


SPEC_KEYS = {
    "description", "start", "end", "kind", "holidays_country", "bands", "terms",
    *PRICE_FIELDS, *MORE_PRICE_FIELDS,
}  # fmt: skip


def contract_spec_parse(data: Any, *, default_start: date = FIRST_DAY) -> ContractSpec:
    """A contract from its JSON form, checked by ``contract_validate`` (without the overlap check: that
    is the store's call). Keys: description, start, end (YYYY-MM-DD; start defaults to ``default_start``),
    kind (fixed, bands, dynamic), the price fields by model name, holidays_country, and:

    - bands: [{"name": "peak", "delivered": "0.30", "returned": "0.10",
      "periods": [{"days": "mon-fri", "hours": "07:00-23:00"}]}, …]
    - terms: {"electricity_delivered": {"markup": "0.02", "tax": "0.1088", "vat_percent": "21"},
      "electricity_returned": {"markup": "-0.01"}, "gas": {…}}
    """
    if not isinstance(data, Mapping):
        raise _spec_error("expected a JSON object")
    unknown = sorted(set(data) - SPEC_KEYS)
    if unknown:
        raise _spec_error(f"unknown keys: {', '.join(unknown)}")
    kind = str(data.get("kind", ContractKind.FIXED))
    bands = []
    for item in data.get("bands") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("periods", []), list):
            raise _spec_error('a band is {"name": …, "delivered": …, "returned": …, "periods": [...]}')
        if not all(isinstance(period, Mapping) for period in item.get("periods", [])):
            raise _spec_error('a band period is {"days": "mon-fri", "hours": "07:00-23:00"}')
        periods = [p for period in item.get("periods", []) for p in _spec_periods(period)]
        bands.append(
            BandSpec(
                name=str(item.get("name", "")),
                delivered_price=_number(item.get("delivered", 0), field="bands"),
                returned_price=_number(item.get("returned", 0), field="bands"),
                periods=tuple(periods),
            )
        )
    raw_terms = data.get("terms") or {}
    if not isinstance(raw_terms, Mapping):
        raise _spec_error('terms is {"electricity_delivered": {"markup": …, "tax": …, "vat_percent": …}, …}')
    terms = []
    for commodity, term in raw_terms.items():
        if not isinstance(term, Mapping) or set(term) - {"markup", "tax", "vat_percent"}:
            raise _spec_error(f"terms.{commodity}: keys are markup, tax and vat_percent")
        terms.append(
            TermSpec(
                commodity=str(commodity),
                markup=_number(term.get("markup", 0), field="terms"),
                tax=_number(term.get("tax", 0), field="terms"),
                vat_percent=_number(term.get("vat_percent", 0), field="terms"),
            )
        )
    prices = {name: data[name] for name in (*PRICE_FIELDS, *MORE_PRICE_FIELDS) if name in data}
    start = _spec_date(data, "start", default_start)
    spec = ContractSpec(
        description=str(data.get("description", "")),
        start=start,
        end=_spec_date(data, "end", None),
        kind=kind,
        prices={},
        holidays_country=str(data.get("holidays_country", "")).upper(),
        bands=tuple(bands),
        terms=tuple(terms),
    )
    contract_validate(
        description=spec.description,
        start=spec.start,
        end=spec.end,
        prices=prices,
        kind=spec.kind,
        holidays_country=spec.holidays_country,
        bands=spec.bands,
        terms=spec.terms,
        overlap=False,
    )
    spec.prices.update({name: Decimal(str(value)) for name, value in prices.items()})
    return spec
