"""What is published where: the features and their topics (relative to the prefix), as data.

With the default prefix ``dsmr`` the state topics and their field names are DSMR-reader's defaults, so
setups built on them keep working (README, "MQTT and Home Assistant", says which source confirms each).
``<prefix>/status`` (availability) is our own: DSMR-reader documents no such topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsmrhub.readings.models import (
    METER_COUNTER_FIELDS,
    READING_PHASE_GRID_FIELDS,
    READING_PHASE_POWER_FIELDS,
    READING_REQUIRED_FIELDS,
)

# Every field of a reading, in the order of the JSON message and the split topics.
READING_FIELDS = (
    "timestamp",
    *READING_REQUIRED_FIELDS,
    *READING_PHASE_POWER_FIELDS,
    "extra_device_timestamp",
    "extra_device_delivered",
    *READING_PHASE_GRID_FIELDS,
)
METER_STATS_FIELDS = (
    "timestamp",
    "dsmr_version",
    "electricity_tariff",
    *METER_COUNTER_FIELDS,
    "rejected_telegrams",
)
# The JSON message: DSMR-reader's JSON telegram starts with the reading's id (ours: Unix seconds, as the API).
READING_JSON_FIELDS = ("id", *READING_FIELDS)
TOTALS_FIELDS = (
    "electricity1",
    "electricity2",
    "electricity1_returned",
    "electricity2_returned",
    "electricity_merged",
    "electricity_returned_merged",
    "electricity1_cost",
    "electricity2_cost",
    "electricity_cost_merged",
    "gas",
    "gas_cost",
    "fixed_cost",
    "total_cost",
)
# Today's prices (of the energy contract covering today), after the totals on day-consumption/.
PRICE_FIELDS = {
    "energy_supplier_price_electricity_delivered_1": "electricity_delivered_1_price",
    "energy_supplier_price_electricity_delivered_2": "electricity_delivered_2_price",
    "energy_supplier_price_electricity_returned_1": "electricity_returned_1_price",
    "energy_supplier_price_electricity_returned_2": "electricity_returned_2_price",
    "energy_supplier_price_gas": "gas_price",
}
GAS_FIELDS = ("read_at", "delivered", "currently_delivered")
# The latest complete quarter hour (DSMR-reader's "quarter-hour peak electricity consumption" topics).
QUARTER_PEAK_FIELDS = ("read_at_start", "read_at_end", "average_delivered")
# The running quarter hour (processing.running_quarter), next to the completed ones; our own topics.
RUNNING_QUARTER_FIELDS = ("running_average", "projected_peak")
# The price per kWh now and next under the contract in force (processing.costs.price_now); our own topics.
PRICES_TOPIC = "prices"
CURRENT_PRICE_FIELDS = (
    "electricity_delivered_now",
    "electricity_returned_now",
    "electricity_delivered_next",
)
# Use and costs since the first day with statistics: never reset, so Home Assistant's statistics (and the
# Energy dashboard's cost entities) add up without a last_reset. Our own topics (not DSMR-reader's).
SINCE_START_TOPIC = "total"
# M-Bus devices (dsmrhub.devices), our own topics: device/<kind>/position and device/<kind>/today per measured
# kind besides gas (water, heat, cooling; summed over its meters), in m³ or GJ; devices: every present device
# (gas and unknown ones too) as one JSON list.
DEVICE_TOPIC = "device"
DEVICE_FIELDS = ("position", "today")
DEVICES_TOPIC = "devices"
STATUS_TOPIC = "status"  # retained "online"; "offline" on a clean stop and as the Last Will
STATUS_ONLINE = "online"
STATUS_OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Feature:
    """One switchable kind of message: its settings field and where it goes."""

    setting: str  # the boolean on MQTTSettings
    name: str  # as used on the command line
    topic: str  # relative to the prefix; '<field>' topics end in '/'
    description: str


FEATURES = (
    Feature("publish_raw", "raw", "raw", "the raw telegram of the newest reading"),
    Feature("publish_json", "json", "json", "each reading as one JSON message"),
    Feature("publish_split", "split", "reading/", "each reading field on its own topic"),
    Feature("publish_meter_stats", "meter-stats", "meter-stats/", "the meter's own counters"),
    Feature("publish_day_totals", "day-totals", "day-consumption/", "today's use and costs so far"),
    Feature(
        "publish_period_totals",
        "period-totals",
        "current-month/",
        "this month's, year's and all time's use and costs (also current-year/ and total/)",
    ),
    Feature("publish_gas", "gas", "consumption/gas/", "each new gas hour"),
    Feature(
        "publish_quarter_peaks",
        "quarter-peaks",
        "consumption/quarter-hour-peak-electricity/",
        "the average power of each completed quarter hour",
    ),
    Feature(
        "publish_running_quarter",
        "running-quarter",
        "consumption/quarter-hour-peak-electricity/",
        "the running quarter hour's average power so far and projected peak (capacity tariff)",
    ),
    Feature(
        "publish_prices",
        "prices",
        "prices/",
        "the price per kWh delivered and returned now, and delivered next",
    ),
)
FEATURES_BY_NAME = {feature.name: feature for feature in FEATURES}
