"""A local fake price provider: a real HTTP server on 127.0.0.1 (stdlib, in a thread) answering with
recorded-format bodies the test chooses. No test reaches the internet."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

# (path, query) -> (status, body); a callable answers any request
Answer = tuple[int, bytes]


@dataclass
class FakeProvider:
    url: str
    answer: Callable[[str, dict[str, str]], Answer]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider(url="", answer=lambda path, query: (404, b"no answer set"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            parts = urlsplit(self.path)
            query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
            provider.requests.append((parts.path, query))
            status, body = provider.answer(parts.path, query)
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was just bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"
