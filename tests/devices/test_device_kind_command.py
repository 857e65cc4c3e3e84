"""`dsmrhub device-kind`: what each channel is, and a kind set by hand for a meter without a type line."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from dsmrhub.devices.models import DeviceOverride, DevicesState
from tests.devices.builders import Channel, ingest, telegram

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("device-kind", *args, stdout=out)
    return out.getvalue()


def test_lists_sets_and_clears_a_channels_kind():
    stamp = START - timedelta(minutes=5)
    ingest(
        [
            telegram(
                START,
                Channel(1, None, "X0001", stamp, Decimal("12.345")),
                Channel(2, 7, "W0001", stamp, Decimal("5.000")),
            )
        ]
    )
    assert run().splitlines() == [
        "channel 1: Unknown device, no type line, 12.345000 m3",
        "channel 2: Water meter, type 7, 5.000000 m³",
    ]
    assert "channel 1 is gas" in run("1", "gas")
    assert dict(DeviceOverride.objects.values_list("channel", "kind")) == {1: "gas"}
    assert DevicesState.peek().built is False  # the processor's next pass rebuilds
    ingest([telegram(START + timedelta(minutes=1), Channel(1, None, "X0001", stamp, Decimal("12.345")))])
    assert run().splitlines()[0] == "channel 1: Gas meter, no type line, 12.345000 m³ (set by hand: gas)"
    assert "channel 1 follows its type line" in run("1", "--clear")
    assert not DeviceOverride.objects.exists()


@pytest.mark.parametrize(
    "args", [("1",), ("1", "gas", "--clear"), ("--clear",), ("gas",), ("300", "gas"), ("1", "lava")], ids=str
)
def test_refuses_what_it_cannot_do(args):
    with pytest.raises(CommandError):  # on the command line: exit status 2 and the reason
        run(*args)
    assert not DeviceOverride.objects.exists()


def test_says_when_no_device_was_seen():
    assert run() == "no M-Bus devices seen yet\n"
