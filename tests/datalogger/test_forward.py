"""`dsmrhub forward` to two real `dsmrhub serve` instances, one of them down for a while."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from dsmrhub.datalogger.forward import retry_after_seconds
from tests.datalogger.meters import TcpMeter
from tests.datalogger.streams import telegrams
from tests.datalogger.test_resilience import database_locked
from tests.helpers import replace_line
from tests.processes import free_port, stop_process, wait_for_http, wait_until

pytestmark = pytest.mark.xdist_group("processes")
KEY = "forward-key-0123456789abcdef"


def arrival_order(install) -> list[int]:
    """Reading timestamps in the order they were stored: each telegram here has a new gas value, and
    M-Bus rows get increasing ids."""
    return [row[0] for row in install.query("SELECT reading_id FROM readings_mbusreading ORDER BY id")]


def test_forward_to_two_targets_one_down_for_a_while(make_install, tmp_path):
    up, down, forwarder = make_install(), make_install(), make_install()
    for target in (up, down):
        target.run("api", "enable", "--api-key", KEY)
    ports = {up: free_port(), down: free_port()}
    servers = {up: up.start("serve", "--bind", f"127.0.0.1:{ports[up]}", "--workers", "1", log="serve")}
    meter = TcpMeter()
    items = telegrams(10, step=timedelta(minutes=5))  # a new gas value in every telegram
    expected = [stamp for stamp, _ in items]
    forward = None
    try:
        wait_for_http(f"http://127.0.0.1:{ports[up]}/")
        targets = [
            arg for t in (up, down) for arg in ("--to", f"http://127.0.0.1:{ports[t]}", "--api-key", KEY)
        ]
        forward = forwarder.start(
            "forward", "--source", meter.url, *targets, "--retry-max", "0.5", log="forward"
        )
        for _, telegram in items[:5]:
            meter.send(telegram)
        wait_until(lambda: up.stored_timestamps() == expected[:5], message="the up target has the first 5")
        assert down.stored_timestamps() == []

        servers[down] = down.start(
            "serve", "--bind", f"127.0.0.1:{ports[down]}", "--workers", "1", log="serve"
        )
        for _, telegram in items[5:]:
            meter.send(telegram, chunk=300)
        for target in (up, down):
            wait_until(lambda t=target: t.stored_timestamps() == expected, timeout=30, message="all 10")
            assert arrival_order(target) == expected  # in order, once
        assert stop_process(forward) == 0
    finally:
        if forward is not None:
            stop_process(forward)
        for server in servers.values():
            stop_process(server)
        meter.close()
    log = forwarder.log_text("forward")
    assert log.count("unreachable") == 1, log  # the outage is logged once


def test_a_target_refusing_the_host_keeps_the_queue_and_a_rejected_telegram_is_dropped(make_install):
    """A 400 that is not about the telegram (Django's check of the Host header, as behind a proxy that
    sends another name) keeps every telegram queued until the target is fixed; the target's own
    `400 telegram rejected: …` drops that one telegram and counts it."""
    target, forwarder = make_install(), make_install()
    target.run("api", "enable", "--api-key", KEY)
    port = free_port()
    bind = ("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    target.env["DSMRHUB_ALLOWED_HOSTS"] = "dsmr.example.org"
    server = target.start(*bind, log="serve")
    meter = TcpMeter()
    items = telegrams(6, step=timedelta(minutes=5))
    bad = replace_line(items[2][1].decode(), "1-0:1.8.1", "1-0:1.8.1(1000000000.000*kWh)").encode()
    stream = [*items[:2], (0, bad), *items[2:]]
    forward = None
    try:
        wait_for_http(f"http://127.0.0.1:{port}/")
        forward = forwarder.start(
            "forward", "--source", meter.url, "--to", f"http://127.0.0.1:{port}", "--api-key", KEY,
            "--retry-max", "0.5", log="forward",
        )  # fmt: skip
        meter.wait_client(timeout=60)
        meter.send(b"".join(t for _, t in stream[:3]))
        wait_until(lambda: "HTTP 400" in forwarder.log_text("forward"), message="the refusal logged")
        assert target.stored_timestamps() == []

        stop_process(server)
        target.env["DSMRHUB_ALLOWED_HOSTS"] = "127.0.0.1"
        server = target.start(*bind, log="serve")
        meter.send(b"".join(t for _, t in stream[3:]))
        expected = [stamp for stamp, _ in items]
        wait_until(lambda: target.stored_timestamps() == expected, timeout=30, message="all but the bad one")
        assert arrival_order(target) == expected
        assert stop_process(forward) == 0
    finally:
        if forward is not None:
            stop_process(forward)
        stop_process(server)
        meter.close()
    log = forwarder.log_text("forward")
    assert log.count("cannot take telegrams (HTTP 400: ") == 1, log  # once, not once per retry
    assert log.count("rejected a telegram (dropped): telegram rejected:") == 1, log
    assert "sent 6, rejected 1, queued 0" in log, log


class ScriptedTarget:
    """An HTTP server standing in for a proxy or an overloaded target: it answers the first requests
    from ``script`` (status, body, headers) and 201 after that, and records every request."""

    def __init__(self, script: list[tuple[int, str, dict[str, str]]]) -> None:
        self.script = list(script)
        self.requests: list[tuple[float, str]] = []  # (monotonic time, telegram)
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                telegram = parse_qs(self.rfile.read(length).decode("latin-1"))["telegram"][0]
                target.requests.append((time.monotonic(), telegram))
                status, body, headers = target.script.pop(0) if target.script else (201, "", {})
                data = body.encode()
                self.send_response(status)
                for name, value in {"Content-Length": str(len(data)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


PROXY_400 = (
    "<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head><body>"
    "<center><h1>400 Bad Request</h1></center></body></html>"
)


def test_proxy_errors_a_wrong_key_and_retry_after_keep_the_queue(install):
    """Only `400 telegram rejected: …` drops a telegram. A proxy's 400, a refused key (401) and an
    overloaded target (503) keep it; a 503's Retry-After is waited for, at most --retry-max."""
    target = ScriptedTarget(
        [
            (400, PROXY_400, {"Content-Type": "text/html"}),
            (400, PROXY_400, {"Content-Type": "text/html"}),
            (401, "invalid API key", {}),
            (503, "database busy, try again", {"Retry-After": "1"}),
            (503, "database busy, try again", {"Retry-After": "3600"}),  # longer than --retry-max 2
            (400, "telegram rejected: CRC mismatch", {"Content-Type": "text/plain"}),
        ]
    )
    meter = TcpMeter()
    items = telegrams(4)
    forward = install.start(
        "forward", "--source", meter.url, "--to", target.url, "--api-key", KEY,
        "--retry-max", "2", log="forward",
    )  # fmt: skip
    try:
        meter.wait_client(timeout=60)
        meter.send(b"".join(t for _, t in items))
        wait_until(lambda: len(target.requests) == 9, timeout=30, message="every telegram answered")
        assert stop_process(forward) == 0
    finally:
        stop_process(forward)
        meter.close()
        target.close()
    sent = [telegram.encode("latin-1") for _, telegram in target.requests]
    first, second, *rest = (t for _, t in items)
    # The first telegram until it is taken, the second once (rejected), the others once each.
    assert sent == [first] * 6 + [second] + rest
    moments = [moment for moment, _ in target.requests]
    assert moments[4] - moments[3] >= 1.0  # Retry-After: 1 waited for
    assert 2.0 <= moments[5] - moments[4] < 30  # Retry-After: 3600 cut to --retry-max 2
    log = install.log_text("forward")
    assert log.count("The plain HTTP request was sent to HTTPS port") == 1, log  # once per change
    assert log.count("check the API key given with --key") == 1, log
    assert log.count("rejected a telegram (dropped): telegram rejected: CRC mismatch") == 1, log
    assert f"{target.url}: sent 3, rejected 1, queued 0" in log, log


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now=now) == 7.0
    assert retry_after_seconds("Mon, 02 Mar 2026 11:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Mon, 02 Mar 2026 10:00:00 GMT", now=now) == 0.0  # in the past: now
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None, now=now) is None


def test_a_target_with_its_database_locked_answers_503_and_gets_everything_after(make_install):
    """API v1 answers 503 with Retry-After while its database is locked past the lock timeout; the
    forwarder keeps the telegrams and delivers them, in order, once the lock is gone."""
    target, forwarder = make_install(), make_install()
    target.run("api", "enable", "--api-key", KEY)
    target.env["DSMRHUB_DATABASE_LOCK_TIMEOUT"] = "0.5"
    port = free_port()
    server = target.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", log="serve")
    meter = TcpMeter()
    items = telegrams(6, step=timedelta(minutes=5))
    expected = [stamp for stamp, _ in items]
    forward = None
    try:
        wait_for_http(f"http://127.0.0.1:{port}/")
        forward = forwarder.start(
            "forward", "--source", meter.url, "--to", f"http://127.0.0.1:{port}", "--api-key", KEY,
            "--retry-max", "1", log="forward",
        )  # fmt: skip
        meter.wait_client(timeout=60)
        meter.send(items[0][1])
        wait_until(lambda: target.stored_timestamps() == expected[:1], message="the first telegram")
        with database_locked(target):
            meter.send(b"".join(t for _, t in items[1:4]))
            wait_until(
                lambda: forwarder.log_text("forward").count("HTTP 503") == 1, message="the 503 logged once"
            )
        meter.send(b"".join(t for _, t in items[4:]))
        wait_until(lambda: target.stored_timestamps() == expected, timeout=30, message="all 6")
        assert arrival_order(target) == expected
        assert stop_process(forward) == 0
    finally:
        if forward is not None:
            stop_process(forward)
        stop_process(server)
        meter.close()
    log = forwarder.log_text("forward")
    assert log.count("cannot take telegrams (HTTP 503: database busy") == 1, log
    assert "sent 6, rejected 0, queued 0" in log, log
