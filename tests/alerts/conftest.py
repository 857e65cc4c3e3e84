import pytest

from tests.alerts.endpoint import Endpoint
from tests.processes import _template, install, make_install  # noqa: F401 - fixtures for process tests


@pytest.fixture
def endpoint():
    server = Endpoint()
    yield server
    server.stop()
