"""The network source against a local TCP server, as a real `dsmrhub datalogger` process."""

from __future__ import annotations

import pytest

from tests.datalogger.meters import TcpMeter
from tests.datalogger.streams import garbled_stream, telegrams
from tests.processes import stop_process, wait_until

pytestmark = pytest.mark.xdist_group("processes")


def test_socket_chunked_garbled_and_the_peer_closing(install):
    meter = TcpMeter()
    logger = install.start("datalogger", "--source", meter.url, "--retry-max", "0.3", log="datalogger")
    try:
        stream, expected, rejections = garbled_stream(telegrams(10))
        meter.send(stream, chunk=97)
        wait_until(lambda: install.stored_timestamps() == expected, message="first readings")

        later = telegrams(4, first=10)
        meter.send(later[0][1] + later[1][1][:400])  # the peer closes in the middle of a telegram
        meter.drop_client()
        rejections += 1  # the half telegram
        meter.send(b"".join(t for _, t in later[2:]), chunk=50)  # after the reconnect
        expected += [later[0][0], later[2][0], later[3][0]]
        wait_until(lambda: install.stored_timestamps() == expected, message="readings after reconnect")
        wait_until(lambda: install.rejected() == rejections, message="rejections counted")
        assert meter.connections == 2
        status = install.query("SELECT connected, received_telegrams FROM datalogger_dataloggerstate")
        assert status[0][0]
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.close()
    assert install.query("SELECT connected FROM datalogger_dataloggerstate")[0][0] in (False, 0)
