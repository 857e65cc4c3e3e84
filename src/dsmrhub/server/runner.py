"""`dsmrhub run`: start every part as a child process, restart a crashed part with backoff, stop cleanly.

Each child's output is copied line by line to our stderr, prefixed with the part's name.

With ``fork`` (what `dsmrhub run` does on Linux) a part is forked from this process, which has imported
Django and dsmrhub once and frozen those objects (``gc.freeze``): the parts share those memory pages
(copy-on-write) instead of each importing everything again, and a restarted part is forked afresh.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


class Forked:
    """A part forked from this process, with the few methods of ``subprocess.Popen`` used here."""

    def __init__(self, pid: int, stdout) -> None:
        self.pid, self.stdout, self.returncode = pid, stdout, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _fork(part: Part) -> Forked:
    from django.db import connections

    connections.close_all()  # a database connection must not cross a fork
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return Forked(pid, os.fdopen(read, "rb"))
    code = 1
    try:  # the child: never returns into the supervisor's loop
        journal = log_format_journal()  # asked of our stderr before it becomes the pipe
        os.close(read)
        os.dup2(write, 1)
        os.dup2(write, 2)
        os.close(write)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        # Fresh streams on the pipe: a thread of the parent may have held the old ones' locks at the fork.
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
        os.environ[FORMAT_ENV] = "journal" if journal else "human"  # logging is configured again from it
        with contextlib.suppress(OSError):  # named in ps and top (its command line is the supervisor's)
            Path("/proc/self/comm").write_text(part.name[:15])
        from django.core.management import execute_from_command_line

        execute_from_command_line(["dsmrhub", *part.args])  # (`run` applied pending migrations)
        code = 0
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
        if end.code is not None and not isinstance(end.code, int):
            print(end.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _spawn(part: Part, *, fork: bool = False) -> subprocess.Popen | Forked | None:
    """The part started, or None (logged) when it cannot be started now (no memory, no processes left)."""
    if fork:
        try:
            process = _fork(part)
        except OSError as error:
            logger.error("cannot start %s: %s", part.name, error)
            return None
        threading.Thread(target=_copy_output, args=(part.name, process.stdout), daemon=True).start()
        return process
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
    parts: list[Part],
    *,
    stop: threading.Event | None = None,
    periodic: Periodic | None = None,
    fork: bool = False,
) -> None:
    """Run ``parts`` until SIGTERM/SIGINT (or ``stop``); a crashed part restarts after a growing pause.
    ``fork``: each part forked from this process (Django already set up), else a new interpreter."""
    stop = stop or threading.Event()
    next_periodic = time.monotonic() + periodic.seconds if periodic else float("inf")
    periodic_error = ""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    running: dict[Part, subprocess.Popen | Forked | None] = {part: None for part in parts}
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
                    process = _spawn(part, fork=fork)
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


def _stop_all(parts: list[Part], running: dict[Part, subprocess.Popen | Forked | None]) -> None:
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
