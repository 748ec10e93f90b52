"""`muistot-dev run` with no servers configured: SQLite under the var dir, embedded Redis, the whole stack
through the gateway; Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from muistot.settings import SERVICES
from muistot_tooling.testing.ports import free_ports
from tests.system.run_process import alive, descendants


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def embedded_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, int], Path]]:
    names = ("gateway", "metrics", "redis", *SERVICES)
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
    env.update({f"MUISTOT_{name.upper()}_PORT": str(port) for name, port in ports.items() if name != "redis"})
    env.update({"MUISTOT_VAR_DIR": str(tmp_path / "var"), "MUISTOT_LOG_JSON": "false", "PYTHONUNBUFFERED": "1"})
    output = tmp_path / "run.log"
    with output.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "muistot_tooling.cli", "run",
                                    "--redis-port", str(ports["redis"])], cwd=tmp_path, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process, ports, output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_gateway(process: subprocess.Popen[bytes], url: str, output: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, output.read_text(errors="replace")[-3000:]
        if "API docs" in output.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"no gateway at {url}: {output.read_text(errors='replace')[-3000:]}")


def run_env(ports: dict[str, int], tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
    env.update({f"MUISTOT_{name.upper()}_PORT": str(port) for name, port in ports.items() if name != "redis"})
    env.update({"MUISTOT_EMBEDDED_REDIS_PORT": str(ports["redis"]), "MUISTOT_VAR_DIR": str(tmp_path / "var"),
                "MUISTOT_LOG_JSON": "false", "PYTHONUNBUFFERED": "1"})
    return env


@pytest.fixture
def another_stacks_redis(tmp_path: Path) -> Iterator[int]:
    """The embedded Redis of another `make run` on this machine, already listening."""
    (port,) = free_ports(1)
    process = subprocess.Popen([sys.executable, "-m", "muistot_tooling.fakeredis_server", "--port", str(port)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not listening(port):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(("taken", "named"), [
    ("redis", "the embedded Redis, MUISTOT_EMBEDDED_REDIS_PORT"),
    ("data", "the data service, MUISTOT_DATA_PORT"),
    ("gateway", "the gateway, MUISTOT_GATEWAY_PORT"),
])
def test_a_port_in_use_stops_muistot_run_before_anything_starts(another_stacks_redis: int, tmp_path: Path,
                                                                taken: str, named: str) -> None:
    names = ("gateway", "metrics", *SERVICES)
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    ports["redis"] = ports[taken] = another_stacks_redis  # whatever listens there, e.g. another stack's Redis
    if taken != "redis":
        ports["redis"] = free_ports(1)[0]
    result = subprocess.run([sys.executable, "-m", "muistot_tooling.cli", "run"], cwd=tmp_path,
                            env=run_env(ports, tmp_path), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == (f"muistot: port {another_stacks_redis} ({named}) is already in use on 127.0.0.1: "
                             "stop what listens there or choose another port\n")
    # Nothing was started: no port of this stack listens, no database was made, and the other stack's
    # Redis holds no key of ours.
    assert [name for name, port in ports.items() if port != another_stacks_redis and listening(port)] == []
    assert not (tmp_path / "var" / "muistot.sqlite3").exists()
    with socket.create_connection(("127.0.0.1", another_stacks_redis), timeout=5) as conn:
        for db in (b"0", b"1"):
            conn.sendall(b"*2\r\n$6\r\nSELECT\r\n$1\r\n" + db + b"\r\n*1\r\n$6\r\nDBSIZE\r\n")
            answer = b""
            while answer.count(b"\r\n") < 2:
                answer += conn.recv(64)
            assert answer == b"+OK\r\n:0\r\n"


def test_muistot_run_embedded_default(embedded_run, tmp_path: Path) -> None:
    process, ports, output = embedded_run
    gateway = f"http://127.0.0.1:{ports['gateway']}"
    wait_for_gateway(process, gateway, output)
    text = output.read_text()
    assert f"gateway  {gateway}" in text and f"{gateway}/docs" in text
    # It says what it does on the way: Redis, migrations, what starts, each process as it answers.
    steps = [line for line in text.splitlines() if line.startswith("muistot: ")]
    assert steps[:3] == [f"muistot: embedded redis (fakeredis) on 127.0.0.1:{ports['redis']}",
                         f"muistot: migrating sqlite+aiosqlite:///{tmp_path / 'var' / 'muistot.sqlite3'}",
                         "muistot: database at revision head"]
    assert "muistot: starting login, users, admin, data, worker, gateway (Traefik)" in steps
    for name in (*SERVICES, "gateway"):
        port = ports["gateway" if name == "gateway" else name]
        assert any(line.startswith(f"muistot: {name} ready at http://127.0.0.1:{port} (") for line in steps), steps

    with httpx.Client(base_url=gateway, timeout=10) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert client.get("/languages?q=fi").json()["alpha_3"] == "fin"  # data
        assert client.get("/auth/oauth").status_code == 200  # login
        assert client.get("/me").status_code == 401  # users
        assert client.get("/admin/superusers").status_code == 401  # admin
        assert client.get("/docs").status_code == 200
        # `muistot session create` beside the stack: a bearer token the gateway accepts.
        cli_env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
        cli_env.update({"MUISTOT_VAR_DIR": str(tmp_path / "var"),
                        "MUISTOT_REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0"})
        created = subprocess.run([sys.executable, "-m", "muistot.cli", "session", "create", "dev@example.com"],
                                 cwd=tmp_path, env=cli_env, capture_output=True, text=True, timeout=60)
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip().splitlines()[-1]
        me = client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["email"] == "dev@example.com"
    assert (tmp_path / "var" / "muistot.sqlite3").exists()
    assert (tmp_path / "var" / "gateway" / "dynamic.yml").exists()

    started = descendants(process.pid)
    assert len(started) >= 6  # embedded redis, four services, traefik (and the worker)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the runner's group only
    assert process.wait(timeout=30) == 0, output.read_text()[-3000:]
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in started if alive(pid)]
    assert not [name for name, port in ports.items() if listening(port)]
