"""Measuring a running `dsmrhub run` from outside: its processes by part, their disk writes and memory.

Disk writes are ``write_bytes`` of /proc/PID/io: the bytes a process caused to be sent to storage (a page
of the page cache counts when it turns dirty, so rewriting a page that is still dirty costs nothing more;
what an fsync or the kernel's writeback sent has to be counted again when it is changed again). Memory is
the proportional set size (Pss) of /proc/PID/smaps_rollup: pages shared between processes (forked ones
share what they did not change) count once in the total. A part is named by its `dsmrhub` subcommand;
threads, and forked children that do not call themselves anything else, count with their parent.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DSMRHUB = [sys.executable, "-m", "dsmrhub.cli"]
PART_OF_ARG = {  # the first `dsmrhub` argument -> part (None: the supervisor)
    "run": "supervisor",
    "serve": "web",
    "datalogger": "datalogger",
    "process": "processor",
    "mqtt": "mqtt",
    "prices": "prices",
}


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(each) for each in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        queue += _children(pid)
    return pids


def _part_name(pid: int, inherited: str) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return inherited
    words = [arg.decode(errors="replace") for arg in argv if arg]
    try:
        title = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        title = ""
    if title in PART_OF_ARG.values():  # a part forked by `dsmrhub run` names itself (its comm)
        return title
    if "dsmrhub.cli" in words:
        rest = words[words.index("dsmrhub.cli") + 1 :]
        if rest:
            return PART_OF_ARG.get(rest[0], rest[0])
    return inherited


def parts_of(root: int) -> dict[int, str]:
    """pid -> part name for ``root``'s tree."""
    names: dict[int, str] = {}
    queue = [(root, "supervisor")]
    while queue:
        pid, inherited = queue.pop()
        name = _part_name(pid, inherited)
        names[pid] = name
        queue += [(child, name) for child in _children(pid)]
    return names


def write_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    parts: dict[int, str]  # pid -> part
    writes: dict[int, int]  # pid -> write_bytes
    pss: dict[int, int]  # pid -> kB
    files: dict[int, int]  # pid -> open file descriptors

    def by_part(self, values: dict[int, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for pid, value in values.items():
            out[self.parts[pid]] = out.get(self.parts[pid], 0) + value
        return out


def sample(root: int) -> Sample:
    parts = parts_of(root)
    return Sample(
        at=time.monotonic(),
        parts=parts,
        writes={pid: write_bytes(pid) for pid in parts},
        pss={pid: pss_kb(pid) for pid in parts},
        files={pid: open_files(pid) for pid in parts},
    )


def writes_between(first: Sample, last: Sample) -> dict[str, int]:
    """Bytes written per part between two samples; a process that appeared in between counts from 0,
    one that ended in between is missing (its writes are unknown: a restart is reported, not hidden)."""
    out: dict[str, int] = {}
    for pid, value in last.writes.items():
        name = last.parts[pid]
        out[name] = out.get(name, 0) + value - first.writes.get(pid, 0)
    return out


def readings_count(database: Path) -> int:
    return query(database, "SELECT count(*) FROM readings_dsmrreading")[0][0]


def query(database: Path, sql: str) -> list[tuple]:
    """Read from a running install's SQLite file (read-only)."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def disk_usage(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


class Run:
    """`dsmrhub run` on a fresh data dir (SQLite), its output in ``log`` beside it."""

    def __init__(
        self,
        data: Path,
        *args: str,
        env: dict[str, str] | None = None,
        setup: list[tuple[str, ...]] = (),
    ) -> None:
        self.data = data
        data.mkdir(parents=True, exist_ok=True)
        self.log = data.parent / f"{data.name}.log"
        environment = {**os.environ, **(env or {}), "DSMRHUB_DATA_DIR": str(data)}
        environment.pop("DSMRHUB_DATABASE_URL", None)
        for command in [("migrate",), *setup]:  # e.g. ("mqtt", "enable", ...) before the parts start
            subprocess.run([*DSMRHUB, *command], env=environment, check=True, capture_output=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([*DSMRHUB, "run", *args], env=environment, stdout=log, stderr=log)

    @property
    def database(self) -> Path:
        return self.data / "dsmrhub.sqlite3"

    def wait_for_readings(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dsmrhub run ended: {self.log.read_text()[-2000:]}")
            try:
                if readings_count(self.database) >= count:
                    return
            except sqlite3.Error:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"fewer than {count} readings after {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
