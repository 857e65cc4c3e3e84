"""Models with exactly one row (settings and live state): one id, one way to read or create the row."""

from __future__ import annotations

from typing import Any, Self

from django.db import models

SINGLETON_ID = 1  # the primary key of the one row; raw SQL on these tables uses it too


class Singleton(models.Model):
    """A model of one row, id ``SINGLETON_ID``. Adds methods only: no table, no migration."""

    class Meta:
        abstract = True

    @classmethod
    def load(cls, **defaults: Any) -> Self:
        """The row, created first (with ``defaults``) when there is none."""
        return cls.objects.get_or_create(pk=SINGLETON_ID, defaults=defaults)[0]

    @classmethod
    def peek(cls) -> Self:
        """The row, or an unsaved one with the field defaults when there is none; never writes."""
        return cls.objects.filter(pk=SINGLETON_ID).first() or cls()

    @classmethod
    def store(cls, **values: Any) -> Self:
        """Write ``values`` to the row (created when there is none); the row."""
        return cls.objects.update_or_create(pk=SINGLETON_ID, defaults=values)[0]

    @classmethod
    def row(cls) -> models.QuerySet[Self]:
        """The row as a query: for ``update()``, ``select_for_update()`` or ``values_list()``."""
        return cls.objects.filter(pk=SINGLETON_ID)
