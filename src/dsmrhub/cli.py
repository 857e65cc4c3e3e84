"""The ``dsmrhub`` command: Django's management commands plus dsmrhub's own (serve, run, api, …)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsmrhub.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["dsmrhub", *(args or ["help"])])


if __name__ == "__main__":
    main()
