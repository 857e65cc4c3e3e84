from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "dsmrhub.backup"
    verbose_name = "Backups"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_migrate

        from dsmrhub.backup import versions

        # `migrate` refuses a database of a newer dsmrhub, and records the version it leaves behind.
        pre_migrate.connect(versions.refuse_newer_on_migrate, sender=self)
        post_migrate.connect(versions.record_on_migrate, sender=self)
