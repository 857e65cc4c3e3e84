"""The production web server: gunicorn, run in-process so `dsmrhub serve` is all a user needs."""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

# gunicorn workers prove they are alive by touching a temporary file on every turn of their loop (twice
# per request with keep-alive): on tmpfs that is a memory operation, on a disk-backed /tmp a metadata
# write. gunicorn's documentation recommends /dev/shm wherever it exists.
_HEARTBEAT_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from dsmrhub.wsgi import application

        return application


def server_options(*, bind: str, workers: int = 2, threads: int = 4) -> dict:
    """gunicorn's settings for ``dsmrhub serve`` (and so ``dsmrhub run``): threaded workers, which keep
    connections alive between requests (the sync worker closes each one), no access log."""
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "keepalive": 5,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "worker_tmp_dir": _HEARTBEAT_DIR,
    }


def server_run(*, bind: str, workers: int = 2, threads: int = 4) -> None:
    _Gunicorn(server_options(bind=bind, workers=workers, threads=threads)).run()
