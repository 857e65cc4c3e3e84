"""What the meter's two tariff registers are called on this installation.

The register (0-0:96.14.0) names no tariff, only 1 or 2; what they mean is the country's convention
(``telegram.specs.TARIFF_CONVENTIONS``, found from the latest telegram's variant), unless the user has named
them (``TariffSettings``). Every page (``tariff_names``, translated), the API's ``tariff_name`` and MQTT
(``tariff_label``, as stored: they always speak English) take their labels from here.

A page asks for the labels once per label it shows; within one request the lookup (two small queries) is
made once. Outside requests (the MQTT worker, commands) nothing is kept, so a rename or a new meter shows at
once everywhere, in every process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.signals import request_finished, request_started
from django.utils.translation import gettext, gettext_noop

from dsmrhub.readings.models import TARIFF_NAME_LENGTH, MeterStatistics, TariffSettings
from dsmrhub.telegram import detect_variant
from dsmrhub.telegram.specs import tariff_convention

TARIFFS = (1, 2)
# The convention's English keys, marked for translation (telegram/ imports nothing of Django).
_TRANSLATABLE = (gettext_noop("low"), gettext_noop("normal"), gettext_noop("day"), gettext_noop("night"))
_UNKNOWN = object()


@dataclass(frozen=True, slots=True)
class TariffNaming:
    """Everything a tariff label depends on: the meter's variant and the user's names ("" = none)."""

    variant: str | None  # None: no telegram yet (readings posted as values)
    custom: dict[int, str]

    def label(self, tariff: int) -> str:
        """The name of ``tariff`` in English (or as the user wrote it)."""
        if self.custom.get(tariff):
            return self.custom[tariff]
        convention = tariff_convention(self.variant)
        name = convention.name(tariff) if convention else None
        return name or f"tariff {tariff}"

    def translated(self, tariff: int) -> str:
        """The name of ``tariff`` in the active language (the user's names as written)."""
        if self.custom.get(tariff):
            return self.custom[tariff]
        convention = tariff_convention(self.variant)
        name = convention.name(tariff) if convention else None
        return gettext(name) if name else gettext("tariff %(number)s") % {"number": tariff}

    @property
    def country(self) -> str | None:
        convention = tariff_convention(self.variant)
        return convention.country if convention else None


class _RequestMemo(threading.local):
    active = False
    naming: TariffNaming | None = None


_memo = _RequestMemo()


def _request_started(**kwargs: Any) -> None:
    _memo.active, _memo.naming = True, None


def _request_finished(**kwargs: Any) -> None:
    _memo.active, _memo.naming = False, None


request_started.connect(_request_started, dispatch_uid="dsmrhub.readings.tariffs.started")
request_finished.connect(_request_finished, dispatch_uid="dsmrhub.readings.tariffs.finished")


def telegram_variant(telegram: str | None) -> str | None:
    """The variant of a stored telegram (``MeterStatistics.latest_telegram``); None for none."""
    if not telegram or "/" not in telegram:
        return None
    text = telegram[telegram.index("/") :]
    return detect_variant(text.splitlines()[0], text)


def meter_variant() -> str | None:
    """The telegram variant of the meter, from its latest telegram (None before the first one)."""
    return telegram_variant(MeterStatistics.row().values_list("latest_telegram", flat=True).first())


def _custom_names() -> dict[int, str]:
    row = TariffSettings.row().values_list("tariff_1_name", "tariff_2_name").first() or ("", "")
    return dict(zip(TARIFFS, row, strict=True))


def tariff_naming() -> TariffNaming:
    """The meter's variant and the user's names; looked up once per request."""
    if _memo.active and _memo.naming is not None:
        return _memo.naming
    naming = TariffNaming(variant=meter_variant(), custom=_custom_names())
    if _memo.active:
        _memo.naming = naming
    return naming


def tariff_names() -> dict[int, str]:
    """Tariff register → its label in the active language, e.g. {1: "low", 2: "normal"} on a Dutch meter,
    {1: "day", 2: "night"} on a Belgian one, or the names the user gave them."""
    naming = tariff_naming()
    return {tariff: naming.translated(tariff) for tariff in TARIFFS}


def tariff_label(*, tariff: int | None, variant: str | None | object = _UNKNOWN) -> str | None:
    """The English (or user-given) name of ``tariff``; None when the tariff is unknown. ``variant``: the
    meter's, when the caller has it already."""
    if tariff is None:
        return None
    if variant is _UNKNOWN or (_memo.active and _memo.naming is not None):
        naming = tariff_naming()
        if variant is not _UNKNOWN:
            naming = TariffNaming(variant=variant, custom=naming.custom)  # type: ignore[arg-type]
    else:  # the caller knows the variant: only the user's names are read
        naming = TariffNaming(variant=variant, custom=_custom_names())  # type: ignore[arg-type]
    return naming.label(tariff)


def tariff_settings_update(*, names: dict[int, str | None]) -> TariffSettings:
    """Rename tariffs: ``names`` maps 1 and/or 2 to a name, "" (or blanks) for the country's name again, or
    None to leave it. Raises ``ValidationError`` for an unknown tariff or a name that is too long."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for tariff, name in names.items():
        if tariff not in TARIFFS:
            errors.setdefault("tariff", []).append(
                gettext("There is no tariff %(number)s.") % {"number": tariff}
            )
            continue
        if name is None:
            continue
        name = " ".join(name.split())
        if len(name) > TARIFF_NAME_LENGTH:
            errors[f"tariff_{tariff}_name"] = [
                gettext("At most %(count)s characters.") % {"count": TARIFF_NAME_LENGTH}
            ]
        values[f"tariff_{tariff}_name"] = name
    if errors:
        raise ValidationError(errors)
    settings = TariffSettings.store(**values) if values else TariffSettings.peek()
    _memo.naming = None
    return settings
