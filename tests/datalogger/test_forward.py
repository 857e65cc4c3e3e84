"""`dsmrhub forward` to two real `dsmrhub serve` instances, one of them down for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.datalogger.meters import TcpMeter
from tests.datalogger.streams import telegrams
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
        target.run("api", "enable", "--key", KEY)
    ports = {up: free_port(), down: free_port()}
    servers = {up: up.start("serve", "--bind", f"127.0.0.1:{ports[up]}", "--workers", "1", log="serve")}
    meter = TcpMeter()
    items = telegrams(10, step=timedelta(minutes=5))  # a new gas value in every telegram
    expected = [stamp for stamp, _ in items]
    forward = None
    try:
        wait_for_http(f"http://127.0.0.1:{ports[up]}/")
        targets = [arg for t in (up, down) for arg in ("--to", f"http://127.0.0.1:{ports[t]}", "--key", KEY)]
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
