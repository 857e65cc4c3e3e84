"""dsmrreader_import against real DSMR-reader v5.11 databases (fixture from ../shared/interop/dsmr-reader),
into the test database (SQLite, or PostgreSQL with DSMRHUB_DATABASE_URL)."""

from __future__ import annotations

import contextlib
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import day_end, day_start
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import DsmrReading, MBusReading, MeterStatistics
from dsmrhub.switching.dsmrreader import READING_FIELDS, SourceError, source_open
from dsmrhub.switching.models import ImportCheckpoint, TemperatureReading
from dsmrhub.switching.services import ImportStopped, dsmrreader_import
from tests.switching.conftest import admin, source_query, source_url, truths

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Europe/Amsterdam")
POSITIONS = (
    "electricity_delivered_1",
    "electricity_delivered_2",
    "electricity_returned_1",
    "electricity_returned_2",
)
STAT = {
    "electricity_delivered_1": "electricity1",
    "electricity_delivered_2": "electricity2",
    "electricity_returned_1": "electricity1_returned",
    "electricity_returned_2": "electricity2_returned",
}


def _source_readings(name: str) -> dict[datetime, tuple]:
    """The source's readings as dsmrhub should hold them: per whole second the first (lowest id)."""
    columns = ", ".join(READING_FIELDS)
    rows = source_query(name, f"SELECT {columns} FROM dsmr_datalogger_dsmrreading ORDER BY timestamp, id")
    expected: dict[datetime, tuple] = {}
    for row in rows:
        expected.setdefault(row[0].replace(microsecond=0), row)
    return expected


def _stored_readings() -> dict[datetime, tuple]:
    return {
        reading.timestamp: tuple(getattr(reading, name) for name in READING_FIELDS)
        for reading in DsmrReading.objects.all()
    }


def _assert_readings_equal_source(name: str) -> None:
    expected = _source_readings(name)
    stored = _stored_readings()
    assert stored.keys() == expected.keys()
    for moment, row in expected.items():
        assert stored[moment] == tuple(
            None if v is None else (Decimal(v) if isinstance(v, int) else v) for v in row
        )


def test_fixture_import_counts_values_contract_and_meter_statistics(make_source):
    name = make_source("full")
    truth = truths()
    summary = dsmrreader_import(url=source_url(name))

    assert summary.version == "v5.11"
    counts = truth["database"]["row_counts"]
    assert DsmrReading.objects.count() == counts["dsmr_datalogger_dsmrreading"] == summary.readings_stored
    for day, expected in truth["database"]["readings_per_local_day"].items():
        first = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=ZONE)
        last = datetime.combine(date.fromisoformat(day) + timedelta(days=1), datetime.min.time(), tzinfo=ZONE)
        assert (
            DsmrReading.objects.filter(timestamp__gte=first, timestamp__lt=last).count() == expected["count"]
        )
    _assert_readings_equal_source(name)
    # The first telegram of each local day, as the stream truths give it.
    for day, facts in truth["stream"]["per_local_day"].items():
        reading = DsmrReading.objects.get(timestamp=datetime.fromisoformat(facts["first_telegram_utc"]))
        for field, value in facts["first_positions"].items():
            expected = datetime.fromisoformat(value) if field.endswith("timestamp") else Decimal(value)
            assert getattr(reading, field) == expected, (day, field)
    # Gas values also as M-Bus values, once per gas timestamp.
    gas_stamps = {
        r[0]
        for r in source_query(name, "SELECT DISTINCT extra_device_timestamp FROM dsmr_datalogger_dsmrreading")
    }
    assert MBusReading.objects.count() == len(gas_stamps)

    contract = EnergyContract.objects.get()
    want = truth["database"]["contract"]
    assert (contract.description, contract.start, contract.end) == (
        want["description"],
        date.fromisoformat(want["start"]),
        date.fromisoformat(want["end"]),
    )
    for field in (
        "electricity_delivered_1_price",
        "electricity_delivered_2_price",
        "electricity_returned_1_price",
        "electricity_returned_2_price",
        "gas_price",
        "fixed_daily_cost",
    ):
        assert getattr(contract, field) == Decimal(str(want[field])).quantize(Decimal("0.000001"))

    meter = MeterStatistics.objects.get()
    for field, value in truth["database"]["meter_statistics"].items():
        expected = datetime.fromisoformat(value) if field == "timestamp" else value
        assert getattr(meter, field) == expected, field
    latest = source_query(name, "SELECT latest_telegram FROM dsmr_datalogger_meterstatistics")[0][0]
    assert meter.latest_telegram == latest

    temperatures = source_query(name, "SELECT read_at, degrees_celcius FROM dsmr_weather_temperaturereading")
    assert {(t.read_at, t.degrees_celsius) for t in TemperatureReading.objects.all()} == set(temperatures)
    assert summary.temperatures_imported == counts["dsmr_weather_temperaturereading"]
    assert summary.not_imported["dsmr_stats_note"] == counts["dsmr_stats_note"]


def test_statistics_imported_only_where_readings_are_gone(make_source):
    """Retention thinned local day 24 Oct (2 readings per UTC hour): its DSMR-reader day and hour
    statistics are imported as they are; 25 and 26 Oct have their readings and are left to processing."""
    name = make_source("full")
    summary = dsmrreader_import(url=source_url(name))
    truth = truths()
    per_day = truth["database"]["hour_statistics_per_local_day"]
    assert (summary.days_imported, summary.days_with_readings) == (1, 2)
    assert (summary.hours_imported, summary.hours_with_readings) == (per_day["2026-10-24"], 49)

    day = DayStatistics.objects.get()
    assert day.imported and day.day == date(2026, 10, 24)
    source = truth["database"]["day_statistics"][0]
    for field in ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas"):
        assert getattr(day, field) == Decimal(str(source[field])).quantize(Decimal("0.001")), field
    for field in ("electricity1_reading", "electricity2_reading", "gas_reading"):
        assert getattr(day, field) == Decimal(str(source[field])).quantize(Decimal("0.001")), field
    hours = list(HourStatistics.objects.all())
    assert len(hours) == 24 and all(h.imported for h in hours)
    assert hours[0].hour_start == datetime(2026, 10, 23, 22, tzinfo=UTC)
    source_hours = {
        h: (e1, gas)
        for h, e1, gas in source_query(
            name, "SELECT hour_start, electricity1, gas FROM dsmr_stats_hourstatistics"
        )
    }
    for hour in hours:
        assert (hour.electricity1, hour.gas) == source_hours[hour.hour_start]


def _position(moment: int, field: str) -> Decimal:
    """A register's position at ``moment`` (Unix seconds): the latest stored reading at or before it."""
    reading = DsmrReading.objects.filter(timestamp__lte=datetime.fromtimestamp(moment, UTC)).order_by(
        "-timestamp"
    )[0]
    return getattr(reading, field)


def _gas_position(moment: int) -> Decimal:
    reading = (
        DsmrReading.objects.filter(extra_device_timestamp__lte=datetime.fromtimestamp(moment, UTC))
        .order_by("-timestamp")
        .first()
    )
    return reading.extra_device_delivered


@pytest.mark.parametrize("day", [date(2026, 10, 25), date(2026, 10, 26)])
def test_processing_picks_up_the_import_and_matches_the_truths(make_source, day):
    """No command but the processor after the import: the change triggers marked every imported minute.
    dsmrhub's day = position at the next midnight − position at this midnight (every boundary step counts):
    exactly the stream's true totals. DSMR-reader's own numbers leave out the step from the last
    per-minute row of the day to the next day's first, so they differ by at most the use in the minutes
    around the two midnights (electricity) or in the hours' uncounted 5-minute gas steps (its gas is a sum
    of hours that each miss ~1/12); costs are compared in cents."""
    name = make_source("full")
    dsmrreader_import(url=source_url(name))
    processing_run_pending()

    row = DayStatistics.objects.get(day=day)
    assert not row.imported
    start, end = day_start(day), day_end(day)
    true = truths()["stream"]["per_local_day"][day.isoformat()]["delta_first_to_next_day_first"]
    theirs = next(d for d in truths()["database"]["day_statistics"] if d["day"] == day.isoformat())
    for register, field in STAT.items():
        derived = _position(end, register) - _position(start, register)  # from the imported readings
        assert getattr(row, field) == derived == Decimal(true[register]), field
        # DSMR-reader: last − first per-minute row inside the day; its window is shifted by at most a
        # minute at each end, so the difference is at most the use in those two minutes.
        boundary = (_position(start + 60, register) - _position(start - 60, register)) + (
            _position(end, register) - _position(end - 120, register)
        )
        assert abs(getattr(row, field) - Decimal(str(theirs[field]))) <= boundary, field
    gas = _gas_position(end) - _gas_position(start)
    assert row.gas == gas == Decimal(true["extra_device_delivered"])
    assert Decimal(str(theirs["gas"])) < row.gas  # DSMR-reader's hours each miss a 5-minute step
    assert row.electricity1_reading == Decimal(str(theirs["electricity1_reading"])).quantize(Decimal("0.001"))
    # Costs: the contract's prices on dsmrhub's totals, half up to cents; equal to DSMR-reader's here.
    assert row.total_cost == Decimal(str(theirs["total_cost"])).quantize(Decimal("0.01"))
    assert row.fixed_cost == Decimal("0.5")
    # The DST day has 25 hours, all computed, none imported.
    hours = HourStatistics.objects.filter(
        hour_start__gte=datetime.fromtimestamp(start, UTC), hour_start__lt=datetime.fromtimestamp(end, UTC)
    )
    assert hours.count() == truths()["database"]["hour_statistics_per_local_day"][day.isoformat()]
    assert not hours.filter(imported=True).exists()


def test_second_run_imports_nothing_twice(make_source):
    name = make_source("full")
    first = dsmrreader_import(url=source_url(name))
    before = (
        DsmrReading.objects.count(),
        MBusReading.objects.count(),
        EnergyContract.objects.count(),
        DayStatistics.objects.count(),
        HourStatistics.objects.count(),
        TemperatureReading.objects.count(),
    )
    ImportCheckpoint.objects.all().delete()  # read everything again: stored readings are recognised
    second = dsmrreader_import(url=source_url(name))
    assert (
        DsmrReading.objects.count(),
        MBusReading.objects.count(),
        EnergyContract.objects.count(),
        DayStatistics.objects.count(),
        HourStatistics.objects.count(),
        TemperatureReading.objects.count(),
    ) == before
    assert second.readings_stored == 0 and second.readings_present == first.readings_stored
    assert (second.contracts_created, second.contracts_present) == (0, 1)
    assert (second.days_imported, second.days_present) == (0, first.days_imported)
    assert (second.hours_imported, second.hours_present) == (0, first.hours_imported)
    assert (second.temperatures_imported, second.temperatures_present) == (0, first.temperatures_imported)
    assert second.meter_statistics.startswith("already present")
    third = dsmrreader_import(url=source_url(name))  # with the checkpoint: only the last batch is read again
    assert third.readings_stored == 0 and third.readings_read < first.readings_read
    _assert_readings_equal_source(name)


@pytest.mark.parametrize("kind", ["empty", "schema"])
def test_an_empty_source_imports_nothing_and_says_so(make_source, kind):
    summary = dsmrreader_import(url=source_url(make_source(kind)))
    assert summary.readings_read == summary.readings_stored == 0
    assert summary.contracts_created == summary.days_imported == summary.temperatures_imported == 0
    assert summary.meter_statistics == "none in the source"
    assert not DsmrReading.objects.exists() and not EnergyContract.objects.exists()
    assert "0 stored" in "\n".join(summary.lines())


def _nothing_written() -> bool:
    return not (
        DsmrReading.objects.exists()
        or EnergyContract.objects.exists()
        or DayStatistics.objects.exists()
        or TemperatureReading.objects.exists()
        or MeterStatistics.objects.exists()
        or ImportCheckpoint.objects.exists()
    )


def test_a_newer_unknown_migration_is_refused(make_source):
    name = make_source("full")
    source_query(
        name,
        "INSERT INTO django_migrations (app, name, applied) "
        "VALUES ('dsmr_datalogger', '0034_something_new', now())",
    )
    with pytest.raises(SourceError) as raised:
        dsmrreader_import(url=source_url(name))
    message = str(raised.value)
    assert "unknown DSMR-reader schema version" in message and "dsmr_datalogger.0034_something_new" in message
    assert "\n" not in message
    assert _nothing_written()


def test_an_unknown_dsmr_app_is_refused(make_source):
    name = make_source("empty")
    source_query(
        name,
        "INSERT INTO django_migrations (app, name, applied) VALUES ('dsmr_solar', '0001_initial', now())",
    )
    with pytest.raises(SourceError, match="dsmr_solar.0001_initial is newer than v5.11"):
        dsmrreader_import(url=source_url(name))


def test_a_database_that_is_not_dsmr_readers_is_refused(make_source):
    name = make_source("blank")
    source_query(name, "CREATE TABLE django_migrations (id serial, app text, name text, applied timestamptz)")
    with pytest.raises(SourceError, match="is not a DSMR-reader database"):
        dsmrreader_import(url=source_url(name))
    assert _nothing_written()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://localhost/dsmrreader", "is not a PostgreSQL URL"),
        (
            "postgresql://postgres:secret@127.0.0.1:1/dsmrreader",
            "cannot connect to postgresql://postgres:***@127.0.0.1:1/",
        ),
        (source_url("dsmrreader_no_such_database"), "cannot connect"),
    ],
)
def test_a_source_that_cannot_be_reached_is_one_line(url, reason):
    with pytest.raises(SourceError) as raised:
        dsmrreader_import(url=url)
    assert reason in str(raised.value) and "\n" not in str(raised.value)
    assert "secret" not in str(raised.value)
    assert _nothing_written()


@pytest.fixture
def reader_role():
    role = f"dsmrreader_noperm_{uuid_suffix()}"
    admin(f'CREATE ROLE "{role}" LOGIN')
    yield role
    admin(f'DROP ROLE IF EXISTS "{role}"')


def uuid_suffix() -> str:
    import uuid

    return uuid.uuid4().hex[:8]


def test_no_permission_is_refused_with_nothing_written(make_source, reader_role):
    name = make_source("full")
    with pytest.raises(SourceError) as raised:
        dsmrreader_import(url=source_url(name, user=reader_role))
    message = str(raised.value)
    assert message.startswith("no permission to read") and "dsmr_datalogger_dsmrreading" in message
    assert f"as user '{reader_role}'" in message and "\n" not in message
    assert _nothing_written()


def test_the_source_is_opened_read_only(make_source):
    name = make_source("full")
    source = source_open(url=source_url(name))
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            source.connection.execute("DELETE FROM dsmr_datalogger_dsmrreading")
    finally:
        source.close()
    assert source_query(name, "SELECT count(*) FROM dsmr_datalogger_dsmrreading")[0][0] == 18048


class CuttingProxy:
    """A TCP proxy to the PostgreSQL server that drops both connections once ``limit`` bytes have come
    back from the server: a source that goes away in the middle of the readings."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent = 0
        self.cut = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", 5432))
            threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, counted: bool) -> None:
        try:
            while data := source.recv(65536):
                if counted:
                    self.sent += len(data)
                    if self.sent > self.limit:
                        self.cut.set()
                        break
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self.listener.close()


def test_a_connection_lost_midway_stops_with_one_line_and_a_rerun_completes_it(make_source):
    name = make_source("full")
    proxy = CuttingProxy(limit=1_000_000)  # the readings come as ~2.7 MB of COPY text
    try:
        url = source_url(name).replace(":5432/", f":{proxy.port}/")
        with pytest.raises(ImportStopped) as raised:
            dsmrreader_import(url=url, batch=1000, jobs=1)
    finally:
        proxy.close()
    assert proxy.cut.is_set()
    message = str(raised.value)
    assert "lost the DSMR-reader database" in message and "run the import again" in message
    assert "\n" not in message
    partial = DsmrReading.objects.count()
    assert 0 < partial < 18048 and partial == raised.value.summary.readings_stored
    assert ImportCheckpoint.objects.get().readings_until == max(
        _stored_readings()
    )  # the last committed batch
    summary = dsmrreader_import(url=source_url(name))
    assert summary.readings_stored == 18048 - partial
    _assert_readings_equal_source(name)
    assert EnergyContract.objects.count() == 1 and DayStatistics.objects.count() == 1


def test_overlapping_and_gapped_prices_become_contracts_without_failing(make_source):
    name = make_source("empty")
    columns = (
        'start, "end", description, electricity_delivered_1_price, electricity_delivered_2_price, '
        "electricity_returned_1_price, electricity_returned_2_price, gas_price, fixed_daily_cost"
    )
    rows = [
        ("2024-01-01", "2024-12-31", "power", "0.2", "0.25", "0.1", "0.12", "0", "0.5"),
        ("2024-07-01", "2025-06-30", "gas", "0", "0", "0", "0", "1.1", "0"),
        ("2025-09-01", "2099-12-31", "new", "0.3", "0.3", "0.1", "0.1", "1.2", "-0.25"),
    ]
    for row in rows:
        source_query(
            name,
            f"INSERT INTO dsmr_consumption_energysupplierprice ({columns}) VALUES ({', '.join(['%s'] * 9)})",
            row,
        )
    summary = dsmrreader_import(url=source_url(name))
    contracts = [
        (
            c.description,
            c.start.isoformat(),
            c.end.isoformat() if c.end else None,
            c.electricity_delivered_1_price,
            c.gas_price,
            c.fixed_daily_cost,
        )
        for c in EnergyContract.objects.order_by("start")
    ]
    d = Decimal
    assert contracts == [
        ("power", "2024-01-01", "2024-06-30", d("0.2"), d("0"), d("0.5")),
        ("power + gas", "2024-07-01", "2024-12-31", d("0.2"), d("1.1"), d("0.5")),
        ("gas", "2025-01-01", "2025-06-30", d("0"), d("1.1"), d("0")),
        ("new", "2025-09-01", None, d("0.3"), d("1.2"), d("0")),
    ]
    notes = "\n".join(summary.contract_notes)
    assert "overlap 2024-07-01 – 2024-12-31: 'power', 'gas' combined into one contract" in notes
    assert "gap: no prices from 2025-07-01 through 2025-08-31" in notes
    assert "fixed_daily_cost -0.250000 is negative" in notes
    assert summary.contracts_created == 4
    again = dsmrreader_import(url=source_url(name))
    assert (again.contracts_created, again.contracts_present) == (0, 4)


def test_two_processes_store_the_same_as_one(make_source):
    """Reading and checking in a second process (on the same snapshot) stores exactly what one does."""
    name = make_source("full")
    summary = dsmrreader_import(url=source_url(name), batch=2000, jobs=2)
    assert summary.readings_stored == 18048
    _assert_readings_equal_source(name)
    gas_stamps = source_query(
        name, "SELECT count(DISTINCT extra_device_timestamp) FROM dsmr_datalogger_dsmrreading"
    )
    assert MBusReading.objects.count() == gas_stamps[0][0]


def test_two_processes_lose_the_source_midway_with_one_line(make_source):
    name = make_source("full")
    proxy = CuttingProxy(limit=1_000_000)
    try:
        with pytest.raises(ImportStopped) as raised:
            dsmrreader_import(url=source_url(name).replace(":5432/", f":{proxy.port}/"), batch=1000, jobs=2)
    finally:
        proxy.close()
    assert "lost the DSMR-reader database" in str(raised.value) and "\n" not in str(raised.value)
    partial = DsmrReading.objects.count()
    assert 0 < partial < 18048
    assert dsmrreader_import(url=source_url(name), jobs=2).readings_stored == 18048 - partial
    _assert_readings_equal_source(name)


def test_a_v4_database_without_the_later_columns(make_source):
    """DSMR-reader v4.0–v4.2 (TABLES.md): no fixed daily cost (v4.3), no start-of-day positions (v4.13), no
    gas/electricity reading timestamps (v5.10), no quarter-hour peaks (v5.2), no extra device channel."""
    name = make_source("full")
    for statement in (
        "ALTER TABLE dsmr_consumption_energysupplierprice DROP COLUMN fixed_daily_cost",
        "ALTER TABLE dsmr_stats_daystatistics DROP COLUMN fixed_cost, DROP COLUMN electricity1_reading, "
        "DROP COLUMN electricity2_reading, DROP COLUMN electricity1_returned_reading, "
        "DROP COLUMN electricity2_returned_reading, DROP COLUMN gas_reading, "
        "DROP COLUMN electricity_reading_timestamp, DROP COLUMN gas_reading_timestamp",
        "DROP TABLE dsmr_consumption_quarterhourpeakelectricityconsumption",
        "ALTER TABLE dsmr_datalogger_dataloggersettings DROP COLUMN dsmr_extra_device_channel",
        "DELETE FROM django_migrations WHERE (app = 'dsmr_consumption' AND name >= '0016') "
        "OR (app = 'dsmr_stats' AND name >= '0015') OR (app = 'dsmr_datalogger' AND name >= '0031')",
    ):
        source_query(name, statement)
    summary = dsmrreader_import(url=source_url(name))
    assert summary.version.startswith("v4/v5 (dsmr_datalogger migration 0030)")
    assert summary.readings_stored == 18048
    contract = EnergyContract.objects.get()
    assert contract.fixed_daily_cost == 0 and contract.gas_price == Decimal("0.8")
    # 24 Oct, its readings gone; its start-of-day positions from its first reading left in the source
    day = DayStatistics.objects.get()
    first = truths()["stream"]["per_local_day"]["2026-10-24"]["first_positions"]
    assert day.imported and day.electricity1 == Decimal("10.193")
    assert day.electricity1_reading == Decimal(first["electricity_delivered_1"])
    assert day.electricity2_returned_reading == Decimal(first["electricity_returned_2"])
    assert day.gas_reading == Decimal(first["extra_device_delivered"])
    assert summary.positions_unknown == 0
    assert "not imported: dsmr_consumption_quarterhourpeakelectricityconsumption" not in "\n".join(
        summary.lines()
    )
