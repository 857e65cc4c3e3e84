"""A DSMR-reader v4/v5 PostgreSQL database as a source: connect read-only, check what it is, read its rows.

Nothing here writes to the source: the connection runs one REPEATABLE READ, READ ONLY transaction, so every
row comes from one consistent snapshot and a stray write would be refused by PostgreSQL itself. Tables and
columns are described in ``../shared/interop/dsmr-reader/TABLES.md``; which migrations exist tells the
version (``django_migrations``). Values come back as Python values (Decimal, aware UTC datetimes, dates);
turning them into dsmrhub rows is the importer's work (``switching.services``), through dsmrhub's own check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

# Per DSMR-reader app, the highest migration number of v5.11.0 (its migrations are numbered one after
# another: 0001 … latest, see TABLES.md "Which schema is this?"). A migration numbered higher, or an app not
# listed, comes from a version this importer does not know.
KNOWN_MIGRATIONS = {
    "dsmr_api": 3,
    "dsmr_backend": 15,
    "dsmr_backup": 17,
    "dsmr_consumption": 21,
    "dsmr_datalogger": 33,
    "dsmr_dropbox": 1,
    "dsmr_frontend": 50,
    "dsmr_influxdb": 6,
    "dsmr_mindergas": 5,
    "dsmr_mqtt": 21,
    "dsmr_notification": 8,
    "dsmr_pvoutput": 4,
    "dsmr_stats": 20,
    "dsmr_weather": 6,
}
# v4.0.0 is the oldest release whose tables TABLES.md documents; its dsmr_backend is at 0015.
OLDEST_BACKEND_MIGRATION = 15
RELEASE_BY_DATALOGGER = {33: "v5.11", 32: "v5.10"}

READINGS = "dsmr_datalogger_dsmrreading"
METER_STATISTICS = "dsmr_datalogger_meterstatistics"
PRICES = "dsmr_consumption_energysupplierprice"
DAYS = "dsmr_stats_daystatistics"
HOURS = "dsmr_stats_hourstatistics"
TEMPERATURES = "dsmr_weather_temperaturereading"
DATALOGGER_SETTINGS = "dsmr_datalogger_dataloggersettings"
REQUIRED_TABLES = (READINGS, METER_STATISTICS, PRICES, DAYS, HOURS)
OPTIONAL_TABLES = (TEMPERATURES, DATALOGGER_SETTINGS)
# Tables with history that dsmrhub derives itself or has no place for, and why (the summary says so).
NOT_IMPORTED = {
    "dsmr_consumption_electricityconsumption": "per-minute rows: dsmrhub computes its own from the readings",
    "dsmr_consumption_gasconsumption": "gas rows: dsmrhub computes its own gas hours from the readings",
    "dsmr_consumption_quarterhourpeakelectricityconsumption": (
        "quarter-hour peaks: computed from the readings, not copied"
    ),
    "dsmr_datalogger_meterstatisticschange": "counter change log: dsmrhub keeps the counters, not their log",
    "dsmr_stats_electricitystatistics": "all-time phase extremes: dsmrhub has no such table",
    "dsmr_stats_note": "day notes: dsmrhub has no notes",
}

READING_REQUIRED = (
    "timestamp",
    "electricity_delivered_1",
    "electricity_returned_1",
    "electricity_delivered_2",
    "electricity_returned_2",
    "electricity_currently_delivered",
    "electricity_currently_returned",
)
READING_OPTIONAL = (
    "extra_device_timestamp",
    "extra_device_delivered",
    *(f"phase_currently_{d}_l{p}" for d in ("delivered", "returned") for p in (1, 2, 3)),
    *(f"phase_{q}_l{p}" for q in ("voltage", "power_current") for p in (1, 2, 3)),
)
READING_FIELDS = READING_REQUIRED + READING_OPTIONAL

PRICE_COLUMNS = (
    "electricity_delivered_1_price",
    "electricity_delivered_2_price",
    "electricity_returned_1_price",
    "electricity_returned_2_price",
    "gas_price",
    "fixed_daily_cost",  # since v4.3
)
DAY_COLUMNS = (
    "day",
    "electricity1",
    "electricity2",
    "electricity1_returned",
    "electricity2_returned",
    "gas",
    "electricity1_cost",
    "electricity2_cost",
    "gas_cost",
    "fixed_cost",  # since v4.3
    "total_cost",
    "electricity1_reading",  # since v4.13
    "electricity2_reading",
    "electricity1_returned_reading",
    "electricity2_returned_reading",
    "gas_reading",
)
HOUR_COLUMNS = (
    "hour_start",
    "electricity1",
    "electricity2",
    "electricity1_returned",
    "electricity2_returned",
    "gas",
)
METER_COLUMNS = (
    "timestamp",
    "electricity_tariff",
    "power_failure_count",
    "long_power_failure_count",
    *(f"voltage_{event}_count_l{phase}" for event in ("sag", "swell") for phase in (1, 2, 3)),
    "rejected_telegrams",
    "dsmr_version",
    "latest_telegram",
)


class SourceError(Exception):
    """The source cannot be imported from (or stopped answering); the message is one line for the user."""


@dataclass
class Source:
    """An open, checked, read-only DSMR-reader database."""

    connection: psycopg.Connection
    version: str  # e.g. "v5.11"
    identity: str  # host:port/dbname, for the resume point
    url: str = ""
    columns: dict[str, set[str]] = field(default_factory=dict)  # table -> its columns

    def has(self, table: str, column: str | None = None) -> bool:
        if table not in self.columns:
            return False
        return column is None or column in self.columns[table]

    def close(self) -> None:
        self.connection.close()


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)


def source_open(*, url: str) -> Source:
    """Connect read-only and check that this is a DSMR-reader v4/v5 database this importer knows; raises
    ``SourceError`` (one line) otherwise. Reads nothing but the catalog and ``django_migrations``."""
    if not re.match(r"^(postgres|postgresql)://", url) and "=" not in url:
        raise SourceError(f"{url!r} is not a PostgreSQL URL (postgresql://user:password@host:port/database)")
    try:
        conn = psycopg.connect(url, connect_timeout=10, application_name="dsmrhub import-dsmrreader")
    except psycopg.Error as error:
        raise SourceError(f"cannot connect to {_safe_url(url)}: {_one_line(error)}") from None
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True  # every transaction on it: SET TRANSACTION READ ONLY
        conn.execute("SET TIME ZONE 'UTC'")
        identity = f"{conn.info.host}:{conn.info.port}/{conn.info.dbname}"
        source = Source(connection=conn, version="", identity=identity, url=url)
        _check(source)
    except SourceError:
        conn.close()
        raise
    except psycopg.errors.InsufficientPrivilege as error:
        conn.close()
        raise SourceError(f"no permission to read the DSMR-reader database: {_one_line(error)}") from None
    except psycopg.Error as error:
        conn.close()
        raise SourceError(f"reading the DSMR-reader database failed: {_one_line(error)}") from None
    return source


def _check(source: Source) -> None:
    conn = source.connection
    tables = {
        name
        for (name,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    # information_schema lists only tables the user has some privilege on: look in pg_class as well.
    present = {
        name
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')"
        )
    } | tables
    if "django_migrations" not in present or READINGS not in present:
        raise SourceError(
            f"database {conn.info.dbname!r} is not a DSMR-reader database "
            f"(no django_migrations or {READINGS} table)"
        )
    wanted = ["django_migrations", *REQUIRED_TABLES, *(t for t in OPTIONAL_TABLES if t in present)]
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        raise SourceError(
            f"database {conn.info.dbname!r} is not a complete DSMR-reader v4/v5 database "
            f"(missing: {', '.join(missing)})"
        )
    denied = [
        t for t in wanted if not conn.execute("SELECT has_table_privilege(%s, 'SELECT')", [t]).fetchone()[0]
    ]
    if denied:
        raise SourceError(
            f"no permission to read {', '.join(denied)} as user {conn.info.user!r} "
            f"(GRANT SELECT ON ALL TABLES IN SCHEMA public TO {conn.info.user})"
        )
    latest: dict[str, int] = {}
    unknown: list[str] = []
    for app, name in conn.execute("SELECT app, name FROM django_migrations WHERE app LIKE 'dsmr%%'"):
        number = int(name[:4]) if name[:4].isdigit() else None
        known = KNOWN_MIGRATIONS.get(app)
        if known is None or number is None or number > known:
            unknown.append(f"{app}.{name}")
        elif number > latest.get(app, 0):
            latest[app] = number
    if unknown:
        raise SourceError(
            f"unknown DSMR-reader schema version: migration {', '.join(sorted(unknown)[:3])} is newer than "
            "v5.11, the newest version this importer knows (update dsmrhub)"
        )
    if not latest:  # DSMR-reader's tables but no migration recorded (a schema-only copy)
        source.version = "v4/v5 (no migrations recorded; recognised by its tables)"
    else:
        if latest.get("dsmr_backend", 0) < OLDEST_BACKEND_MIGRATION:
            raise SourceError(
                "this DSMR-reader database is older than v4.0: upgrade DSMR-reader to v4 or v5 first"
            )
        datalogger = latest.get("dsmr_datalogger", 0)
        source.version = RELEASE_BY_DATALOGGER.get(
            datalogger, f"v4/v5 (dsmr_datalogger migration {datalogger:04d})"
        )
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ANY(%s)",
        [wanted],
    ):
        source.columns.setdefault(table, set()).add(column)
    lacking = [c for c in READING_REQUIRED if not source.has(READINGS, c)]
    if lacking:
        raise SourceError(
            f"{READINGS} lacks the columns {', '.join(lacking)}: not a DSMR-reader v4/v5 database"
        )
    conn.commit()


def snapshot_export(source: Source) -> str:
    """The source transaction's snapshot, for a second connection to read the very same rows."""
    return _rows(source, sql.SQL("SELECT pg_export_snapshot()"))[0][0]


def source_attach(*, url: str, snapshot: str, columns: dict[str, set[str]]) -> Source:
    """A second read-only connection on an exported snapshot of a source checked by ``source_open``."""
    try:
        conn = psycopg.connect(url, connect_timeout=10, application_name="dsmrhub import-dsmrreader")
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        conn.execute("SET TIME ZONE 'UTC'")
    except psycopg.Error as error:
        raise SourceError(f"lost the DSMR-reader database: {_one_line(error)}") from None
    identity = f"{conn.info.host}:{conn.info.port}/{conn.info.dbname}"
    return Source(connection=conn, version="", identity=identity, url=url, columns=columns)


def _select(source: Source, table: str, columns: tuple[str, ...]) -> sql.Composed:
    """The columns of ``table`` in order, NULL for a column this version lacks."""
    parts = [
        sql.Identifier(column)
        if source.has(table, column)
        else sql.SQL("NULL AS {}").format(sql.Identifier(column))
        for column in columns
    ]
    return sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(parts), sql.Identifier(table))


def _rows(source: Source, query: sql.Composable, params: list | None = None) -> list[tuple]:
    try:
        return source.connection.execute(query, params).fetchall()
    except psycopg.Error as error:
        raise SourceError(f"reading the DSMR-reader database failed: {_one_line(error)}") from None


def readings_count(source: Source, *, since: datetime | None) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(READINGS))
    if since is None:
        return _rows(source, query)[0][0]
    return _rows(source, query + sql.SQL(" WHERE timestamp >= %s"), [since])[0][0]


def readings_stream(source: Source, *, since: datetime | None, batch: int) -> Iterator[list[tuple]]:
    """The readings in (timestamp, id) order from ``since`` on, as tuples in ``READING_FIELDS`` order, in
    lists of ``batch``; one COPY on the snapshot (text). Timestamps become aware UTC datetimes; numbers
    stay their text, which the one check (``readings.check``) takes as it is: a value it has seen before
    is known by its text, without building a Decimal."""
    select = _select(source, READINGS, READING_FIELDS)
    where = sql.SQL(" WHERE timestamp >= {}").format(sql.Literal(since)) if since is not None else sql.SQL("")
    query = sql.SQL("COPY ({} ORDER BY timestamp, id) TO STDOUT").format(select + where)
    types = ["timestamptz", *(["text"] * 6), "timestamptz", *(["text"] * 13)]
    try:
        with source.connection.cursor() as cursor, cursor.copy(query) as copy:
            copy.set_types(types)
            rows: list[tuple] = []
            for row in copy.rows():
                rows.append(row)
                if len(rows) >= batch:
                    yield rows
                    rows = []
            if rows:
                yield rows
    except psycopg.Error as error:
        raise SourceError(
            f"lost the DSMR-reader database while reading readings: {_one_line(error)}"
        ) from None


def readings_per_hour(source: Source) -> dict[int, int]:
    """Readings per UTC hour (Unix seconds of the hour's start → count): retention leaves at most 2."""
    query = sql.SQL(
        "SELECT (floor(extract(epoch FROM timestamp) / 3600) * 3600)::bigint, count(*) FROM {} GROUP BY 1"
    ).format(sql.Identifier(READINGS))
    return dict(_rows(source, query))


def first_positions(source: Source, *, start: datetime, end: datetime) -> tuple | None:
    """(delivered 1, delivered 2, returned 1, returned 2, gas) of the first reading in [start, end), gas
    only when its own timestamp lies in that range too; None when there is no reading."""
    query = sql.SQL(
        "SELECT electricity_delivered_1, electricity_delivered_2, electricity_returned_1, "
        "electricity_returned_2, CASE WHEN extra_device_timestamp >= %s THEN extra_device_delivered END "
        "FROM {} WHERE timestamp >= %s AND timestamp < %s ORDER BY timestamp, id LIMIT 1"
    ).format(sql.Identifier(READINGS))
    rows = _rows(source, query, [start, start, end])
    return rows[0] if rows else None


def prices_read(source: Source) -> list[dict[str, Any]]:
    columns = ("id", "start", "end", "description", *PRICE_COLUMNS)
    rows = _rows(source, _select(source, PRICES, columns) + sql.SQL(" ORDER BY start, id"))
    return [dict(zip(columns, row, strict=True)) for row in rows]


def days_read(source: Source) -> list[dict[str, Any]]:
    rows = _rows(source, _select(source, DAYS, DAY_COLUMNS) + sql.SQL(" ORDER BY day"))
    return [dict(zip(DAY_COLUMNS, row, strict=True)) for row in rows]


def hours_read(source: Source) -> list[dict[str, Any]]:
    rows = _rows(source, _select(source, HOURS, HOUR_COLUMNS) + sql.SQL(" ORDER BY hour_start"))
    return [dict(zip(HOUR_COLUMNS, row, strict=True)) for row in rows]


def temperatures_read(source: Source) -> list[tuple[datetime, Decimal]]:
    if not source.has(TEMPERATURES, "degrees_celcius"):
        return []
    query = sql.SQL("SELECT read_at, degrees_celcius FROM {} ORDER BY read_at").format(
        sql.Identifier(TEMPERATURES)
    )
    return [(read_at, degrees) for read_at, degrees in _rows(source, query)]


def meter_statistics_read(source: Source) -> dict[str, Any] | None:
    rows = _rows(source, _select(source, METER_STATISTICS, METER_COLUMNS) + sql.SQL(" ORDER BY id LIMIT 1"))
    return dict(zip(METER_COLUMNS, rows[0], strict=True)) if rows else None


def gas_channel_read(source: Source) -> int | None:
    """The M-Bus channel DSMR-reader was told to read gas from (None: it detected it itself)."""
    if not source.has(DATALOGGER_SETTINGS, "dsmr_extra_device_channel"):
        return None
    rows = _rows(
        source,
        sql.SQL("SELECT dsmr_extra_device_channel FROM {} ORDER BY id LIMIT 1").format(
            sql.Identifier(DATALOGGER_SETTINGS)
        ),
    )
    return rows[0][0] if rows else None


def not_imported_counts(source: Source) -> dict[str, int]:
    """Rows in the history tables that are not imported (see ``NOT_IMPORTED``), per table present."""
    counts = {}
    present = {
        name
        for (name,) in source.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name = ANY(%s)",
            [list(NOT_IMPORTED)],
        )
    }
    for table in NOT_IMPORTED:
        if table not in present:
            continue
        readable = _rows(source, sql.SQL("SELECT has_table_privilege(%s, 'SELECT')"), [table])[0][0]
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        counts[table] = _rows(source, query)[0][0] if readable else -1  # -1: not readable
    return counts


def day_of(value: date | datetime) -> date:
    return value if not isinstance(value, datetime) else value.date()
