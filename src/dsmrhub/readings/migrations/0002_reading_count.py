"""A stored-readings counter kept by triggers, so paging the readings API needs no COUNT(*) of the table."""

from django.db import migrations, models

SQLITE_FORWARD = [
    "INSERT INTO readings_readingcount (id, count) SELECT 1, COUNT(*) FROM readings_dsmrreading",
    "CREATE TRIGGER readings_count_insert AFTER INSERT ON readings_dsmrreading BEGIN "
    "UPDATE readings_readingcount SET count = count + 1 WHERE id = 1; END",
    "CREATE TRIGGER readings_count_delete AFTER DELETE ON readings_dsmrreading BEGIN "
    "UPDATE readings_readingcount SET count = count - 1 WHERE id = 1; END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS readings_count_insert",
    "DROP TRIGGER IF EXISTS readings_count_delete",
]
POSTGRES_FORWARD = [
    "INSERT INTO readings_readingcount (id, count) SELECT 1, COUNT(*) FROM readings_dsmrreading",
    "CREATE OR REPLACE FUNCTION readings_count_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "    UPDATE readings_readingcount SET count = count + (CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END)\n"
    "        WHERE id = 1;\n"
    "    RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER readings_count_change AFTER INSERT OR DELETE ON readings_dsmrreading "
    "FOR EACH ROW EXECUTE FUNCTION readings_count_change()",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS readings_count_change ON readings_dsmrreading",
    "DROP FUNCTION IF EXISTS readings_count_change()",
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
            name="ReadingCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("count", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
