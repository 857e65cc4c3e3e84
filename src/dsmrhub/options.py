"""Command-line options shared by dsmrhub's commands: one name per thing, old names kept as aliases.

One name per thing across CLI, settings, admin and pages: ``--decryption-key`` and
``--authentication-key`` for a meter's keys, ``--api-key`` for an API key. The spellings they replace
(``--key``, ``--auth-key``) still work, so that users' systemd units and scripts keep running; they are
left out of ``--help`` and log a one-line warning.
"""

from __future__ import annotations

import argparse
import logging

logger = logging.getLogger("dsmrhub")


class _DeprecatedAlias(argparse.Action):
    """Does what ``target`` does (store, append, its type and choices), after a warning."""

    def __init__(self, option_strings, dest, *, target: argparse.Action, **kwargs) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.target = target

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        logger.warning("%s is deprecated, use %s", option_string, self.target.option_strings[0])
        self.target(parser, namespace, values, option_string)


def option_alias_deprecated(parser: argparse.ArgumentParser, old: str, *, target: argparse.Action) -> None:
    """Accept ``old`` for the option ``target`` (what ``add_argument`` returned), hidden from --help."""
    parser.add_argument(
        old,
        dest=target.dest,
        action=_DeprecatedAlias,
        target=target,
        nargs=target.nargs,
        type=target.type,
        choices=target.choices,
        metavar=target.metavar,
        default=argparse.SUPPRESS,  # the target's default stands
        help=argparse.SUPPRESS,
    )


def secret_kept(*, entered: str | None, clear: bool, stored: str) -> str:
    """A write-only secret after a form (settings page, admin): the box to remove it wins, an empty field
    keeps the stored one, anything else replaces it."""
    if clear:
        return ""
    return entered or stored


def secret_from_file(path: str, *, option: str) -> str:
    """The secret in the file named by ``option`` (``--api-key-file``, ``--decryption-key-file``): its first
    line, stripped, so that a key never shows in ``ps`` or the shell's history; systemd's ``LoadCredential=``
    puts one in ``$CREDENTIALS_DIRECTORY`` (``%d`` in a unit). ``ValueError`` with a one-line reason."""
    try:
        with open(path, encoding="utf-8") as handle:
            secret = handle.readline().strip()
    except OSError as error:
        raise ValueError(f"{option}: cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{option}: {path} is not text") from None
    if not secret:
        raise ValueError(f"{option}: {path} is empty") from None
    return secret
