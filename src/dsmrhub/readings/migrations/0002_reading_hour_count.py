"""Readings per UTC hour, kept by triggers, so paging the readings API needs no COUNT(*) over millions of rows."""

from django.db import migrations, models

FILL = (
    "INSERT INTO readings_readinghourcount (hour, count) "
    "SELECT {hour}, COUNT(*) FROM readings_dsmrreading GROUP BY 1"
)
SQLITE_ADD = (
    "INSERT INTO readings_readinghourcount (hour, count) VALUES ({row}.timestamp / 3600, 1) "
    "ON CONFLICT (hour) DO UPDATE SET count = count + 1;"
)
SQLITE_REMOVE = "UPDATE readings_readinghourcount SET count = count - 1 WHERE hour = {row}.timestamp / 3600;"
SQLITE_FORWARD = [
    FILL.format(hour="timestamp / 3600"),
    f"CREATE TRIGGER readings_hourcount_insert AFTER INSERT ON readings_dsmrreading BEGIN "
    f"{SQLITE_ADD.format(row='NEW')} END",
    f"CREATE TRIGGER readings_hourcount_delete AFTER DELETE ON readings_dsmrreading BEGIN "
    f"{SQLITE_REMOVE.format(row='OLD')} END",
    f"CREATE TRIGGER readings_hourcount_update AFTER UPDATE OF timestamp ON readings_dsmrreading BEGIN "
    f"{SQLITE_REMOVE.format(row='OLD')} {SQLITE_ADD.format(row='NEW')} END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS readings_hourcount_insert",
    "DROP TRIGGER IF EXISTS readings_hourcount_delete",
    "DROP TRIGGER IF EXISTS readings_hourcount_update",
]
POSTGRES_FORWARD = [
    FILL.format(hour="div(timestamp, 3600)"),
    "CREATE OR REPLACE FUNCTION readings_hourcount_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "    IF TG_OP <> 'INSERT' THEN\n"
    "        UPDATE readings_readinghourcount SET count = count - 1 WHERE hour = div(OLD.timestamp, 3600);\n"
    "    END IF;\n"
    "    IF TG_OP <> 'DELETE' THEN\n"
    "        INSERT INTO readings_readinghourcount (hour, count) VALUES (div(NEW.timestamp, 3600), 1)\n"
    "            ON CONFLICT (hour) DO UPDATE SET count = readings_readinghourcount.count + 1;\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER readings_hourcount_change AFTER INSERT OR DELETE OR UPDATE OF timestamp "
    "ON readings_dsmrreading FOR EACH ROW EXECUTE FUNCTION readings_hourcount_change()",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS readings_hourcount_change ON readings_dsmrreading",
    "DROP FUNCTION IF EXISTS readings_hourcount_change()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no reading-count triggers for database {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("readings", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReadingHourCount",
            fields=[
                ("hour", models.BigIntegerField(primary_key=True, serialize=False)),
                ("count", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
