"""The ``dsmrhub`` command: Django's management commands plus dsmrhub's own (serve, run, api, …)."""

from __future__ import annotations

import gc
import os
import sys

from dsmrhub.datadir import PRIVATE_UMASK, data_dir_tighten

# What a forwarder-only install runs (see SERVER_INSTALLED in settings.py).
FORWARDER_COMMANDS = frozenset({"forward", "help", "--help", "-h", "version", "--version"})


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsmrhub.settings")
    # Whatever dsmrhub creates (data dir, database, buffer, queue, secret key) is its owner's alone.
    os.umask(PRIVATE_UMASK)
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        django.setup()
    except (ImproperlyConfigured, ValueError, OSError) as error:  # bad DSMRHUB_* variables, data dir
        cause = f" ({error.__cause__})" if error.__cause__ else ""
        sys.exit(f"dsmrhub: configuration error: {error}{cause}; see the DSMRHUB_* environment variables")
    from django.conf import settings

    data_dir_tighten(settings.DATA_DIR)
    # Django's start-up leaves a few hundred thousand long-lived objects that every full collection
    # would scan again; frozen, the cyclic collector looks only at what the command creates (an import
    # of 60,000 telegrams: 211 -> 133 ms in the parent's collector), and forked import workers do not
    # write to the memory pages those objects share with the parent.
    gc.freeze()
    args = sys.argv[1:] if argv is None else argv
    # A forwarder-only install (`pip install dsmrhub`, settings.SERVER_INSTALLED false) has only `forward`.
    if not settings.SERVER_INSTALLED and args and args[0] not in FORWARDER_COMMANDS:
        sys.exit(
            f"dsmrhub {args[0]}: this install is the forwarder only (dsmrhub forward); the hub needs "
            "pip install 'dsmrhub[server]' (with PostgreSQL: 'dsmrhub[all]')"
        )
    execute_from_command_line(["dsmrhub", *(args or ["help"])])


if __name__ == "__main__":
    main()
