"""`dsmrhub run`: start every part as a child process, restart a crashed part with backoff, stop cleanly."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MAX_BACKOFF = 60.0


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    args: tuple[str, ...]  # arguments to `dsmrhub`


def _spawn(part: Part) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dsmrhub.cli", *part.args])


def parts_run(parts: list[Part], *, stop: threading.Event | None = None) -> None:
    """Run ``parts`` until SIGTERM/SIGINT (or ``stop``); a crashed part restarts after a growing pause."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    running = {part: _spawn(part) for part in parts}
    backoff = dict.fromkeys(parts, 1.0)
    restart_at: dict[Part, float] = {}
    for part in parts:
        logger.info("started %s (pid %d)", part.name, running[part].pid)
    while not stop.wait(0.5):
        for part, process in list(running.items()):
            if process is None or process.poll() is None:
                continue
            logger.error(
                "%s exited with code %s; restarting in %.0f s", part.name, process.returncode, backoff[part]
            )
            restart_at[part] = time.monotonic() + backoff[part]
            backoff[part] = min(backoff[part] * 2, MAX_BACKOFF)
            running[part] = None
        for part, when in list(restart_at.items()):
            if time.monotonic() >= when:
                running[part] = _spawn(part)
                del restart_at[part]
                logger.info("restarted %s (pid %d)", part.name, running[part].pid)
    logger.info("stopping %s", ", ".join(part.name for part in parts))
    for process in running.values():
        if process is not None and process.poll() is None:
            process.terminate()
    for part, process in running.items():
        if process is None:
            continue
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in 15 s; killing it", part.name)
            process.kill()
