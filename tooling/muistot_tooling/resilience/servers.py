"""A MariaDB and a Redis of the resilience run's own: temporary data directories, spare loopback ports,
started, stopped and started again on the same data; never the machine's shared servers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from muistot_tooling.resilience.progress import say

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class ServerError(RuntimeError):
    """A server of the run could not be installed, started or stopped; the message says which and why."""


def _binary(name: str, *fallbacks: str) -> str:
    for candidate in (name, *fallbacks):
        found = shutil.which(candidate) or next(
            (str(Path(d) / candidate) for d in ("/usr/sbin", "/usr/bin") if (Path(d) / candidate).exists()), None)
        if found:
            return found
    raise ServerError(f"{name} is not installed (Debian: apt-get install mariadb-server redis-server)")


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Server:
    """One server process in its own process group, with its output in `<directory>/<name>.log`."""

    name: str
    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        return _answers(self.port)

    @property
    def log_path(self) -> Path:
        return self.directory / f"{self.name}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,  # noqa: S603
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                self.kill()
                raise ServerError(f"{self.name} did not start on port {self.port}:\n{tail}")
            time.sleep(0.1)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), waiting for the process to end."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None


@dataclass
class Redis(Server):
    """redis-server with an append-only file (fsync on every write): a restart keeps the sessions and the
    mail queue, as the compose and Kubernetes Redis do."""

    def command(self) -> list[str]:
        return [_binary("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "yes",
                "--daemonize", "no"]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@dataclass
class MariaDB(Server):
    """mariadbd on a data directory made by mariadb-install-db, TCP on 127.0.0.1 only, plus a socket file in
    the run's directory for the set-up; the services sign in as a user of their own."""

    user: str = "muistot"
    password: str = "resilience-run"  # noqa: S105 (a throw-away server on loopback, deleted afterwards)
    database: str = "muistot"

    @property
    def datadir(self) -> Path:
        return self.directory / "mariadb-data"

    @property
    def socket_path(self) -> Path:
        return self.directory / "mariadb.sock"

    def _os_user(self) -> list[str]:
        return ["--user=root"] if os.geteuid() == 0 else []

    def install(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([_binary("mariadb-install-db"), "--no-defaults", f"--datadir={self.datadir}",  # noqa: S603
                               "--auth-root-authentication-method=normal", "--skip-test-db", *self._os_user()],
                              capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise ServerError(f"mariadb-install-db failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")

    def command(self) -> list[str]:
        return [_binary("mariadbd"), "--no-defaults", f"--datadir={self.datadir}", f"--port={self.port}",
                "--bind-address=127.0.0.1", f"--socket={self.socket_path}",
                f"--pid-file={self.directory / 'mariadb.pid'}", "--skip-log-bin", "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M", "--max-connections=400",
                "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci", *self._os_user()]

    def ready(self) -> bool:
        if not _answers(self.port):
            return False
        return self.execute("SELECT 1", check=False).returncode == 0

    def execute(self, sql: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run SQL as root over the socket file (the set-up, and reading back what was stored)."""
        done = subprocess.run([_binary("mariadb", "mysql"), "--no-defaults", f"--socket={self.socket_path}",  # noqa: S603
                               "-uroot", "--batch", "--skip-column-names", "-e", sql],
                              capture_output=True, text=True, check=False, timeout=60)
        if check and done.returncode != 0:
            raise ServerError(f"SQL failed on the run's MariaDB: {done.stderr.strip()}")
        return done

    def create_database(self) -> None:
        self.execute(f"CREATE DATABASE IF NOT EXISTS {self.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
                     f"CREATE USER IF NOT EXISTS '{self.user}'@'127.0.0.1' IDENTIFIED BY '{self.password}';"
                     f"GRANT ALL ON {self.database}.* TO '{self.user}'@'127.0.0.1';")

    def connect(self) -> pymysql.Connection:  # type: ignore[type-arg]
        return pymysql.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                               database=self.database, charset="utf8mb4", autocommit=True)

    @property
    def url(self) -> str:
        return f"mysql+aiomysql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}?charset=utf8mb4"

    def start_first(self) -> None:
        say(f"installing MariaDB in {self.datadir}")
        self.install()
        self.start()
        self.create_database()
