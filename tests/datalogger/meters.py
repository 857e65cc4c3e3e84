"""Fake meters on real transports: a pseudo-terminal pair at a stable path, and a TCP server."""

from __future__ import annotations

import os
import socket
import termios
import threading
import time
import tty
from pathlib import Path

SPEEDS = {9600: termios.B9600, 115200: termios.B115200}


class PtyMeter:
    """The meter end of a serial line: a pty whose slave is reachable through a symlink, as
    /dev/serial/by-id/... is. ``unplug()`` makes the port disappear, ``plug()`` brings it back."""

    def __init__(self, link: Path, baud: int = 115200) -> None:
        self.link = link
        self.baud = baud
        self.master: int | None = None
        self.slave: int | None = None
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        attrs = termios.tcgetattr(self.slave)
        attrs[4] = attrs[5] = SPEEDS[self.baud]
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        tmp = self.link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(self.slave))
        tmp.replace(self.link)

    def unplug(self) -> None:
        self.link.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

    def line_speed(self) -> int:
        """The baud rate the reading side set (a Linux pty keeps the speed, not data bits or parity)."""
        attrs = termios.tcgetattr(self.slave)
        return {value: key for key, value in SPEEDS.items()}.get(attrs[5], 0)

    def send(self, data: bytes, chunk: int = 0, pause: float = 0.0) -> None:
        """Write ``data``, in pieces of ``chunk`` bytes with ``pause`` between them if given."""
        step = chunk or len(data)
        for start in range(0, len(data), step):
            os.write(self.master, data[start : start + step])
            if pause:
                time.sleep(pause)


class TcpMeter:
    """A ser2net-like TCP server on 127.0.0.1 serving one client at a time."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._client: socket.socket | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self._client = client
            self.connections += 1
            self._ready.set()

    def wait_client(self, timeout: float = 20) -> None:
        assert self._ready.wait(timeout), "the datalogger did not connect"

    def send(self, data: bytes, chunk: int = 0, pause: float = 0.0) -> None:
        self.wait_client()
        step = chunk or len(data)
        for start in range(0, len(data), step):
            self._client.sendall(data[start : start + step])
            if pause:
                time.sleep(pause)

    def drop_client(self) -> None:
        """The peer closes the connection (e.g. ser2net restarts)."""
        self._ready.clear()
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        self.drop_client()
        self.server.close()
