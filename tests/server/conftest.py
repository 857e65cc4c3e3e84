"""Fixtures of the server tests: installs of their own."""

from tests.processes import _template, install, make_install  # noqa: F401 - fixtures
