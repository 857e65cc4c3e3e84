"""Where telegrams come from: each source is a frozen description, opened into a reader of byte chunks.

A source URL names one of:

- ``serial:///dev/ttyUSB0[?preset=auto|dsmr4|dsmr22]`` (or a bare ``/dev/...`` path): a P1 cable.
  ``dsmr4`` (also ``dsmr5``) is 115200 8N1, ``dsmr22`` (also ``dsmr3``) is 9600 7E1; ``auto`` (the
  default) tries each until one yields a valid telegram, then keeps it.
- ``socket://host:port``: a ser2net-style TCP stream.
- ``replay:FILE[?speed=N]``: a raw capture (``.gz`` too), paced by its meter timestamps, N times
  faster (``speed=0``: as fast as possible). The source ends at the end of the file.
- ``demo[?interval=S]``: the built-in demo meter.

Readers return what arrived (``b""`` after a quiet moment), raise ``SourceError`` when the port or
peer is lost and ``SourceEnded`` when a replay is over.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs

import serial

from dsmrhub.datalogger.demo import DemoMeter
from dsmrhub.telegram import Frame, TelegramError, TelegramFramer, parse_telegram

logger = logging.getLogger(__name__)

READ_TIMEOUT = 0.5  # seconds a read waits for data; also how quickly a stop request is noticed
REPLAY_BLOCK = 1 << 16  # bytes per read of a replay at full speed
CONNECT_TIMEOUT = 10.0


class SourceError(Exception):
    """The source cannot be opened or was lost; the datalogger retries with backoff."""


class SourceEnded(Exception):
    """A finite source (a replay) has delivered everything."""


@dataclass(frozen=True, slots=True)
class SerialPreset:
    name: str
    baudrate: int
    bytesize: int
    parity: str
    stopbits: float


PRESETS = {
    "dsmr4": SerialPreset("dsmr4", 115200, serial.EIGHTBITS, serial.PARITY_NONE, serial.STOPBITS_ONE),
    "dsmr22": SerialPreset("dsmr22", 9600, serial.SEVENBITS, serial.PARITY_EVEN, serial.STOPBITS_ONE),
}
PRESET_ALIASES = {"dsmr5": "dsmr4", "dsmr40": "dsmr4", "dsmr3": "dsmr22", "dsmr30": "dsmr22"}


@dataclass(frozen=True, slots=True)
class SerialSource:
    port: str
    preset: str = "auto"  # "auto" or a key of PRESETS
    probe_seconds: float = 12.0  # auto: how long to listen at one speed (DSMR 2.2/4 send every 10 s)


@dataclass(frozen=True, slots=True)
class SocketSource:
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class ReplaySource:
    path: str
    speed: float = 1.0  # 0: as fast as possible


@dataclass(frozen=True, slots=True)
class DemoSource:
    interval: float = 1.0


Source = SerialSource | SocketSource | ReplaySource | DemoSource


class Reader(Protocol):
    def read(self) -> bytes: ...

    def close(self) -> None: ...


def source_from_url(url: str) -> Source:
    """Describe the source a URL names; ``ValueError`` with a readable reason otherwise."""
    url = url.strip()
    base, _, query_text = url.partition("?")
    query = {key: values[-1] for key, values in parse_qs(query_text).items()}
    if base in ("demo", "demo:", "demo://"):
        interval = _number(query, "interval", 1.0)
        if interval <= 0:
            raise ValueError("demo interval must be positive")
        return DemoSource(interval=interval)
    if base.startswith("serial://") or base.startswith("/dev/"):
        port = base.removeprefix("serial://")
        if not port:
            raise ValueError(f"no device in {url!r}; e.g. serial:///dev/ttyUSB0")
        preset = query.get("preset", "auto").lower()
        preset = PRESET_ALIASES.get(preset, preset)
        if preset != "auto" and preset not in PRESETS:
            raise ValueError(f"unknown serial preset {preset!r}; use auto, dsmr4 or dsmr22")
        return SerialSource(port=port, preset=preset, probe_seconds=_number(query, "probe", 12.0))
    if base.startswith("socket://"):
        host, sep, port = base.removeprefix("socket://").rstrip("/").rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"socket source wants socket://HOST:PORT, got {url!r}")
        return SocketSource(host=host.strip("[]"), port=int(port))
    if base.startswith("replay:"):
        path = base.removeprefix("replay:").removeprefix("//")
        if not path:
            raise ValueError("replay source wants replay:FILE")
        speed = _number(query, "speed", 1.0)
        if speed < 0:
            raise ValueError("replay speed must be 0 (as fast as possible) or positive")
        return ReplaySource(path=path, speed=speed)
    raise ValueError(
        f"unknown source {url!r}; use serial:///dev/ttyUSB0, socket://HOST:PORT, replay:FILE or demo"
    )


def source_describe(source: Source) -> str:
    match source:
        case SerialSource(port=port, preset=preset):
            return f"serial://{port}?preset={preset}"
        case SocketSource(host=host, port=port):
            return f"socket://{host}:{port}"
        case ReplaySource(path=path, speed=speed):
            return f"replay:{path}?speed={speed:g}"
        case DemoSource(interval=interval):
            return f"demo?interval={interval:g}"
    raise TypeError(source)


def _number(query: dict[str, str], name: str, default: float) -> float:
    if name not in query:
        return default
    try:
        return float(query[name])
    except ValueError:
        raise ValueError(f"{name} must be a number, got {query[name]!r}") from None


def source_open(
    source: Source,
    *,
    demo_meter: DemoMeter | None = None,
    preferred_preset: str | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> tuple[Reader, str]:
    """Open ``source``; returns the reader and a description of what was opened (e.g. the preset found)."""
    match source:
        case SerialSource():
            return _serial_open(source, preferred_preset, stop)
        case SocketSource(host=host, port=port):
            return SocketReader(host, port), f"socket://{host}:{port}"
        case ReplaySource():
            return ReplayReader(source), source_describe(source)
        case DemoSource(interval=interval):
            return DemoReader(demo_meter or DemoMeter(), interval), source_describe(source)
    raise TypeError(source)


class PySerialReader:
    """Reads whatever a serial port has, waiting at most READ_TIMEOUT."""

    def __init__(self, port: serial.SerialBase, pending: bytes = b"") -> None:
        self._port = port
        self._pending = pending

    def read(self) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        try:
            data = self._port.read(1)
            if data:
                waiting = self._port.in_waiting
                if waiting:
                    data += self._port.read(waiting)
            return data
        except (serial.SerialException, OSError) as error:
            raise SourceError(f"read failed: {error}") from None

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self._port.close()


class SocketReader:
    """A TCP stream (ser2net and the like). Plain sockets rather than pyserial's ``socket://``, which
    throws away whatever the peer sent before the connection was set up."""

    def __init__(self, host: str, port: int) -> None:
        try:
            self._socket = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
        except OSError as error:
            raise SourceError(f"cannot connect to {host}:{port}: {error}") from None
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)  # notice a vanished peer
        self._socket.settimeout(READ_TIMEOUT)

    def read(self) -> bytes:
        try:
            data = self._socket.recv(65536)
        except TimeoutError:
            return b""
        except OSError as error:
            raise SourceError(f"read failed: {error}") from None
        if not data:
            raise SourceError("the peer closed the connection")
        return data

    def close(self) -> None:
        self._socket.close()


def _serial_port(path: str, preset: SerialPreset) -> serial.Serial:
    try:
        return serial.Serial(
            port=path,
            baudrate=preset.baudrate,
            bytesize=preset.bytesize,
            parity=preset.parity,
            stopbits=preset.stopbits,
            timeout=READ_TIMEOUT,
        )
    except (serial.SerialException, OSError, ValueError) as error:
        raise SourceError(f"cannot open {path}: {error}") from None


def _serial_open(source: SerialSource, preferred: str | None, stop: Callable[[], bool]) -> tuple[Reader, str]:
    if source.preset != "auto":
        preset = PRESETS[source.preset]
        return PySerialReader(_serial_port(source.port, preset)), f"serial://{source.port} ({preset.name})"
    order = sorted(PRESETS.values(), key=lambda preset: preset.name != preferred)
    for preset in order:
        port = _serial_port(source.port, preset)
        heard = _probe(port, source.probe_seconds, stop)
        if heard is not None:
            logger.info("%s: valid telegrams at %s (%d baud)", source.port, preset.name, preset.baudrate)
            return PySerialReader(port, heard), f"serial://{source.port} ({preset.name})"
        port.close()
        if stop():
            break
    raise SourceError(
        f"no valid telegram on {source.port} at any preset ({', '.join(PRESETS)}) "
        f"within {source.probe_seconds:g} s each"
    )


def _probe(port: serial.Serial, seconds: float, stop: Callable[[], bool]) -> bytes | None:
    """Listen for up to ``seconds``; the bytes heard if they held a telegram that parses, else None."""
    framer = TelegramFramer()
    heard = bytearray()
    reader = PySerialReader(port)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop():
        chunk = reader.read()
        heard += chunk
        for item in framer.feed(chunk):
            if isinstance(item, Frame):
                try:
                    parse_telegram(item.data)
                except TelegramError:
                    continue
                return bytes(heard)
    return None


class ReplayReader:
    """A capture file, one telegram (plus what precedes it) per read, paced by the meter clock; at
    speed 0, blocks of REPLAY_BLOCK bytes (telegrams split across reads, as on a real line)."""

    def __init__(self, source: ReplaySource) -> None:
        path = Path(source.path)
        try:
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as handle:
                self._data = handle.read()
        except OSError as error:
            raise SourceError(f"cannot read {path}: {error}") from None
        self._speed = source.speed
        self._offset = 0
        self._previous: datetime | None = None
        self._previous_at = 0.0
        self._pending: tuple[bytes, float] | None = None  # (chunk, monotonic time it is due)

    def read(self) -> bytes:
        if self._pending is None:
            self._pending = self._next()
        chunk, due = self._pending
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, READ_TIMEOUT))
            if wait > READ_TIMEOUT:
                return b""
        self._pending = None
        return chunk

    def _next(self) -> tuple[bytes, float]:
        data = self._data
        if self._offset >= len(data):
            raise SourceEnded
        if not self._speed:  # as fast as possible: blocks, as a file or a backlogged socket reads
            chunk = data[self._offset : self._offset + REPLAY_BLOCK]
            self._offset += len(chunk)
            return chunk, time.monotonic()
        end = data.find(b"\n!", self._offset)
        end = len(data) if end < 0 else data.find(b"\n", end + 2)
        end = len(data) if end < 0 else end + 1
        chunk = data[self._offset : end]
        self._offset = end
        now = time.monotonic()
        moment = meter_moment(chunk) if self._speed else None
        if moment is None:
            return chunk, now
        due = now
        if self._previous is not None and moment > self._previous:
            due = self._previous_at + min((moment - self._previous).total_seconds() / self._speed, 60.0)
        self._previous, self._previous_at = moment, max(due, now)
        return chunk, due

    def close(self) -> None:
        self._data = b""


class DemoReader:
    """The demo meter as a byte stream: one telegram every ``interval`` seconds on the wall clock."""

    def __init__(self, meter: DemoMeter, interval: float) -> None:
        self._meter = meter
        self._interval = interval
        self._due = time.time()

    def read(self) -> bytes:
        wait = self._due - time.time()
        if wait > 0:
            time.sleep(min(wait, READ_TIMEOUT))
            if self._due > time.time():
                return b""
        moment = datetime.now(UTC).replace(microsecond=0)
        self._due = (int(time.time() / self._interval) + 1) * self._interval
        return self._meter.telegram_at(moment).encode("latin-1")

    def close(self) -> None:
        pass


_CLOCK = b"0-0:1.0.0("


def meter_moment(telegram: bytes) -> datetime | None:
    """The meter clock of a telegram as a naive local datetime (DST flag folded in), for pacing and
    minimum intervals only; None when absent or malformed."""
    start = telegram.find(_CLOCK)
    if start < 0:
        return None
    start += len(_CLOCK)
    text = telegram[start : start + 13]
    try:
        moment = datetime.strptime(text[:12].decode("ascii"), "%y%m%d%H%M%S")
    except (ValueError, UnicodeDecodeError):
        return None
    if text[12:13] in (b"S", b"s"):  # summer time is one hour ahead: the repeated autumn hour sorts right
        moment -= timedelta(hours=1)
    return moment
