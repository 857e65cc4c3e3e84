"""The ``dsmrhub`` command: dsmrhub's own commands (run, serve, import, api, …) and the few of Django's
that users need (migrate, createsuperuser, …); all of Django's behind ``dsmrhub django COMMAND``."""

from __future__ import annotations

import difflib
import gc
import os
import re
import shutil
import sys
import textwrap

from dsmrhub.datadir import PRIVATE_UMASK, data_dir_tighten

# What a forwarder-only install runs (see SERVER_INSTALLED in settings.py).
FORWARDER_COMMANDS = frozenset({"forward", "help", "--help", "-h", "version", "--version"})

# How `dsmrhub help` groups the commands. A command of dsmrhub's (any app's management/commands/) that
# is missing here is listed under "Other", so a new command shows up without editing this.
COMMAND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Run", ("run", "serve", "datalogger", "forward", "process")),
    ("Data", ("import", "import-dsmrreader", "rebuild", "devices-rebuild", "readings-delete", "prices")),
    (
        "Settings",
        (
            "api",
            "mqtt",
            "contract",
            "datalogger-settings",
            "meter-settings",
            "device-kind",
            "processing-settings",
        ),
    ),
    ("Admin", ("createsuperuser", "changepassword", "migrate", "shell")),
)
# Django's commands that the docs and users' habits call directly; the others: `dsmrhub django COMMAND`.
DJANGO_DIRECT = frozenset({"createsuperuser", "changepassword", "migrate", "shell"})
# Commands that do not need the database (or are the way to migrate it); every other command has
# pending migrations applied first, so a fresh data dir works with any of them.
WITHOUT_DATABASE = frozenset({"forward", "migrate", "shell"})
HELP = frozenset({"help", "--help", "-h"})


def _commands() -> dict[str, str]:
    """The commands `dsmrhub COMMAND` runs: name -> app."""
    from django.conf import settings
    from django.core.management import get_commands

    commands = {
        name: app
        for name, app in get_commands().items()
        if app.startswith("dsmrhub.") or name in DJANGO_DIRECT
    }
    if not settings.SERVER_INSTALLED:  # the other commands' modules need apps this install lacks
        commands = {name: app for name, app in commands.items() if name in FORWARDER_COMMANDS}
    return commands


def _summary(help_text: str) -> str:
    """The first sentence of a command's help."""
    text = " ".join(help_text.split())
    end = re.search(r"[.!?](?=\s+[A-Z(`]|$)", text)
    return text[: end.end()] if end else text


def _usage() -> str:
    from django.core.management import load_command_class

    commands = _commands()
    grouped = [(title, [name for name in names if name in commands]) for title, names in COMMAND_GROUPS]
    listed = {name for _, names in grouped for name in names}
    grouped.append(("Other", sorted(set(commands) - listed)))
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    column = 2 + max(len(name) for name in commands) + 2
    lines = ["Usage: dsmrhub COMMAND [OPTIONS]   (dsmrhub COMMAND --help: its options)"]
    for title, names in grouped:
        if names:
            lines += ["", f"{title}:"]
        for name in names:
            summary = _summary(load_command_class(commands[name], name).help)
            lines += textwrap.wrap(
                summary,
                width=width,
                initial_indent=f"  {name:<{column - 2}}",
                subsequent_indent=" " * column,
            )
    lines += [
        "",
        "Django's own commands (dbshell, showmigrations, flush, …): dsmrhub django COMMAND;",
        "dsmrhub django help lists them.",
    ]
    return "\n".join(lines)


def _not_a_command(name: str) -> str:
    from django.core.management import get_commands

    if name in get_commands():
        return f"dsmrhub: {name} is one of Django's own commands: dsmrhub django {name}"
    close = difflib.get_close_matches(name, _commands(), n=1)
    suggestion = f" (did you mean {close[0]}?)" if close else ""
    return f"dsmrhub: unknown command {name!r}{suggestion}; dsmrhub help lists the commands"


def _migrate_first(command: str) -> None:
    from django.db import DatabaseError

    from dsmrhub.backup.versions import database_version_refusal
    from dsmrhub.db.migrate import migrations_apply_pending

    try:
        # restore is the refusal's own advice, and checks the backup's version itself.
        if command != "restore" and (refusal := database_version_refusal()):
            sys.exit(f"dsmrhub {command}: {refusal}")
        migrations_apply_pending()
    except DatabaseError as error:  # unreachable, refused, or a migration that fails: one line, no traceback
        reason = " ".join(str(error).split())  # the driver's message can span lines
        sys.exit(
            f"dsmrhub {command}: the database cannot be brought up to date: {reason} "
            "(dsmrhub migrate shows the details)"
        )


def _usage_errors_in_one_line() -> None:
    """A wrong option or value is one line and exit 2 in every command (argparse prints its whole usage
    first, a screenful for some commands, which buries the reason); ``--help`` still shows the usage."""
    from django.core.management.base import CommandError, CommandParser

    def error(parser: CommandParser, message: str) -> None:
        if not parser.called_from_command_line:  # call_command(): Django's own behaviour
            raise CommandError(f"Error: {message}")
        parser.exit(2, f"{parser.prog}: error: {message} ({parser.prog} --help shows the options)\n")

    CommandParser.error = error


def _dispatch(args: list[str]) -> None:
    from django.core.management import execute_from_command_line

    import dsmrhub

    command = args[0] if args else "help"
    if command in HELP and len(args) <= 1:
        print(_usage())
        return
    if command in ("version", "--version"):
        print(dsmrhub.__version__)
        return
    if command == "django":  # Django's own command line, untouched: `dsmrhub django help`, `… flush`
        execute_from_command_line(["dsmrhub django", *(args[1:] or ["help"])])
        return
    _usage_errors_in_one_line()
    subject = args[1] if command == "help" else command
    if subject not in _commands():
        sys.exit(_not_a_command(subject))
    asks_help = command == "help" or any(arg in HELP for arg in args[1:])
    if subject not in WITHOUT_DATABASE and not asks_help:
        _migrate_first(subject)
    from django.core.management.base import CommandError

    try:
        execute_from_command_line(["dsmrhub", *args])
    except CommandError as error:  # raised while parsing (an option's type=): a usage error, not a traceback
        print(f"dsmrhub {subject}: error: {error}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsmrhub.settings")
    # Whatever dsmrhub creates (data dir, database, buffer, queue, secret key) is its owner's alone.
    os.umask(PRIVATE_UMASK)
    import django
    from django.core.exceptions import ImproperlyConfigured

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
    _dispatch(args)


if __name__ == "__main__":
    main()
