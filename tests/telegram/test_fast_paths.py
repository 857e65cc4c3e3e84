"""The parser's speed-ups change nothing: a line taken from the line cache contributes exactly what
parsing it afresh does, and the fast constructor builds the same ``Telegram`` as the dataclass's own."""

from __future__ import annotations

import dataclasses

import pytest

from dsmrhub.telegram import Telegram, TelegramError, model, parse_telegram, parser
from dsmrhub.telegram.caches import caches_all, caches_clear
from tests.conftest import FIXTURES
from tests.telegram.corpus import corpus_dir, manifest

FIXTURE_TELEGRAMS = sorted((FIXTURES / "telegrams").glob("*.txt"))


def all_telegrams() -> list[bytes]:
    found = [path.read_bytes() for path in FIXTURE_TELEGRAMS]
    for entry in manifest() or []:
        path = corpus_dir() / entry["file"]
        if path.is_file():
            found.append(path.read_bytes())
    return found


def outcome(data: bytes, tz: str):
    try:
        return parse_telegram(data, tz=tz)
    except TelegramError as error:
        return error.reason


@pytest.mark.parametrize("tz", ["Europe/Amsterdam", "Europe/Brussels"])
def test_line_cache_gives_what_parsing_afresh_gives(tz):
    telegrams = all_telegrams()
    assert telegrams
    caches_clear()
    cold = []
    for data in telegrams:  # every line parsed afresh
        caches_clear()
        cold.append(outcome(data, tz))
    warm = [outcome(data, tz) for data in telegrams * 2]  # later ones from the cache
    assert warm == cold * 2


def test_the_caches_stay_bounded(monkeypatch):
    telegrams = all_telegrams()
    outcome(telegrams[0], "Europe/Amsterdam")  # the caches of this zone exist from here on
    for cache in caches_all():
        monkeypatch.setattr(cache, "limit", 5)
    caches_clear()
    for data in telegrams:
        outcome(data, "Europe/Amsterdam")
    assert max(len(cache) for cache in caches_all()) == 5


def test_fast_constructor_builds_what_the_dataclass_builds(monkeypatch):
    made = []

    def checked(values):
        unknown = set(values) - {item.name for item in dataclasses.fields(Telegram)}
        assert not unknown, unknown
        telegram = model.telegram_from_values(values)
        made.append((telegram, Telegram(**values)))
        return telegram

    monkeypatch.setattr(parser, "telegram_from_values", checked)
    for data in all_telegrams():
        outcome(data, "Europe/Amsterdam")
    assert made
    for fast, reference in made:
        assert fast == reference


def test_telegram_stays_immutable():
    telegram = model.telegram_from_values({"raw": "/X\r\n!", "header": "/X", "variant": "dsmr5"})
    assert telegram.other == {} and telegram.mbus == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        telegram.timestamp = None  # type: ignore[misc]
