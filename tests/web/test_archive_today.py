"""Archive: today live and equal to the dashboard, where the data begins and ends (no Previous before it, no
Next past today), days without a contract, and nothing billed before the first reading.

Readings every 5 minutes up to a chosen moment (``tests.web.archive_readings``); expected figures are summed
step by step from their description, costs by the contract's prices with half-up cents.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from dsmrhub.processing.archive import archive_period_parse
from tests.web.archive_readings import (
    AMSTERDAM,
    LAST,
    NBSP,
    NOW,
    day_cost,
    local,
    store_readings,
    use_between,
)
from tests.web.days import DAY_KW

pytestmark = pytest.mark.django_db


def page(client, query: str):
    response = client.get(f"/archive/?{query}")
    assert response.status_code == 200
    return response


def link(content: str, element_id: str) -> str:
    """The target of the link with ``element_id``."""
    found = re.search(rf'<a href="([^"]*)" id="{element_id}"', content)
    assert found, element_id
    return html.unescape(found.group(1))


def money(amount: Decimal) -> str:
    return f"€{NBSP}{amount:.2f}"


# --------------------------------------------------------------------------------------------- today live


def test_today_is_live_and_equals_the_dashboard(client):
    today = NOW.date()
    with time_machine.travel(NOW, tick=False):
        store_readings()
        live = client.get("/dashboard/live").json()
        response = page(client, "period=day&date=2026-10-26")
    expected = use_between(local(today), LAST)  # midnight up to the latest reading
    assert expected["electricity1"] == Decimal("8.4") and expected["electricity2"] == Decimal(
        "18.6"
    )  # 7 h, 7¾ h
    data = response.context["data"]
    assert data.so_far is True
    assert data.totals["electricity1"] == expected["electricity1"]
    assert data.totals["electricity2"] == expected["electricity2"]
    assert data.totals["returned"] == expected["returned"]
    assert data.totals["gas"] == expected["gas"]
    assert data.costs["total_cost"] == day_cost(expected)
    # the same figures as the dashboard shows
    assert Decimal(live["today"]["electricity1"]) == data.totals["electricity1"]
    assert Decimal(live["today"]["electricity2"]) == data.totals["electricity2"]
    assert Decimal(live["today"]["gas"]) == data.totals["gas"]
    assert Decimal(live["today"]["total_cost"]) == data.costs["total_cost"]
    # rows: the stored complete hours 00:00–13:00, then 14:00 until now (live)
    rows = response.context["rows"]
    assert [row["label"] for row in rows] == [f"{hour:02d}:00" for hour in range(15)]
    assert [row["so_far"] for row in rows] == [False] * 14 + [True]
    running = use_between(local(today, 14), LAST)
    assert rows[-1]["use"]["electricity2"] == running["electricity2"]
    assert rows[-1]["use"]["returned"] == running["returned"]
    content = response.content.decode()
    assert "costs appear once the day is complete" not in content
    assert 'id="archive-so-far-row"' in content and "until now" in content
    assert f'id="total-cost">{money(day_cost(expected))}<' in content
    assert 'id="archive-next"' not in content  # today is the last day


def test_week_month_and_year_holding_today_add_todays_live_figures(client):
    with time_machine.travel(NOW, tick=False):
        store_readings()
        live = client.get("/dashboard/live").json()
        month = page(client, "period=month&date=2026-10").context
        week = page(client, "period=week&date=2026-10-26").context
        year = page(client, "period=year&date=2026").context
    days = [
        use_between(local(date(2026, 10, 24)), local(date(2026, 10, 25))),
        use_between(local(date(2026, 10, 25)), local(date(2026, 10, 26))),
        use_between(local(date(2026, 10, 26)), LAST),
    ]
    costs = [day_cost(use) for use in days]
    electricity = sum((use["electricity1"] + use["electricity2"] for use in days), Decimal(0))
    assert month["data"].costs["total_cost"] == sum(costs)
    assert month["data"].totals["electricity"] == electricity
    assert Decimal(live["month"]["total_cost"]) == sum(costs)  # the dashboard's month agrees
    rows = month["rows"]
    assert len(rows) == 26  # 1 … 26 October: no rows after today
    assert rows[25]["so_far"] and rows[25]["total_cost"] == costs[2]
    assert [row["total_cost"] for row in rows[23:25]] == costs[:2]
    # the ISO week of Monday 26 October holds today only; the year's October row holds all three days
    assert week["period"].first == date(2026, 10, 26) and len(week["rows"]) == 1
    assert week["data"].costs["total_cost"] == costs[2]
    assert year["rows"][9]["so_far"] and year["rows"][9]["total_cost"] == sum(costs)
    assert len(year["rows"]) == 10  # January … October: nothing after today's month
    assert year["data"].totals["electricity"] == electricity


# ---------------------------------------------------------------------------------- where the data lies


def test_no_previous_before_the_first_day_and_no_next_past_today(client):
    with time_machine.travel(NOW, tick=False):
        store_readings()
        first = page(client, "period=day&date=2026-10-24")
        today = page(client, "period=day&date=2026-10-26")
        week = page(client, "period=week&date=2026-10-21")
        month = page(client, "period=month&date=2026-10")
    assert first.context["previous_url"] is None
    assert first.context["next_url"] == "/archive/?period=day&date=2026-10-25"
    assert today.context["next_url"] is None
    assert today.context["previous_url"] == "/archive/?period=day&date=2026-10-25"
    assert week.context["period"].first == date(2026, 10, 19)  # Monday of the ISO week
    assert week.context["previous_url"] is None  # 12–18 October: before the data
    assert week.context["next_url"] == "/archive/?period=week&date=2026-10-26"
    assert (month.context["previous_url"], month.context["next_url"]) == (None, None)
    content = first.content.decode()
    assert 'id="archive-previous"' not in content
    assert "Data begins on" in content and "24 Oct 2026" in content
    assert 'href="/archive/?period=day&amp;date=2026-10-24"' in content


def test_a_day_before_the_data_or_in_the_future_says_where_the_data_is(client):
    with time_machine.travel(NOW, tick=False):
        store_readings()
        before = page(client, "period=day&date=2026-10-23").content.decode()
        month_before = page(client, "period=month&date=2026-09").content.decode()
        future = page(client, "period=day&date=2026-10-27").content.decode()
    assert 'id="archive-before-data"' in before and "the data begins on 24 Oct 2026" in before
    assert 'id="archive-table"' not in before  # no 24 rows of dashes
    assert link(before, "archive-first-link") == "/archive/?period=day&date=2026-10-24"
    assert link(month_before, "archive-first-link") == "/archive/?period=month&date=2026-10-01"
    assert 'id="archive-future"' in future and 'id="archive-table"' not in future
    assert link(future, "archive-today-link") == "/archive/?period=day&date=2026-10-26"
    assert link(before, "archive-next") == "/archive/?period=day&date=2026-10-24"  # Next: to the data
    assert 'id="archive-previous"' not in before


def test_nothing_is_billed_before_the_first_reading(client):
    """A first reading in the afternoon: its day starts then (one fixed cost), the day before has nothing."""
    first = datetime(2026, 10, 24, 14, 0, tzinfo=AMSTERDAM)
    end = datetime(2026, 10, 26, 0, 5, tzinfo=AMSTERDAM)
    with time_machine.travel(NOW, tick=False):
        store_readings(first, end)
        response = page(client, "period=month&date=2026-10")
    rows = response.context["rows"]
    assert rows[22]["use"] is None and rows[22]["total_cost"] is None  # 23 October
    first_day = use_between(first, local(date(2026, 10, 25)))
    assert first_day["electricity2"] == 9 * DAY_KW  # 14:00–23:00
    assert rows[23]["use"]["electricity2"] == first_day["electricity2"]
    long_day = use_between(local(date(2026, 10, 25)), local(date(2026, 10, 26)))
    assert rows[23]["total_cost"] == day_cost(first_day)
    # the days with data only (today, the 26th, has no reading after 00:05: its own few minutes)
    today = use_between(local(date(2026, 10, 26)), end)
    assert response.context["data"].costs["total_cost"] == day_cost(first_day) + day_cost(
        long_day
    ) + day_cost(today)
    assert [index + 1 for index, row in enumerate(rows) if row["use"] is not None] == [24, 25, 26]


# ------------------------------------------------------------------------------------ without a contract


def test_days_without_a_contract_say_so_instead_of_zero_euros(client):
    with time_machine.travel(NOW, tick=False):
        store_readings(contract_from=None)
        month = page(client, "period=month&date=2026-10")
        today = page(client, "period=day&date=2026-10-26")
        past = page(client, "period=day&date=2026-10-25")
    content = month.content.decode()
    assert month.context["data"].costs is None
    assert month.context["data"].no_contract_days == 3
    table = content.split('id="archive-table"')[1].split("</table>")[0]
    assert "€" not in table.split("<tbody>")[1]  # no amounts in the rows or the total
    assert content.count('class="muted no-contract"') == 1 + 3  # the total and three days
    assert "3 days with data have no energy contract" in content
    for response in (today, past):
        body = response.content.decode()
        assert response.context["data"].costs is None
        assert 'id="total-cost"><span class="muted no-contract">no contract</span>' in body
        assert f"{money(Decimal(0))}" not in body


def test_a_contract_from_the_second_day_prices_only_its_days(client):
    with time_machine.travel(NOW, tick=False):
        store_readings(contract_from=date(2026, 10, 25))
        month = page(client, "period=month&date=2026-10")
    expected = day_cost(use_between(local(date(2026, 10, 25)), local(date(2026, 10, 26)))) + day_cost(
        use_between(local(date(2026, 10, 26)), LAST)
    )
    data = month.context["data"]
    assert data.costs["total_cost"] == expected
    assert data.no_contract_days == 1
    rows = month.context["rows"]
    assert rows[23]["no_contract"] and rows[23]["total_cost"] is None
    assert not rows[24]["no_contract"] and rows[24]["total_cost"] is not None
    assert "1 day with data has no energy contract" in month.content.decode()


# ------------------------------------------------------------------------------------------------ weeks


@pytest.mark.parametrize(
    ("value", "first"),
    [
        ("2026-10-21", date(2026, 10, 19)),  # a Wednesday → its Monday
        ("2026-10-19", date(2026, 10, 19)),
        ("2026-10-25", date(2026, 10, 19)),  # Sunday is the last day
        ("2026-W43", date(2026, 10, 19)),
        ("2026w43", date(2026, 10, 19)),
        ("2027-01-01", date(2026, 12, 28)),  # ISO week 53 of 2026 runs into 2027
        ("2026-W53", date(2026, 12, 28)),
        ("2021-01-03", date(2020, 12, 28)),
    ],
)
def test_weeks_are_iso_weeks_monday_first(value, first):
    period = archive_period_parse(kind="week", value=value, today=date(2026, 11, 1))
    assert (period.kind, period.first, period.last) == ("week", first, first + timedelta(days=6))
    assert period.next.first == first + timedelta(days=7)
    assert period.previous.first == first - timedelta(days=7)
    assert period.first.isoweekday() == 1


def test_this_week_by_default_and_week_rows_link_to_days(client):
    with time_machine.travel(NOW, tick=False):
        store_readings()
        response = page(client, "period=week&date=2026-10-24")
    rows = response.context["rows"]
    assert [row["label"] for row in rows] == [
        "Mon 19",
        "Tue 20",
        "Wed 21",
        "Thu 22",
        "Fri 23",
        "Sat 24",
        "Sun 25",
    ]
    assert rows[5]["url"] == "/archive/?period=day&date=2026-10-24"
    assert [row["use"] is None for row in rows] == [True] * 5 + [False] * 2
    saturday = use_between(local(date(2026, 10, 24)), local(date(2026, 10, 25)))
    sunday = use_between(local(date(2026, 10, 25)), local(date(2026, 10, 26)))
    assert response.context["data"].costs["total_cost"] == day_cost(saturday) + day_cost(sunday)
    assert "Week 43 of 2026" in response.content.decode()
