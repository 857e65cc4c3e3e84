"""`dsmrhub prices schedule` (a part of `dsmrhub run`) as a real process against a local fake provider."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta

from tests.processes import DSMRHUB, dsmrhub, stop_process, wait_until


def hourly_answer(path: str, query: dict[str, str]) -> tuple[int, bytes]:
    """EnergyZero's format for whatever hours are asked: electricity 0.1 + 0.001 per hour, gas 0.5."""
    start = datetime.fromisoformat(query["fromDate"])
    till = datetime.fromisoformat(query["tillDate"])
    prices = []
    moment, number = start, 0
    while moment <= till:
        price = 0.5 if query["usageType"] == "3" else round(0.1 + 0.001 * number, 3)
        prices.append({"price": price, "readingDate": moment.strftime("%Y-%m-%dT%H:%M:%SZ")})
        moment, number = moment + timedelta(hours=1), number + 1
    return 200, json.dumps({"Prices": prices, "intervalType": 4, "fromDate": query["fromDate"]}).encode()


def test_schedule_fetches_today_and_stops_on_sigterm(cli_env, fake_provider):
    fake_provider.answer = hourly_answer
    shown = dsmrhub(cli_env, "prices", "settings", "--enable", "--provider", "energyzero").stdout
    assert shown.startswith("fetching enabled: provider energyzero")
    assert dsmrhub(cli_env, "prices", "status").stdout.splitlines()[1].endswith(": missing")

    env = {**cli_env, "DSMRHUB_PRICES_URL": fake_provider.url, "DSMRHUB_LOG_LEVEL": "INFO"}
    process = subprocess.Popen([*DSMRHUB, "prices", "schedule"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(
            lambda: dsmrhub(cli_env, "prices", "status").stdout.splitlines()[1].endswith(": complete"),
            timeout=60,
            message="today's prices fetched by the schedule",
        )
        assert {query["usageType"] for _, query in fake_provider.requests} == {"1", "3"}
    finally:
        assert stop_process(process) == 0
    assert "Traceback" not in process.stderr.read()


def test_settings_command_checks(cli_env):
    result = dsmrhub(cli_env, "prices", "settings", "--enable", "--provider", "entsoe", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "CommandError: entsoe needs a security token"
    shown = dsmrhub(
        cli_env, "prices", "settings", "--provider", "entsoe", "--token", "t-1", "--zone", "10YBE----------2"
    ).stdout
    assert shown.strip() == "fetching disabled: provider entsoe, zone 10YBE----------2, token set"
