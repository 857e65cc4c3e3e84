from __future__ import annotations

import secrets

from django.db import models

from dsmrhub.db.singleton import Singleton

KEY_LENGTH = 64


def api_key_generate() -> str:
    """A random 64-character key from an unambiguous alphabet."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(KEY_LENGTH))


class APISettings(Singleton):
    """Whether the API answers at all, and the key it wants. A single row; disabled by default."""

    allow = models.BooleanField(default=False, help_text="Enable the API (v1 and v2).")
    auth_key = models.CharField(
        max_length=255,
        default=api_key_generate,
        help_text="Send it as 'Authorization: Token <key>'. An empty key never authenticates.",
    )

    class Meta:
        verbose_name = "API settings"
        verbose_name_plural = "API settings"

    def __str__(self) -> str:
        return "API settings"
