"""Database triggers that note which minutes of readings changed, so processing finds every change itself.

Whatever stores a reading (ingest, API v2, an import, raw SQL) marks its minute and its gas stamp's
minute in processing_pendingminute, in the same transaction; readings' code knows nothing of processing.
On PostgreSQL the mark is an upsert that locks the mark row, so the processor (which takes marks with
SKIP LOCKED) never consumes a mark whose reading is not committed yet.
"""

from django.db import migrations

SQLITE_MARK = """
    INSERT OR IGNORE INTO processing_pendingminute (minute, touched) VALUES ({row}.timestamp / 60, 1);
    INSERT OR IGNORE INTO processing_pendingminute (minute, touched)
        SELECT {row}.extra_device_timestamp / 60, 1 WHERE {row}.extra_device_timestamp IS NOT NULL;
"""

SQLITE_FORWARD = [
    "CREATE TRIGGER processing_reading_insert AFTER INSERT ON readings_dsmrreading BEGIN"
    + SQLITE_MARK.format(row="NEW")
    + "END",
    "CREATE TRIGGER processing_reading_update AFTER UPDATE ON readings_dsmrreading BEGIN"
    + SQLITE_MARK.format(row="NEW")
    + SQLITE_MARK.format(row="OLD")
    + "END",
    "CREATE TRIGGER processing_reading_delete AFTER DELETE ON readings_dsmrreading BEGIN"
    + SQLITE_MARK.format(row="OLD")
    + "END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS processing_reading_insert",
    "DROP TRIGGER IF EXISTS processing_reading_update",
    "DROP TRIGGER IF EXISTS processing_reading_delete",
]

POSTGRES_MARK = """
        INSERT INTO processing_pendingminute (minute, touched) VALUES (div({row}.timestamp, 60), 1)
            ON CONFLICT (minute) DO UPDATE SET touched = 1;
        IF {row}.extra_device_timestamp IS NOT NULL THEN
            INSERT INTO processing_pendingminute (minute, touched)
                VALUES (div({row}.extra_device_timestamp, 60), 1)
                ON CONFLICT (minute) DO UPDATE SET touched = 1;
        END IF;
"""
POSTGRES_FORWARD = [
    "CREATE OR REPLACE FUNCTION processing_mark_reading() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "    IF TG_OP <> 'DELETE' THEN" + POSTGRES_MARK.format(row="NEW") + "    END IF;\n"
    "    IF TG_OP <> 'INSERT' THEN" + POSTGRES_MARK.format(row="OLD") + "    END IF;\n"
    "    RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER processing_reading_change AFTER INSERT OR UPDATE OR DELETE ON readings_dsmrreading "
    "FOR EACH ROW EXECUTE FUNCTION processing_mark_reading()",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS processing_reading_change ON readings_dsmrreading",
    "DROP FUNCTION IF EXISTS processing_mark_reading()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no change triggers for database {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("readings", "0001_initial"),
        ("processing", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
