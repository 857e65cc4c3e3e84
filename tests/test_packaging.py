"""What the Docker image, the systemd units and `pip install dsmrhub` ship, checked without Docker.

The image installs the package non-editably (``pip install '.[all]'``) and runs ``dsmrhub run``: the first
test builds the wheel the same way, installs it on its own and runs the whole app from it, so a template,
static file, translation or migration missing from the package fails here. The second installs the wheel
with only its base dependencies (`pip install dsmrhub`, the forwarder on a Pi) in a venv of its own and
forwards a capture with it. The others keep the Dockerfile, the compose file and the systemd units
consistent with each other and with the app.
"""

from __future__ import annotations

import email
import importlib.metadata
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dsmrhub.server.runner import STOP_TIMEOUT
from tests.datalogger.streams import telegrams
from tests.processes import DSMRHUB, dsmrhub, free_port, stop_process, wait_for_http, wait_until

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
pytestmark = pytest.mark.xdist_group("cli")


PACKAGE_FILES = ("pyproject.toml", "setup.py", "constraints.txt", "README.md", "LICENSE")  # as the Dockerfile


def _build(folder: Path, *, assets: bool = True) -> subprocess.CompletedProcess:
    """`pip wheel` of what the Dockerfile copies into ``folder/dist``, with or without the vendored assets."""
    source = folder / "source"
    source.mkdir()
    for name in PACKAGE_FILES:
        shutil.copy(ROOT / name, source)
    ignored = ["__pycache__", "*.egg-info"] + ([] if assets else ["*.min.js", "*.min.css"])
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns(*ignored))
    return subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(folder / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The package built from what the Dockerfile copies."""
    folder = tmp_path_factory.mktemp("wheel")
    built = _build(folder)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = (folder / "dist").glob("dsmrhub-*.whl")
    return found


def test_the_wheel_carries_the_licence_and_project_metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(licence) == (ROOT / "LICENSE").read_bytes()
        (name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(name))
        vendored = {n.rsplit("/", 1)[1] for n in names if "/static/web/vendor/" in n}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 dsmrhub contributors")
    assert metadata["License-Expression"] == "MIT"
    assert "Framework :: Django :: 5.2" in metadata.get_all("Classifier")
    assert {url.split(",")[0] for url in metadata.get_all("Project-URL")} >= {"Homepage", "Source", "Issues"}
    assert vendored >= {"pico.min.css", "chart.umd.min.js"}


def test_a_build_without_the_vendored_assets_fails(tmp_path):
    built = _build(tmp_path, assets=False)
    assert built.returncode != 0
    assert (
        "the front-end assets are missing from src/dsmrhub/web/static/web/vendor"
        in built.stdout + built.stderr
    )
    assert "make install" in built.stdout + built.stderr
    assert not list(tmp_path.glob("dist/*.whl"))


@pytest.fixture(scope="module")
def installed_wheel(wheel, tmp_path_factory) -> Path:
    """The wheel installed without its dependencies (they are this venv's) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    return target


def test_the_installed_package_runs_the_whole_app(installed_wheel, cli_env, tmp_path):
    env = {**cli_env, "PYTHONPATH": str(installed_wheel)}
    where = subprocess.run(
        [sys.executable, "-c", "import dsmrhub; print(dsmrhub.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(installed_wheel)), where  # not the editable checkout
    port = free_port()
    log = tmp_path / "run.log"
    with open(log, "wb") as output:
        runner = subprocess.Popen(
            [
                *DSMRHUB,
                "run",
                "--bind",
                f"127.0.0.1:{port}",
                "--source",
                "demo",
                "--demo-backfill-hours",
                "0.2",
            ],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/", timeout=60)
        page = requests.get(base + "/", timeout=10)
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"', page.text)
        assert "/static/web/vendor/pico.min.css" in assets
        for asset in [*assets, "/static/web/vendor/chart.umd.min.js"]:  # charts appear once data is there
            served = requests.get(base + asset, timeout=10)
            assert served.status_code == 200 and len(served.content) > 100, asset
        healthcheck = _healthcheck_command()  # the image's HEALTHCHECK, against this server
        healthy = subprocess.run(
            [*healthcheck[:-1], healthcheck[-1].replace(":8000/", f":{port}/")], timeout=30
        )
        assert healthy.returncode == 0
        dutch = requests.get(base + "/", headers={"Accept-Language": "nl"}, timeout=10)
        assert 'lang="nl"' in dutch.text and dutch.text != page.text  # the compiled catalogue is shipped

        dsmrhub(env, "api", "enable", "--api-key", "wheel-key-0123456789abc")
        url = base + "/api/v2/datalogger/dsmrreading?ordering=-timestamp&limit=1"
        headers = {"Authorization": "Token wheel-key-0123456789abc"}

        def readings() -> int:
            return requests.get(url, headers=headers, timeout=10).json()["count"]

        # twelve backfilled minutes, then live demo telegrams
        wait_until(lambda: readings() > 12, timeout=30, message="live demo readings")
    finally:
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(timeout=30)
        print(log.read_text(errors="replace"))  # shown by pytest when the test fails
    assert code == 0, log.read_text(errors="replace")


def _base_distributions(wheel: Path) -> list[importlib.metadata.Distribution]:
    """What `pip install dsmrhub` installs besides dsmrhub: the wheel's requirements without an extra,
    and theirs, as this venv has them installed."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(name))
    wanted = [Requirement(text) for text in metadata.get_all("Requires-Dist")]
    found: dict[str, importlib.metadata.Distribution] = {}
    extras: list[set[str]] = [{""}] * len(wanted)
    while wanted:
        requirement, wanted_for = wanted.pop(), extras.pop()
        if requirement.marker and not any(requirement.marker.evaluate({"extra": e}) for e in wanted_for):
            continue
        key = canonicalize_name(requirement.name)
        if key in found:
            continue
        found[key] = importlib.metadata.distribution(requirement.name)
        for text in found[key].requires or []:
            wanted.append(Requirement(text))
            extras.append({"", *requirement.extras})
    return list(found.values())


@pytest.fixture(scope="module")
def forwarder_venv(wheel, tmp_path_factory) -> Path:
    """A venv with the wheel and only its base dependencies, copied from this venv's installed files
    (the same versions, no network)."""
    venv = tmp_path_factory.mktemp("forwarder") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    for distribution in _base_distributions(wheel):
        for file in distribution.files or []:
            source = Path(distribution.locate_file(file))
            if file.parts[0] != ".." and source.is_file():  # not console scripts outside site-packages
                (site / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, site / file)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    return venv


def test_the_base_install_is_a_forwarder_without_the_server_stack(forwarder_venv, cli_env, tmp_path):
    env = {"PATH": os.environ["PATH"], "DSMRHUB_DATA_DIR": str(tmp_path / "pi"), "DSMRHUB_LOG_LEVEL": "INFO"}
    command = [str(forwarder_venv / "bin" / "dsmrhub")]
    server_stack = [*settings.SERVER_PACKAGES, "psycopg"]
    present = subprocess.run(
        [forwarder_venv / "bin" / "python", "-c", "import importlib.util as u, sys; "
         "print([n for n in sys.argv[1:] if u.find_spec(n)])", *server_stack],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert present.strip() == "[]"
    usage = subprocess.run([*command, "forward", "--help"], env=env, capture_output=True, text=True)
    assert usage.returncode == 0 and "--to" in usage.stdout, usage.stderr
    listed = subprocess.run([*command, "help"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0 and "forward" in listed.stdout, listed.stderr
    refused = subprocess.run([*command, "serve"], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "pip install 'dsmrhub[server]'" in refused.stderr, refused.stderr

    key = "pi-key-0123456789abcdef"
    dsmrhub(cli_env, "migrate", "-v0")
    dsmrhub(cli_env, "api", "enable", "--api-key", key)
    port = free_port()
    server = subprocess.Popen(
        [*DSMRHUB, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env=cli_env, cwd=tmp_path
    )
    items = telegrams(20, step=timedelta(minutes=1))
    capture = tmp_path / "capture.txt"
    capture.write_bytes(b"".join(telegram for _, telegram in items))
    key_file = tmp_path / "api-key"  # as systemd's LoadCredential= gives it: not on the command line
    key_file.write_text(key + "\n")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/", timeout=60)
        forwarded = subprocess.run(
            [*command, "forward", "--source", f"replay:{capture}?speed=0", "--to", base]
            + ["--api-key-file", str(key_file), "--retry-max", "0.5"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        stored = requests.get(
            base + "/api/v2/datalogger/dsmrreading?ordering=timestamp&limit=100",
            headers={"Authorization": f"Token {key}"},
            timeout=10,
        ).json()["results"]
    finally:
        stop_process(server)
    assert forwarded.returncode == 0, forwarded.stderr
    assert "read 20 telegrams" in forwarded.stdout and "sent 20, rejected 0, queued 0" in forwarded.stdout
    assert [reading["timestamp"] for reading in stored] == [
        datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for stamp, _ in items
    ]


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def test_the_image_keeps_its_data_on_the_compose_volume_and_serves_the_published_port():
    dockerfile = _dockerfile()
    data_dir = re.search(r"DSMRHUB_DATA_DIR=(\S+)", dockerfile).group(1)
    assert re.search(rf"^VOLUME {re.escape(data_dir)}$", dockerfile, re.M)
    command = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    assert yaml.safe_load(command)[:2] == ["dsmrhub", "run"]
    bind_port = command.rsplit(":", 1)[1].split('"')[0]
    assert re.search(rf"^EXPOSE {bind_port}$", dockerfile, re.M)

    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    app = compose["services"]["dsmrhub"]
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    volume, mount = app["volumes"][0].split(":")
    assert mount == data_dir and volume in compose["volumes"]
    assert any(port.split(":")[1] == bind_port for port in app["ports"])
    # `dsmrhub run` may take STOP_TIMEOUT to stop its parts; compose must not kill it before.
    assert int(app["stop_grace_period"].rstrip("s")) > STOP_TIMEOUT
    postgres = compose["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert f"@postgres:5432/{postgres['environment']['POSTGRES_DB']}" in (DEPLOY / "compose.yaml").read_text()


def _healthcheck_command() -> list[str]:
    found = re.search(r"^HEALTHCHECK (?:--\S+ )*\\?\s*CMD (\[.*\])$", _dockerfile(), re.M)
    command = yaml.safe_load(found.group(1))
    assert command[0] == "python" and ":8000/" in command[-1]
    return [sys.executable, *command[1:]]


def test_the_image_pins_its_bases_and_checks_its_health():
    bases = re.findall(r"^FROM (\S+)", _dockerfile(), re.M)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    images = [*bases, compose["services"]["postgres"]["image"]]
    assert len(bases) == 2
    for image in images:  # an exact version (or a digest), never a moving tag like python:3.11-slim
        assert "@sha256:" in image or re.search(r":\d+\.\d+(\.\d+)?-[a-z-]+$", image), image
    healthcheck = re.search(r"^HEALTHCHECK (.*)$", _dockerfile(), re.M).group(1)
    assert "--interval=" in healthcheck and "--start-period=" in healthcheck
    healthcheck = _healthcheck_command()  # exec form, python (no curl in the slim image), the published port
    nobody = [*healthcheck[:-1], healthcheck[-1].replace(":8000/", f":{free_port()}/")]
    assert subprocess.run(nobody, capture_output=True, timeout=30).returncode != 0  # no server: unhealthy
    app = compose["services"]["dsmrhub"]["environment"]
    assert "DSMRHUB_SOURCE" in app
    assert "DSMRHUB_ADMIN_PASSWORD_FILE" in (DEPLOY / "compose.yaml").read_text()


SECURITY = re.compile(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)")


@pytest.mark.parametrize("unit", ["dsmrhub.service", "dsmrhub-forward.service"])
def test_systemd_units_are_hardened_and_keep_the_serial_port(unit):
    path = DEPLOY / "systemd" / unit
    text = path.read_text()
    for line in ("DeviceAllow=char-ttyUSB rw", "DeviceAllow=/dev/ttyAMA0 rw", "SupplementaryGroups=dialout"):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line
    assert re.search(r"^DevicePolicy=closed$", text, re.M) and re.search(r"^UMask=0077$", text, re.M)
    execstart = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
    assert not re.search(r"--(api|decryption|authentication)-key ", execstart)  # secrets never in ps
    if unit == "dsmrhub-forward.service":
        credential = re.search(r"^LoadCredential=([\w-]+):", text, re.M).group(1)
        assert f"--api-key-file %d/{credential}" in execstart
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze missing: the exposure score is not measured")
    analysis = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    score, level = SECURITY.search(analysis.stdout + analysis.stderr).groups()
    assert level in ("PERFECT", "SAFE", "OK", "MEDIUM") and float(score) < 7.0, (score, level)


def test_the_image_copies_the_front_end_assets_the_makefile_installs():
    makefile = (ROOT / "Makefile").read_text()
    installed = re.search(r"cp (node_modules/\S+) (node_modules/\S+) \$\(VENDOR\)/", makefile).groups()
    dockerfile = _dockerfile()
    for asset in installed:
        assert f"/assets/{asset}" in dockerfile, asset


@pytest.mark.parametrize("unit", ["dsmrhub.service", "dsmrhub-forward.service"])
def test_systemd_units_run_a_real_command_and_outlast_its_stop(unit, cli_env):
    text = (DEPLOY / "systemd" / unit).read_text()
    command = re.search(r"^ExecStart=\S+/dsmrhub (\S+)", text, re.M).group(1)
    options = re.findall(r" (--[a-z-]+)", re.search(r"^ExecStart=(.*)$", text, re.M).group(1))
    usage = dsmrhub(cli_env, command, "--help").stdout
    for option in options:
        assert option in usage, (unit, option)
    assert int(re.search(r"^TimeoutStopSec=(\d+)$", text, re.M).group(1)) > STOP_TIMEOUT
    assert re.search(r"^KillSignal=SIGTERM$", text, re.M)
