"""Costs out on MQTT (issue 15): the price now and next, today's costs by the engine, and the running quarter
hour (average so far, projected peak) against the real broker, with expected values derived here."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import call_command

from dsmrhub.mqtt.discovery import discovery_desired
from dsmrhub.mqtt.publisher import Publisher
from dsmrhub.mqtt.services import mqtt_settings_get
from dsmrhub.processing.running_quarter import running_quarter_compute, running_quarter_latest
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import DsmrReading, MeterStatistics
from dsmrhub.spotprices.models import Commodity
from dsmrhub.spotprices.services import PricePeriod, market_prices_store
from tests.helpers import demo_telegrams
from tests.mqtt.test_home_assistant import config_problems
from tests.mqtt.test_publish import drain, enable, ingest
from tests.processing.builders import reading, steady_stream, store, utc
from tests.processing.test_costs_engine import DYNAMIC, save

pytestmark = pytest.mark.django_db
D = Decimal
Q = timedelta(minutes=15)


def half_up(value: Fraction | Decimal, places: str) -> Decimal:
    """Exact value → decimal text's rounding, half up (written here, not borrowed from the code)."""
    if isinstance(value, Fraction):
        value = D(value.numerator) / D(value.denominator)
    return value.quantize(D(places), rounding=ROUND_HALF_UP)


def publish_all() -> None:
    publisher = Publisher()
    try:
        drain(publisher)
    finally:
        publisher.close()


# ---------------------------------------------------------------- the running quarter, pure


@pytest.mark.parametrize(
    ("elapsed", "energy", "power"),
    [(300, "0.500", "3.000"), (1, "0.001", "0.250"), (899, "1.234", "7.000"), (0, "0", "2.345")],
)
def test_running_quarter_figures(elapsed, energy, power):
    quarter = 1_772_445_600  # 2026-03-02 10:00 UTC, a multiple of 900
    figures = running_quarter_compute(moment=quarter + elapsed, delivered_kwh=D(energy), power_kw=D(power))
    assert (figures.start, figures.elapsed) == (quarter, elapsed)
    kwh, kw = Fraction(energy), Fraction(power)
    # average so far: kWh over the hours elapsed; at 0 s the limit, the power itself
    average = kw if elapsed == 0 else kwh / Fraction(elapsed, 3600)
    # the quarter's average at its end if the power holds: (kWh so far + kW × hours left) per quarter hour
    projected = (kwh + kw * Fraction(900 - elapsed, 3600)) / Fraction(1, 4)
    assert figures.running_average == half_up(average, "0.001")
    assert figures.projected_peak == half_up(projected, "0.001")


def test_a_meter_replaced_in_the_running_quarter_is_not_negative_use():
    store(
        reading(utc(2026, 3, 2, 11, 0), "5000.000", "100.000"),
        reading(utc(2026, 3, 2, 11, 2), "5000.300", "100.000"),  # 0.300 kWh on the old meter
        reading(utc(2026, 3, 2, 11, 3), "0.000", "0.000"),  # replaced: the registers start again
        reading(utc(2026, 3, 2, 11, 6), "0.200", "0.000", power="2.000"),  # 0.200 kWh on the new one
    )
    processing_run_pending()  # logs the drops as meter epochs
    running = running_quarter_latest()
    energy = Fraction("0.300") + Fraction("0.200")
    assert (running.start, running.elapsed) == (1_772_449_200, 360)
    assert running.running_average == half_up(energy / Fraction(360, 3600), "0.001")
    assert running.projected_peak == half_up((energy + 2 * Fraction(540, 3600)) * 4, "0.001")


# ---------------------------------------------------------------- on the broker


def test_running_quarter_average_and_projected_peak(shared_broker, prefix, subscribe):
    enable(shared_broker, prefix, publish_prices=False)
    # 1.8 kW on tariff 1 from 10:45, then 4.2 kW at the latest reading, 11:05:10 (310 s into the quarter)
    rows = steady_stream(utc(2026, 3, 2, 10, 45), utc(2026, 3, 2, 11, 5, 10), watts=1800, gas_every=None)
    rows[-1].electricity_currently_delivered = D("4.200")
    store(*rows[:100])  # through 11:01:30
    processing_run_pending()
    store(*rows[100:])  # the processor lags: the running quarter is live from the readings all the same
    subscriber = subscribe(*shared_broker, [f"{prefix}/#"])
    publish_all()
    topic = f"{prefix}/consumption/quarter-hour-peak-electricity"
    subscriber.wait_for(1, topic=f"{topic}/projected_peak")
    seen = subscriber.topics_seen()

    at = {r.timestamp: r for r in DsmrReading.objects.all()}
    start, latest = utc(2026, 3, 2, 11, 0), at[utc(2026, 3, 2, 11, 5, 10)]
    energy = sum(
        Fraction(getattr(latest, n)) - Fraction(getattr(at[start], n))
        for n in ("electricity_delivered_1", "electricity_delivered_2")
    )
    elapsed = Fraction(310, 3600)  # hours
    assert D(seen[f"{topic}/running_average"]) == half_up(energy / elapsed, "0.001")
    projected = (energy + Fraction(latest.electricity_currently_delivered) * (Fraction(1, 4) - elapsed)) * 4
    assert seen[f"{topic}/projected_peak"] == str(half_up(projected, "0.001"))
    assert D(seen[f"{topic}/projected_peak"]) > D(seen[f"{topic}/running_average"])  # the power went up
    # The completed quarter 10:45–11:00 is still on its own topics, beside the running one.
    assert seen[f"{topic}/read_at_start"] == "2026-03-02T10:45:00Z"
    assert all(m.retain is False for m in subscriber.messages)  # live delivery


def test_running_quarter_is_switched_off(shared_broker, prefix, subscribe):
    assert mqtt_settings_get().publish_running_quarter is True  # on by default: about 3 ms a pass
    enable(shared_broker, prefix, publish_prices=False, publish_running_quarter=False)
    store(*steady_stream(utc(2026, 3, 2, 10, 45), utc(2026, 3, 2, 11, 5), gas_every=None))
    processing_run_pending()
    subscriber = subscribe(*shared_broker, [f"{prefix}/#"])
    publish_all()
    subscriber.wait_for(1, topic=f"{prefix}/consumption/quarter-hour-peak-electricity/average_delivered")
    assert not [t for t in subscriber.topics_seen() if t.endswith(("/running_average", "/projected_peak"))]


def _market(start, values: list[str]) -> None:
    market_prices_store(
        periods=[
            PricePeriod(Commodity.ELECTRICITY_DELIVERED, start + Q * i, start + Q * (i + 1), D(v))
            for i, v in enumerate(values)
        ],
        source="test",
    )


def test_price_now_and_next_and_todays_costs_of_a_dynamic_contract(shared_broker, prefix, subscribe):
    save(DYNAMIC)  # delivered: (market + 0.02 + 0.10154) × 1.21; returned: market − 0.015; 0.25 a day
    _market(utc(2026, 3, 2, 10), ["0.10", "-0.05"])  # 10:00–10:15 and 10:15–10:30 UTC, nothing after
    enable(shared_broker, prefix)
    store(
        reading(utc(2026, 3, 2, 10, 0), "1000.000", "0"),
        reading(utc(2026, 3, 2, 10, 5), "1000.200", "0"),
        reading(utc(2026, 3, 2, 10, 10), "1000.500", "0"),  # 0.500 kWh in 10:00–10:15
        reading(utc(2026, 3, 2, 10, 20), "1000.600", "0"),  # 0.100 kWh so far in 10:15–10:30
    )
    processing_run_pending()
    subscriber = subscribe(*shared_broker, [f"{prefix}/#"])
    publish_all()
    subscriber.wait_for(1, topic=f"{prefix}/prices/electricity_delivered_next")
    seen = subscriber.topics_seen()

    def delivered(market: str) -> Decimal:
        return (D(market) + D("0.02") + D("0.10154")) * (1 + D(21) / 100)

    # now is the newest reading, 10:20: the market price of 10:15–10:30 is below zero
    assert seen[f"{prefix}/prices/electricity_delivered_now"] == str(half_up(delivered("-0.05"), "0.000001"))
    assert seen[f"{prefix}/prices/electricity_returned_now"] == "-0.065000"  # returning costs money now
    assert seen[f"{prefix}/prices/electricity_delivered_next"] == ""  # no market price from 10:30: unknown
    # today's costs by the engine: each quarter at its own price, plus the day's fixed cost
    energy = D("0.500") * delivered("0.10") + D("0.100") * delivered("-0.05")
    day = f"{prefix}/day-consumption"
    assert seen[f"{day}/electricity_cost_merged"] == str(half_up(energy, "0.01"))
    assert seen[f"{day}/fixed_cost"] == "0.25"
    assert seen[f"{day}/total_cost"] == str(half_up(energy, "0.01") + D("0.25"))
    # a dynamic contract has no tariff 1/2 prices: those topics would say 0 per kWh, so they are absent
    assert f"{day}/energy_supplier_price_electricity_delivered_1" not in seen

    # Later, without a market price: every price topic empty (Home Assistant: unknown), never 0.
    store(reading(utc(2026, 3, 2, 10, 35), "1000.700", "0"))
    before = len(subscriber.messages)
    publish_all()
    subscriber.wait_for(before + 3, topic=None)
    subscriber.wait_for(2, topic=f"{prefix}/prices/electricity_returned_now")
    assert subscriber.on(f"{prefix}/prices/electricity_delivered_now")[-1] == ""
    assert subscriber.on(f"{prefix}/prices/electricity_returned_now")[-1] == ""
    # An empty retained message clears the broker's value: a late subscriber gets no stale price.
    late = subscribe(*shared_broker, [f"{prefix}/prices/#", f"{prefix}/status"])
    late.wait_for(1, topic=f"{prefix}/status")
    assert not [m for m in late.messages if m.topic.startswith(f"{prefix}/prices/")]


def test_todays_costs_and_price_of_a_time_of_use_contract(shared_broker, prefix, subscribe):
    save({
        "description": "peak", "start": "2026-01-01", "kind": "bands", "fixed_daily_cost": "0.30",
        "bands": [
            {"name": "peak", "delivered": "0.31", "returned": "0.07",
             "periods": [{"days": "mon-fri", "hours": "07:00-21:00"}]},
            {"name": "off", "delivered": "0.21", "returned": "0.05",
             "periods": [{"days": "mon-fri", "hours": "21:00-07:00"}, {"days": "sat-sun"}]},
        ],
    })  # fmt: skip
    enable(shared_broker, prefix)
    # Monday 2 March 2026: 06:30–07:30 local (05:30–06:30 UTC), half an hour in each band
    store(
        reading(utc(2026, 3, 2, 5, 30), "1000.000", "2000.000", r1="10.000"),
        reading(utc(2026, 3, 2, 6, 0), "1000.400", "2000.000", r1="10.100"),  # off: 0.4 in, 0.1 out
        reading(utc(2026, 3, 2, 6, 30), "1000.400", "2000.900", r1="10.100", power="1.234"),  # peak: 0.9
    )
    processing_run_pending()
    subscriber = subscribe(*shared_broker, [f"{prefix}/#"])
    publish_all()
    subscriber.wait_for(1, topic=f"{prefix}/prices/electricity_delivered_next")
    seen = subscriber.topics_seen()
    assert seen[f"{prefix}/prices/electricity_delivered_now"] == "0.310000"  # 07:30 local: peak
    assert seen[f"{prefix}/prices/electricity_returned_now"] == "0.070000"
    assert seen[f"{prefix}/prices/electricity_delivered_next"] == "0.210000"  # from 21:00: off
    energy = D("0.4") * D("0.21") - D("0.1") * D("0.05") + D("0.9") * D("0.31")
    costs = {
        name: D(seen[f"{prefix}/day-consumption/{name}"])
        for name in ("electricity1_cost", "electricity2_cost", "electricity_cost_merged", "total_cost")
    }
    assert costs["electricity1_cost"] == half_up(D("0.4") * D("0.21") - D("0.1") * D("0.05"), "0.01")
    assert costs["electricity2_cost"] == half_up(D("0.9") * D("0.31"), "0.01")
    assert costs["electricity_cost_merged"] == costs["electricity1_cost"] + costs["electricity2_cost"]
    assert abs(costs["electricity_cost_merged"] - energy) < D("0.01")
    assert costs["total_cost"] == costs["electricity_cost_merged"] + D("0.30")


# ---------------------------------------------------------------- discovery and the command line


def test_discovery_of_the_new_sensors_keeps_home_assistants_rules():
    settings = mqtt_settings_get()
    settings.discovery = True
    settings.publish_running_quarter = True
    configs = {
        json.loads(payload)["state_topic"].split("/", 1)[1]: json.loads(payload)
        for payload in discovery_desired(settings=settings).values()
    }
    prices = ("electricity_delivered_now", "electricity_returned_now", "electricity_delivered_next")
    for name in prices:
        config = configs[f"prices/{name}"]
        assert config_problems(config) == []
        assert "device_class" not in config  # monetary takes a currency alone, not per kWh
        assert (config["unit_of_measurement"], config["state_class"]) == ("EUR/kWh", "measurement")
        assert config["value_template"] == "{{ value or 'None' }}"  # empty: unknown, not 0
    for name in ("running_average", "projected_peak"):
        config = configs[f"consumption/quarter-hour-peak-electricity/{name}"]
        assert config_problems(config) == []
        assert (config["device_class"], config["unit_of_measurement"]) == ("power", "W")
        assert config["value_template"] == "{{ (value | float * 1000) | round(0) }}"
    settings.publish_running_quarter = False
    settings.publish_prices = False
    topics = {json.loads(p)["state_topic"] for p in discovery_desired(settings=settings).values()}
    assert not [t for t in topics if "/prices/" in t or t.endswith(("running_average", "projected_peak"))]


def test_cli_switches_the_new_features():
    out = StringIO()
    call_command("mqtt", "enable", "--without", "running-quarter", "--without", "prices", stdout=out)
    settings = mqtt_settings_get()
    assert (settings.publish_running_quarter, settings.publish_prices) == (False, False)
    features = out.getvalue().split("features: ")[1].split("\n")[0].split(", ")
    assert "running-quarter" not in features and "prices" not in features
    call_command("mqtt", "enable", "--with", "running-quarter", stdout=StringIO())
    assert mqtt_settings_get().publish_running_quarter is True


def test_price_now_of_a_fixed_contract_follows_the_meters_tariff(shared_broker, prefix, subscribe):
    save({
        "description": "fixed", "start": "2026-01-01", "electricity_delivered_1_price": "0.21",
        "electricity_delivered_2_price": "0.25", "electricity_returned_1_price": "0.07",
        "electricity_returned_2_price": "0.08",
    })  # fmt: skip
    enable(shared_broker, prefix, publish_split=False, publish_json=False, publish_raw=False)
    ingest(demo_telegrams(2))
    tariff = MeterStatistics.row().get().electricity_tariff
    assert tariff == 2  # the demo meter's 0-0:96.14.0
    subscriber = subscribe(*shared_broker, [f"{prefix}/#"])
    publish_all()
    subscriber.wait_for(1, topic=f"{prefix}/prices/electricity_delivered_next")
    seen = subscriber.topics_seen()
    assert seen[f"{prefix}/prices/electricity_delivered_now"] == "0.250000"  # tariff 2's price
    assert seen[f"{prefix}/prices/electricity_returned_now"] == "0.080000"
    assert seen[f"{prefix}/prices/electricity_delivered_next"] == ""  # a fixed price has no "next"
    day = f"{prefix}/day-consumption"
    assert seen[f"{day}/energy_supplier_price_electricity_delivered_2"] == "0.250000"  # as before
    assert seen[f"{day}/energy_supplier_price_gas"] == "0.000000"
