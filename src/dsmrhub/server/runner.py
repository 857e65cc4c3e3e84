"""`dsmrhub run`: start every part as a child process, restart a crashed part with backoff, stop cleanly.

Each child's output is copied line by line to our stderr, prefixed with the part's name.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from dsmrhub.backoff import Backoff
from dsmrhub.logformat import FORMAT_ENV, log_format_journal

logger = logging.getLogger(__name__)

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
STABLE_AFTER = 60.0  # a part that ran this long without crashing starts over at FIRST_BACKOFF
STOP_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    args: tuple[str, ...]  # arguments to `dsmrhub`


PRIORITY_PREFIX = re.compile(r"<[0-7]>")


def _copy_output(name: str, stream) -> None:
    width = 10
    for line in iter(stream.readline, b""):
        text = line.decode("utf-8", "replace")
        found = PRIORITY_PREFIX.match(text)  # a journal line's priority stays first, where journald reads it
        priority, text = (found.group(), text[found.end() :]) if found else ("", text)
        try:
            sys.stderr.write(f"{priority}{name:<{width}}| {text}")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # our stderr is gone: keep draining the pipe, or the part blocks writing its log
    stream.close()


def _spawn(part: Part) -> subprocess.Popen | None:
    """The part started, or None (logged) when it cannot be started now (no memory, no processes left)."""
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "dsmrhub.cli", *part.args],
            # The parts write to a pipe: they learn from us whether their lines end up in the journal.
            env={**os.environ, FORMAT_ENV: "journal" if log_format_journal() else "human"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    except OSError as error:
        logger.error("cannot start %s: %s", part.name, error)
        return None
    threading.Thread(target=_copy_output, args=(part.name, process.stdout), daemon=True).start()
    return process


@dataclass(frozen=True, slots=True)
class Periodic:
    """Something the supervisor does every ``seconds`` while the parts run (an OSError is logged once)."""

    seconds: float
    action: Callable[[], object]


def parts_run(
    parts: list[Part], *, stop: threading.Event | None = None, periodic: Periodic | None = None
) -> None:
    """Run ``parts`` until SIGTERM/SIGINT (or ``stop``); a crashed part restarts after a growing pause."""
    stop = stop or threading.Event()
    next_periodic = time.monotonic() + periodic.seconds if periodic else float("inf")
    periodic_error = ""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    running: dict[Part, subprocess.Popen | None] = {part: None for part in parts}
    started = dict.fromkeys(parts, time.monotonic())
    backoff = {part: Backoff(initial=FIRST_BACKOFF, cap=MAX_BACKOFF) for part in parts}
    restart_at: dict[Part, float] = dict.fromkeys(parts, 0.0)  # all due now: the first start
    seen: set[Part] = set()
    try:
        while True:
            now = time.monotonic()
            for part, process in list(running.items()):
                if process is None or process.poll() is None:
                    continue
                if now - started[part] >= STABLE_AFTER:
                    backoff[part].reset()
                pause = backoff[part].next()
                logger.error(
                    "%s exited with code %s; restarting in %.0f s", part.name, process.returncode, pause
                )
                restart_at[part] = now + pause
                running[part] = None
            for part, when in list(restart_at.items()):
                if now >= when:
                    process = _spawn(part)
                    started[part] = now
                    del restart_at[part]
                    if process is None:  # counts as a crash: try again after the backoff
                        restart_at[part] = now + backoff[part].next()
                        continue
                    running[part] = process
                    logger.info(
                        "%s %s (pid %d)", "restarted" if part in seen else "started", part.name, process.pid
                    )
                    seen.add(part)
            if periodic and now >= next_periodic:
                next_periodic = now + periodic.seconds
                try:
                    periodic.action()
                    periodic_error = ""
                except OSError as error:
                    if str(error) != periodic_error:
                        logger.error("%s failed: %s", getattr(periodic.action, "__name__", "periodic"), error)
                    periodic_error = str(error)
            if stop.wait(0.5):
                break
    finally:  # also when this loop fails: never leave parts running without their supervisor
        _stop_all(parts, running)


def _stop_all(parts: list[Part], running: dict[Part, subprocess.Popen | None]) -> None:
    logger.info("stopping %s", ", ".join(part.name for part in parts))
    for process in running.values():
        if process is not None and process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for part, process in running.items():
        if process is None:
            continue
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in %.0f s; killing it", part.name, STOP_TIMEOUT)
            process.kill()
            process.wait()
