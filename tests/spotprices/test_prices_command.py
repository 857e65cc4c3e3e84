"""`dsmrhub prices import|fetch|status`: thin over the services: one clear line on bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from dsmrhub.spotprices.models import MarketPrice, PriceFetchSettings
from tests.processes import dsmrhub
from tests.spotprices.conftest import FIXTURES

D = Decimal
HEADER = "start,end,commodity,price,unit\n"
HOUR = HEADER + "2026-01-01T00:00+01:00,2026-01-01T01:00+01:00,"


def run(*args: str) -> str:
    out = StringIO()
    call_command("prices", *args, stdout=out)
    return out.getvalue()


def rows() -> list[tuple]:
    return list(
        MarketPrice.objects.order_by("commodity", "start").values_list(
            "commodity", "start", "end", "price", "source"
        )
    )


@pytest.mark.django_db
def test_import_csv_twice_is_idempotent_and_a_source_replaces_its_own(tmp_path):
    csv = tmp_path / "prices.csv"
    csv.write_text(
        HEADER
        + "2026-10-25T00:00+02:00,2026-10-25T01:00+02:00,electricity_delivered,-12.5,MWh\n"
        + "2026-10-25T01:00+02:00,2026-10-25T02:00+02:00,electricity_delivered,0.1,kWh\n"
    )
    assert run("import", str(csv)) == (
        "imported CSV prices.csv as 'import': 2 prices "
        "(2026-10-24T22:00:00+00:00 – 2026-10-25T00:00:00+00:00): 2 new, 0 changed, 0 unchanged, 0 removed\n"
    )
    first = rows()
    start = datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert first == [
        ("electricity_delivered", start, start + timedelta(hours=1), D("-12.5") / 1000, "import"),
        ("electricity_delivered", start + timedelta(hours=1), start + timedelta(hours=2), D("0.1"), "import"),
    ]
    assert "0 new, 0 changed, 2 unchanged" in run("import", str(csv))
    assert rows() == first

    # another source over the same hours is refused, whole file; --replace takes them over
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "2026-10-25T00:30+02:00,2026-10-25T00:45+02:00,electricity_delivered,0.2,kWh\n")
    with pytest.raises(CommandError, match="already has a price from 'import'.*--replace.*; nothing stored"):
        run("import", str(other), "--source", "supplier")
    assert rows() == first
    # the quarter replaces the whole stored hour it falls in: the rest of that hour is then a gap
    output = run("import", str(other), "--source", "supplier", "--replace")
    assert "1 price (2026-10-24T22:30:00+00:00 – 2026-10-24T22:45:00+00:00)" in output
    assert "1 new, 0 changed, 0 unchanged, 1 removed" in output
    assert [(row[1], row[4]) for row in rows()] == [
        (start + timedelta(minutes=30), "supplier"),
        (start + timedelta(hours=1), "import"),
    ]


@pytest.mark.django_db
def test_import_entsoe_xml():
    output = run("import", str(FIXTURES / "entsoe_a44_nl_2026-03-29_pt15m_a03.xml"), "--source", "entsoe")
    assert output.startswith(
        "imported ENTSO-E XML entsoe_a44_nl_2026-03-29_pt15m_a03.xml as 'entsoe': 184 prices"
    )
    assert MarketPrice.objects.filter(commodity="electricity_returned").count() == 92


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (HOUR + "electricity_delivered,0.1,GJ\n", "unknown unit 'GJ'"),
        (HOUR + "electricity_delivered,10.5,kWh\n", "beyond ±10"),
        (HOUR + "electricity_delivered,10500,MWh\n", "beyond ±10"),
        (HEADER + "2026-01-01T00:00,2026-01-01T01:00,gas,0.1,m3\n", "no UTC offset"),
        ("begin,end,commodity,price\n", "unknown column 'begin'"),
        (
            HEADER
            + "2026-01-01T00:00+01:00,2026-01-01T01:00+01:00,gas,0.1,m3\n"
            + "2026-01-01T00:30+01:00,2026-01-01T01:30+01:00,gas,0.1,m3\n",
            "overlaps",
        ),
        ("<?xml version='1.0'?><note><to>you</to></note>", "not an ENTSO-E price document"),
    ],
)  # fmt: skip
def test_bad_files_are_one_clear_line_with_nothing_stored(tmp_path, content, says):
    path = tmp_path / "bad.csv"
    # a good row first: it must not be stored either
    path.write_text(content)
    with pytest.raises(CommandError, match=says) as error:
        run("import", str(path))
    assert "\n" not in str(error.value) and str(error.value).startswith(f"{path}: ")
    assert rows() == []


@pytest.mark.django_db
def test_import_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read .*nowhere.csv: No such file"):
        run("import", str(tmp_path / "nowhere.csv"))


@pytest.mark.django_db
def test_fetch_and_status_commands(fake_provider, closed_port_url):
    PriceFetchSettings.store(enabled=True, provider="energyzero")
    electricity = (FIXTURES / "energyzero_electricity_2026-12-04.json").read_bytes()
    gas = (FIXTURES / "energyzero_gas_2026-12-04.json").read_bytes()
    fake_provider.answer = lambda path, query: (200, electricity if query["usageType"] == "1" else gas)
    with time_machine.travel(datetime(2026, 12, 4, 14, tzinfo=UTC), tick=False):
        output = run("fetch", "--url", fake_provider.url)
        assert output.splitlines() == [
            "fetched 2026-12-04: 72 prices (2026-12-03T23:00:00+00:00 – 2026-12-04T23:00:00+00:00): "
            "72 new, 0 changed, 0 unchanged, 0 removed",
            "no prices for 2026-12-05 yet (day-ahead prices appear after about 13:00 CET)",
        ]
        assert run("status").splitlines() == [
            "fetching enabled (provider energyzero)",
            "2026-12-04: complete",
            "2026-12-05: missing",
        ]
        with pytest.raises(CommandError, match="^energyzero: cannot reach http://127.0.0.1:\\d+/api: "):
            run("fetch", "--day", "2026-12-05", "--url", closed_port_url)
        assert "last fetch failed: energyzero: cannot reach" in run("status")


def test_cli_error_is_one_line_without_traceback(cli_env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("start,end,commodity,price,currency\n2026-01-01T00:00Z,2026-01-01T01:00Z,gas,0.5,USD\n")
    result = dsmrhub(cli_env, "prices", "import", str(bad), check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"CommandError: {bad}: line 2: currency 'USD' is not supported (prices are in EUR); nothing stored"
    ]
