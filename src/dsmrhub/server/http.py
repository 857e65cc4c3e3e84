"""The production web server: granian, a Rust HTTP server that runs Django's WSGI application, started
in-process so `dsmrhub serve` is all a user needs.

granian rather than gunicorn because `make bench` showed the HTTP server to be the bottleneck of API v1:
with the same Django application, granian answered 750–800 telegram POSTs per second on one kept-alive
connection where gunicorn's threaded worker answered 520–570, and 1,240–1,490 against 1,050–1,090 with
four clients (same 2-core machine, same run). It ships wheels for x86-64, 64-bit and 32-bit ARM
(Raspberry Pi OS) and needs nothing but ``click``.
"""

from __future__ import annotations

from django.db import connections
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

WSGI_APPLICATION = "dsmrhub.wsgi:application"


def server_bind(bind: str) -> tuple[str, int]:
    """'HOST:PORT' (IPv6 hosts in brackets) -> (host, port); ValueError when it is not that."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--bind wants HOST:PORT, got {bind!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)


def server_options(*, bind: str, workers: int = 2, threads: int = 4) -> dict:
    """granian's settings for ``dsmrhub serve`` (and so ``dsmrhub run``): worker processes with
    ``threads`` threads each for Django, kept-alive HTTP/1.1 connections, a worker that dies is started
    again, no access log."""
    host, port = server_bind(bind)
    return {
        "target": WSGI_APPLICATION,
        "address": host,
        "port": port,
        "interface": Interfaces.WSGI,
        "http": HTTPModes.http1,
        "http1_settings": HTTP1Settings(keep_alive=True, header_read_timeout=30_000),
        "workers": workers,
        "blocking_threads": threads,
        "respawn_failed_workers": True,
        "workers_kill_timeout": 10,  # seconds a worker gets to finish its requests on shutdown
        "log_level": LogLevels.warning,
        "log_access": False,
    }


def server_run(*, bind: str, workers: int = 2, threads: int = 4) -> None:
    """Serve until SIGTERM or SIGINT, then finish the requests in flight and stop."""
    options = server_options(bind=bind, workers=workers, threads=threads)
    connections.close_all()  # the workers are forked: each opens its own database connections
    Server(**options).serve()
