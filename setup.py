"""Build hook: a wheel or sdist built without the vendored front-end assets fails, instead of shipping pages
without styles and charts. Everything else about the package is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

VENDOR = Path("src/dsmrhub/web/static/web/vendor")
ASSETS = ("pico.min.css", "chart.umd.min.js")  # copied there by `make install` (npm ci) or the Dockerfile


class BuildWithAssets(build_py):
    def run(self) -> None:
        # An editable install (`make install` runs it before npm) serves the files from the checkout.
        if not getattr(self, "editable_mode", False):
            missing = [name for name in ASSETS if not (Path(__file__).parent / VENDOR / name).is_file()]
            if missing:
                raise SetupError(
                    f"the front-end assets are missing from {VENDOR}: {', '.join(missing)}; "
                    "run `make install` (npm ci, pinned by package-lock.json) before building the package"
                )
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
