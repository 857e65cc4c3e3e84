from tests.processes import _template, install, make_install  # noqa: F401 - fixtures for process tests
