"""Apprise, run in a short-lived child process.

Apprise with its plugins loaded takes about 45 MB of memory (measured: 18 MB for the import, 44 MB once a
URL is parsed), more than a quarter of what all of ``dsmrhub run`` may use on a Pi. The long-running
processes (the web server, the upkeep part) therefore never import it: each check of a URL and each round of
deliveries forks a child that imports Apprise, does the work, sends the answer back through a pipe and
exits. The child does no database work; the parent records the outcome.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from typing import Any

CHILD_TIMEOUT = 180.0  # seconds for one round: Apprise waits up to ~4 s to connect and ~4 s to read, per URL
NOT_APPRISE = "not a valid notification URL"


class SenderError(Exception):
    """The child did not answer (crashed or timed out)."""


def _quiet_apprise() -> logging.Logger:
    apprise_logger = logging.getLogger("apprise")
    apprise_logger.setLevel(logging.CRITICAL)  # a URL it cannot parse: our one line says it
    return apprise_logger


def _labels(urls: list[str]) -> list[str | None]:
    """Each URL with its secrets masked (Apprise's privacy form, without its options), or None when
    Apprise does not know it."""
    import apprise

    _quiet_apprise()
    labels: list[str | None] = []
    for url in urls:
        plugin = apprise.Apprise.instantiate(url) if url else None
        labels.append(plugin.url(privacy=True).split("?", 1)[0] if plugin is not None else None)
    return labels


def _send_all(messages: list[tuple[str, str, str]]) -> list[str]:
    """Deliver (url, title, body) messages; per message "" or the one-line reason it failed."""
    import apprise

    apprise_logger = _quiet_apprise()
    errors = []
    for url, title, body in messages:
        client = apprise.Apprise()
        try:
            if not client.add(url):
                errors.append(NOT_APPRISE)
                continue
            apprise_logger.setLevel(logging.WARNING)
            apprise_logger.propagate = False  # its lines become the reason, not log noise
            with apprise.LogCapture(level=logging.WARNING) as log:
                delivered = bool(client.notify(title=title, body=body))
        except Exception as error:  # a plugin's own failure: counted and retried like any other
            errors.append(f"{type(error).__name__}: {error}"[:500])
            continue
        finally:
            _quiet_apprise()
        lines = [line.split(" - ", 2)[-1] for line in log.getvalue().splitlines() if line.strip()]
        errors.append("" if delivered else (lines[-1] if lines else "delivery failed")[:500])
    return errors


def _child(connection: Any, function: Callable[..., Any], argument: Any) -> None:
    try:
        connection.send(("ok", function(argument)))
    except BaseException as error:  # noqa: BLE001 - anything goes back to the parent as a reason
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


def _in_child(function: Callable[..., Any], argument: Any) -> Any:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, function, argument), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(CHILD_TIMEOUT):
            raise SenderError(f"no answer within {CHILD_TIMEOUT:.0f} s")
        status, result = receiver.recv()
    except EOFError:
        raise SenderError(f"the sending process ended (exit code {process.exitcode})") from None
    finally:
        receiver.close()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
    if status != "ok":
        raise SenderError(result)
    return result


def urls_label(urls: list[str]) -> list[str | None]:
    """``_labels`` in a child: masked URLs, None for one Apprise does not know. Raises ``SenderError``."""
    return _in_child(_labels, list(urls)) if urls else []


def messages_send(messages: list[tuple[str, str, str]]) -> list[str]:
    """``_send_all`` in a child: per message "" (delivered) or the reason. Raises ``SenderError``."""
    return _in_child(_send_all, list(messages)) if messages else []
