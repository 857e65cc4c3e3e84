from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("processing", "0002_reading_change_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="QuarantinedReading",
            fields=[
                ("reading_at", models.BigIntegerField(primary_key=True, serialize=False)),
                ("gas_at", models.BigIntegerField(null=True)),
                ("whole", models.BooleanField()),
                ("reason", models.CharField(max_length=300)),
                ("quarantined_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["reading_at"],
            },
        ),
    ]
