"""Datalogger figures: the full path (replay → framing → parse → store) on SQLite, the bulk importer,
and API v1 through the production server (sequential and 4 concurrent keep-alive clients).

API v1 is measured twice: with a Python client (http.client, keep-alive), which itself spends a good
part of a millisecond of CPU per request on the same two cores as the server, and - when the ``wrk``
load generator is installed (``apt-get install wrk``) - with wrk, whose own CPU cost is negligible.
Each figure comes with the server's CPU time per request (its processes' user + system time), which
on a machine shared with other work is steadier than the rate. With wrk, the same application is also
served by gunicorn's threaded worker (the server dsmrhub used before) as the peer figure."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

DSMRHUB = [sys.executable, "-m", "dsmrhub.cli"]
KEY = "bench-key-0123456789abcdef"
WRK_SECONDS = 6
WRK_TELEGRAMS = 24_000  # distinct telegrams per wrk run, more than it can post in WRK_SECONDS


def _telegrams(count: int, start: datetime) -> list[str]:
    from dsmrhub.datalogger.demo import DemoMeter

    meter = DemoMeter(seed=1)
    return [meter.telegram_at(start + timedelta(seconds=n)) for n in range(count)]


def _env(data: Path) -> dict[str, str]:
    env = {**os.environ, "DSMRHUB_DATA_DIR": str(data), "DSMRHUB_LOG_LEVEL": "WARNING"}
    env.pop("DSMRHUB_DATABASE_URL", None)
    return env


def _timed(env: dict[str, str], *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `dsmrhub` command, its worker processes included."""
    cpu = _children_cpu()
    began = time.perf_counter()
    subprocess.run([*DSMRHUB, *args], env=env, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - began, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children and their descendants
    return usage.ru_utime + usage.ru_stime


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (the server's workers); 0 off Linux."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for each in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


_WRK_SCRIPT = """
local counter = 0
setup = function(thread) thread:set("part", counter); counter = counter + 1 end
local bodies, n = {}, 0
init = function(args)
  local per, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i >= (part + 1) * per then break end
    if i >= part * per then bodies[#bodies + 1] = line end
    i = i + 1
  end
end
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/datalogger/dsmrreading", {
    ["Authorization"] = "Token %s",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, bodies[((n - 1) %% #bodies) + 1])
end
"""


def _wrk(port: int, root: Path, telegrams: list[str], clients: int, seconds: int) -> tuple[float, int, str]:
    """(requests/s, requests, non-2xx count) of wrk posting distinct telegrams on ``clients`` connections."""
    script = root / "post.lua"
    script.write_text(_WRK_SCRIPT % KEY)
    bodies = root / f"bodies-{clients}.txt"
    bodies.write_text("".join(urlencode({"telegram": t}) + "\n" for t in telegrams))
    per = len(telegrams) // clients
    out = subprocess.run(
        [
            "wrk",
            f"-t{clients}",
            f"-c{clients}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ]
        + ["--", str(bodies), str(per)],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, done, errors.group(1) if errors else ""


def _post_many(port: int, telegrams: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {KEY}", "Content-Type": "application/x-www-form-urlencoded"}
    for telegram in telegrams:
        conn.request("POST", "/api/v1/datalogger/dsmrreading", urlencode({"telegram": telegram}), headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 201, response.status
    conn.close()


def run() -> dict[str, dict]:
    root = Path(tempfile.mkdtemp(prefix="dsmrhub-bench-dl-"))
    figures: dict[str, dict] = {}
    start = datetime(2026, 1, 1, tzinfo=UTC)

    replay = root / "replay"
    replay.mkdir()
    env = _env(replay)
    subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=300)
    capture = replay / "capture.txt"
    count = 30_000  # large enough that the start-up time subtracted below is small beside it
    capture.write_text("".join(_telegrams(count, start)))
    startup, startup_cpu = _timed(env, "datalogger-settings")  # Django start-up, subtracted below
    seconds, cpu = _timed(env, "datalogger", "--source", f"replay:{capture}?speed=0")
    figures["datalogger-replay-sqlite-telegrams-per-s"] = {
        "value": count / (seconds - startup),
        "unit": "telegrams/s",
    }
    figures["datalogger-replay-cpu-us-per-telegram"] = {
        "value": (cpu - startup_cpu) * 1e6 / count,
        "unit": "µs CPU/telegram (steadier than the rate on a shared machine)",
    }

    imported = root / "import"
    imported.mkdir()
    env = _env(imported)
    subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=300)
    packed = imported / "capture.txt.gz"
    count = 60_000
    with gzip.open(packed, "wt") as handle:
        handle.write("".join(_telegrams(count, start)))
    startup, startup_cpu = _timed(env, "datalogger-settings")
    seconds, cpu = _timed(env, "import", str(packed), "--quiet")
    figures["import-sqlite-telegrams-per-s"] = {"value": count / (seconds - startup), "unit": "telegrams/s"}
    figures["import-cpu-us-per-telegram"] = {
        "value": (cpu - startup_cpu) * 1e6 / count,
        "unit": "µs CPU/telegram, all its processes (steadier than the rate on a shared machine)",
    }
    figures["import-vs-datalogger-replay"] = {
        "value": figures["import-sqlite-telegrams-per-s"]["value"]
        / figures["datalogger-replay-sqlite-telegrams-per-s"]["value"],
        "unit": "x (same run)",
    }

    figures.update(_api_figures(root, start))
    return figures


# The peer: gunicorn's threaded worker, which served the API until this benchmark showed the HTTP server
# to be API v1's bottleneck, with the settings it had then.
_GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "--workers=2",
    "--threads=4",
    "--worker-class=gthread",
    "--keep-alive=5",
    "--worker-tmp-dir=/dev/shm",
    "--log-level=warning",
    "dsmrhub.wsgi:application",
]


def _serve(command: list[str], data: Path, port: int) -> subprocess.Popen:
    from tests.processes import wait_for_http

    env = _env(data)
    server = subprocess.Popen(command, env=env)
    wait_for_http(f"http://127.0.0.1:{port}/")
    return server


def _api_figures(root: Path, start: datetime) -> dict[str, dict]:
    from tests.processes import free_port

    figures: dict[str, dict] = {}
    servers = {"": lambda port: [*DSMRHUB, "serve", "--bind", f"127.0.0.1:{port}"]}
    if shutil.which("wrk") and _has_gunicorn():
        servers["gunicorn-"] = lambda port: [*_GUNICORN, f"--bind=127.0.0.1:{port}"]
    for prefix, command in servers.items():
        data = root / f"api-{prefix or 'dsmrhub'}"
        data.mkdir()
        env = _env(data)
        subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=300)
        subprocess.run(
            [*DSMRHUB, "api", "enable", "--api-key", KEY], env=env, check=True, capture_output=True
        )
        port = free_port()
        server = _serve(command(port), data, port)
        try:
            if not prefix:
                figures.update(_python_client_figures(server, port, start + timedelta(days=30)))
            if shutil.which("wrk"):
                figures.update(_wrk_figures(server, port, data, start, prefix))
        finally:
            server.terminate()
            server.wait(timeout=30)
    if not shutil.which("wrk"):
        print("wrk not installed (apt-get install wrk): API v1 measured with the Python client only")
    for name in ("sequential", "4-clients"):
        if f"api-v1-gunicorn-wrk-{name}-requests-per-s" in figures:
            figures[f"api-v1-wrk-{name}-vs-gunicorn"] = {
                "value": figures[f"api-v1-wrk-{name}-requests-per-s"]["value"]
                / figures[f"api-v1-gunicorn-wrk-{name}-requests-per-s"]["value"],
                "unit": "x (dsmrhub serve's granian against gunicorn gthread, same app, same run)",
            }
    return figures


def _has_gunicorn() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        print("gunicorn not installed: no peer figure for the API server")
        return False
    return True


def _python_client_figures(server: subprocess.Popen, port: int, day: datetime) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    telegrams = _telegrams(6200, day)
    _post_many(port, telegrams[:200])  # warm up: imports, connections, caches
    cpu, client, began = _cpu_seconds(server.pid), time.process_time(), time.perf_counter()
    _post_many(port, telegrams[200:2200])
    elapsed, client = time.perf_counter() - began, time.process_time() - client
    figures["api-v1-sequential-requests-per-s"] = {"value": 2000 / elapsed, "unit": "requests/s"}
    figures["api-v1-sequential-server-cpu-ms-per-request"] = {
        "value": (_cpu_seconds(server.pid) - cpu) / 2 if cpu else 0.0,
        "unit": "ms CPU/request (server processes)",
    }
    figures["api-v1-python-client-cpu-ms-per-request"] = {
        "value": client / 2,
        "unit": "ms CPU/request (the benchmark's own client, on the same cores)",
    }
    parts = [telegrams[2200 + n * 1000 : 3200 + n * 1000] for n in range(4)]
    threads = [threading.Thread(target=_post_many, args=(port, part)) for part in parts]
    cpu, began = _cpu_seconds(server.pid), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures["api-v1-4-clients-requests-per-s"] = {
        "value": 4000 / (time.perf_counter() - began),
        "unit": "requests/s",
    }
    figures["api-v1-4-clients-server-cpu-ms-per-request"] = {
        "value": (_cpu_seconds(server.pid) - cpu) / 4 if cpu else 0.0,
        "unit": "ms CPU/request (server processes)",
    }
    return figures


def _wrk_figures(
    server: subprocess.Popen, port: int, data: Path, start: datetime, prefix: str
) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for clients, name in ((1, "sequential"), (4, "4-clients")):
        day = start + timedelta(days=60 + 30 * clients)  # new telegrams each run: no duplicates
        cpu = _cpu_seconds(server.pid)
        rate, done, errors = _wrk(port, data, _telegrams(WRK_TELEGRAMS, day), clients, WRK_SECONDS)
        if errors:
            raise RuntimeError(f"wrk: {errors} responses were not 201")
        if done > WRK_TELEGRAMS:
            raise RuntimeError(f"wrk sent {done} requests: more than the {WRK_TELEGRAMS} distinct telegrams")
        figures[f"api-v1-{prefix}wrk-{name}-requests-per-s"] = {
            "value": rate,
            "unit": f"requests/s (wrk, {clients} keep-alive connection(s), {WRK_SECONDS} s)",
        }
        figures[f"api-v1-{prefix}wrk-{name}-server-cpu-ms-per-request"] = {
            "value": (_cpu_seconds(server.pid) - cpu) * 1000 / max(done, 1) if cpu else 0.0,
            "unit": "ms CPU/request (server processes)",
        }
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']:,.1f} {figure['unit']}")
