"""What is published where: the features and their topics (relative to the prefix), as data.

Topic names follow DSMR-reader's documented defaults (``dsmr/json``, ``dsmr/reading/<field>``,
``dsmr/meter-stats/<field>``, ``dsmr/day-consumption/<field>``, ``dsmr/current-month/<field>``,
``dsmr/current-year/<field>``, ``dsmr/consumption/gas/<field>``), so setups built on them keep working.
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
    "total_cost",
)
GAS_FIELDS = ("read_at", "delivered", "currently_delivered")


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
        "this month's and year's use and costs (also current-year/)",
    ),
    Feature("publish_gas", "gas", "consumption/gas/", "each new gas hour"),
)
FEATURES_BY_NAME = {feature.name: feature for feature in FEATURES}
