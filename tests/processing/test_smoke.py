import pytest
from tests.processing.builders import reading, store, utc

from dsmrhub.processing.models import DayStatistics, ElectricityConsumption, HourStatistics
from dsmrhub.processing.services import processing_run_pending

pytestmark = pytest.mark.django_db


def test_smoke():
    store(
        reading(utc(2026, 3, 2, 10, 0, 5), "100.000", "50.000", power="1.000"),
        reading(utc(2026, 3, 2, 10, 0, 30), "100.010", "50.000", power="2.000"),
        reading(utc(2026, 3, 2, 11, 0, 0), "101.000", "50.000", power="2.000"),
        reading(utc(2026, 3, 3, 11, 0, 0), "110.000", "51.000", power="2.000"),
    )
    result = processing_run_pending()
    print(result)
    print(list(ElectricityConsumption.objects.values()))
    print(list(HourStatistics.objects.values()))
    print(list(DayStatistics.objects.values()))
    assert 0
