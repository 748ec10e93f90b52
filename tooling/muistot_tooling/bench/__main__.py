"""`make bench`: seed a realistic data set, start the real stack as `make run` does, drive it with wrk.

It runs on the machine's MariaDB and Redis (MUISTOT_TEST_MYSQL_URL / MUISTOT_TEST_REDIS_URL point it
elsewhere) in a database and a Redis key prefix of its own, and starts `muistot-dev run` (Traefik, the four
services, the worker) on free ports, logging at WARNING, beside a reference gateway (the same Traefik
settings in front of minimal apps). Every case runs at 32 and 128 connections, twice, after a warm-up,
and the better run counts. At the end: one table, and `var/bench/latest.json`. Whatever happens
(Ctrl-C included) the processes are stopped, the database dropped and the prefix removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path
from types import FrameType

import httpx
from sqlalchemy.exc import SQLAlchemyError

from muistot import migrate
from muistot.settings import SERVICES, ConfigError, Settings
from muistot.startup import check_redis
from muistot_tooling.bench import dataset
from muistot_tooling.bench.cases import COMMENT_BODY, CONNECTIONS, MEMORY_BODY, Case, cases, write_paths
from muistot_tooling.bench.memory import PeakSampler, Snapshot, start_time
from muistot_tooling.bench.reference import CEILING_PATH, ReferenceGateway
from muistot_tooling.bench.report import Measured, MemoryFigures, document, table
from muistot_tooling.bench.wrk import WrkError, WrkResult, command, ensure_wrk, parse, write_script
from muistot_tooling.gateway.routes import ROUTES_ENV
from muistot_tooling.runner import Stack, StackError, traefik_binary
from muistot_tooling.testing.ports import free_ports
from muistot_tooling.testing.servers import MYSQL_SERVER, REDIS_SERVER, admin_execute, database_url, drop_redis_prefix

DEFAULT_SECONDS = 8.0
WARMUP_SECONDS = 2  # per stack case before the idle figure: caches filled, pools opened
CASE_WARMUP_SECONDS = 1  # before each case's two runs, at its connection count
RUNS = 2
START_TIMEOUT = 120.0
# Settings of the machine the bench does not pass on: its runs stay comparable with everyone's.
KEPT_SETTINGS = ("MUISTOT_TRAEFIK_BIN", "MUISTOT_GATEWAY_ROUTES", "MUISTOT_TEST_MYSQL_URL", "MUISTOT_TEST_REDIS_URL")


class BenchError(RuntimeError):
    """The bench cannot go on; the message says why in one line."""


class Interrupted(BaseException):
    """SIGTERM, handled like Ctrl-C."""


class Progress:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = int(time.monotonic() - self.started)
        print(f"bench {elapsed // 60:2d}:{elapsed % 60:02d}  {message}", flush=True)


class Bench:
    """Everything one run owns, released by `close()` whatever state the run got to."""

    def __init__(self, seconds: float, say: Progress, wrk: str, only: set[str] | None = None,
                 scale: str = "") -> None:
        self.seconds = seconds
        self.scale = scale
        self.say = say
        self.wrk = wrk
        self.only = only
        self.tmp = Path(tempfile.mkdtemp(prefix="muistot-bench-"))
        self.database: str | None = None
        self.settings: Settings | None = None
        self.supervisor: Stack | None = None
        self.sampler: PeakSampler | None = None
        self.reference: ReferenceGateway | None = None
        self.running: subprocess.Popen[bytes] | None = None
        self.counts: dict[str, int] = {}
        self.load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self.load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    # --- set-up --------------------------------------------------------------------------------

    def prepare(self) -> None:
        try:
            asyncio.run(check_redis(Settings(_env_file=None, redis_url=REDIS_SERVER), wait=0))
        except ConfigError as exc:
            raise BenchError(f"Redis is not usable (set MUISTOT_TEST_REDIS_URL): {exc}") from None
        name = f"muistot_bench_{secrets.token_hex(3)}"
        self.say(f"creating database {name} on {MYSQL_SERVER} (Redis: {REDIS_SERVER}, a prefix of its own)")
        try:
            admin_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        except SQLAlchemyError as exc:
            raise BenchError(f"MariaDB at {MYSQL_SERVER} is not usable (set MUISTOT_TEST_MYSQL_URL): "
                             f"{str(exc).splitlines()[0]}") from None
        self.database = name
        ports = free_ports(2 + len(SERVICES))
        self.settings = Settings(
            _env_file=None, var_dir=self.tmp / "var", database_url=database_url(name), redis_url=REDIS_SERVER,
            redis_prefix=f"bench{secrets.token_hex(3)}:", log_level="WARNING", scale=self.scale,
            gateway_port=ports[0], metrics_port=ports[1],
            **{f"{service}_port": port for service, port in zip(SERVICES, ports[2:], strict=True)})
        migrate.upgrade(self.settings)
        self.say("seeding the bench data set (10 projects, ~650 sites, ~9 000 memories, ~50 000 comments, "
                 "10 000 users)")
        counts = asyncio.run(dataset.seed(self.settings))
        self.counts = asdict(counts)
        self.say("seeded " + ", ".join(f"{value} {key}" for key, value in self.counts.items()))
        self.targets = asyncio.run(dataset.pick_targets(self.settings))
        self.sessions = asyncio.run(dataset.sign_in(self.settings, self.targets))

    def start_stack(self) -> None:
        assert self.settings is not None
        self.say("starting the stack as `make run` does: muistot-dev run (Traefik, login, users, admin, data, worker)")
        # The reference gateway runs this very Traefik binary too.
        passed = {"MUISTOT_TRAEFIK_BIN": traefik_binary()}
        if os.environ.get(ROUTES_ENV):
            passed[ROUTES_ENV] = os.environ[ROUTES_ENV]
        self.supervisor = Stack(self.settings, env=passed, services=(), gateway=False, worker=False,
                                log_dir=self.tmp / "logs")
        self.supervisor.spawn("muistot-run", [sys.executable, "-m", "muistot_tooling.cli", "run"])
        self.sampler = PeakSampler(self.supervisor.children["muistot-run"].process.pid)  # type: ignore[union-attr]
        try:
            self.supervisor.wait_http(f"{self.gateway_url}/ready", time.monotonic() + START_TIMEOUT, "muistot-run")
        except StackError as exc:
            raise BenchError(f"the stack did not start: {exc}") from None
        self.sampler.sample(peak=False)
        self.say(f"stack up at {self.gateway_url}")

    @property
    def gateway_url(self) -> str:
        assert self.settings is not None
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    def start_reference(self, big_size: int) -> None:
        ports = free_ports(5)
        settings = Settings(_env_file=None, var_dir=self.tmp / "reference", gateway_port=ports[0],
                            metrics_port=ports[1], data_port=ports[2], admin_port=ports[2], users_port=ports[3],
                            login_port=ports[4], log_level="WARNING")
        self.say(f"starting the reference gateway (same Traefik settings; minimal apps; big body {big_size:,} B)")
        self.reference = ReferenceGateway(settings, big_size, self.tmp / "reference")
        try:
            self.reference.start()
        except StackError as exc:
            raise BenchError(f"the reference gateway did not start: {exc}") from None
        with httpx.Client(timeout=30.0) as client:
            for case in (Case("ceiling", "reference", CEILING_PATH), Case("ceiling_auth", "reference", CEILING_PATH,
                                                                          signed=True)):
                answer = client.get(self.url(case), headers=dict(h.split(": ", 1) for h in self.headers(case)))
                if answer.status_code != 200:
                    raise BenchError(f"{case.id}: the reference gateway answered {answer.status_code}")

    # --- requests ------------------------------------------------------------------------------

    def url(self, case: Case) -> str:
        assert self.reference is not None or case.gateway == "stack"
        base = self.reference.url if case.gateway == "reference" and self.reference else self.gateway_url
        return base + case.path

    def headers(self, case: Case) -> list[str]:
        return [f"Authorization: Bearer {self.sessions.reader}"] if case.signed else []

    def check(self, all_cases: list[Case]) -> int:
        """Every stack case answers as it should before anything is measured; returns the big list's size."""
        big_size = 0
        memory_paths, comment_paths = write_paths(self.targets)
        with httpx.Client(timeout=30.0) as client:
            for case in all_cases:
                if case.gateway != "stack":
                    continue
                if case.writes:
                    auth = {"Authorization": f"Bearer {self.sessions.writers[0]}", "Content-Type": "application/json"}
                    for path, body in ((memory_paths[0], MEMORY_BODY), (comment_paths[0], COMMENT_BODY)):
                        answer = client.post(self.gateway_url + path, headers=auth, content=body)
                        if answer.status_code != 201:
                            raise BenchError(f"{case.id}: POST {path} answered {answer.status_code}: "
                                             f"{answer.text[:200]}")
                    continue
                headers = dict(header.split(": ", 1) for header in self.headers(case))
                answer = client.get(self.url(case), headers=headers)
                if answer.status_code != 200:
                    raise BenchError(f"{case.id}: GET {case.path} answered {answer.status_code}: {answer.text[:200]}")
                if case.id == "anon_sites_big":
                    big_size = len(answer.content)
        return big_size

    def wrk_run(self, case: Case, connections: int, seconds: float) -> WrkResult:
        script = None
        if case.writes:
            memory_paths, comment_paths = write_paths(self.targets)
            script = write_script(self.tmp / "write_mix.lua", tokens=self.sessions.writers,
                                  memory_paths=memory_paths, comment_paths=comment_paths,
                                  memory_body=MEMORY_BODY, comment_body=COMMENT_BODY)
        argv = command(self.wrk, self.url(case), connections, seconds, headers=self.headers(case), script=script)
        # Its own session: Ctrl-C reaches the bench, which stops wrk itself.
        self.running = process = subprocess.Popen(  # noqa: S603
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{case.id}: wrk did not finish") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            self.running = None
        text = output.decode(errors="replace")
        if process.returncode != 0:
            tail = " | ".join(text.strip().splitlines()[-3:])
            raise BenchError(f"{case.id}: wrk failed ({process.returncode}): {tail}")
        try:
            result = parse(text)
        except WrkError as exc:
            raise BenchError(f"{case.id}: {exc}") from None
        if script is not None and result.statuses is None:
            # wrk goes on (sending plain GETs) when its script fails: never count such a run.
            errors = [line for line in text.splitlines() if ".lua:" in line] or text.strip().splitlines()[:1]
            raise BenchError(f"{case.id}: the write script failed: {errors[0]}")
        return result

    # --- the run -------------------------------------------------------------------------------

    def run(self) -> tuple[list[Measured], MemoryFigures]:
        self.prepare()
        self.start_stack()
        all_cases = [case for case in cases(self.targets) if self.only is None or case.id in self.only]
        big_size = self.check(all_cases)
        if big_size == 0:  # the big list was filtered out of this run; the reference still needs a size
            with httpx.Client(timeout=30.0) as client:
                big_size = len(client.get(f"{self.gateway_url}/projects/{self.targets.big_project}/sites").content)
        self.start_reference(big_size)
        assert self.sampler is not None
        for case in all_cases:
            if case.gateway == "stack":
                self.say(f"warming up {case.id} ({WARMUP_SECONDS}s at 32 connections)")
                self.wrk_run(case, 32, WARMUP_SECONDS)
        time.sleep(2)
        idle = self.idle_snapshot()
        self.say(f"stack idle: RSS {idle.rss_mib:.0f} MiB (per process, added up: {idle.rss_sum_mib:.0f}), "
                 f"PSS {idle.pss_mib:.0f} MiB over "
                 f"{len(idle.processes)} processes")
        self.load_before = os.getloadavg()
        if self.load_before[0] > 1.0:
            self.say(f"note: the machine is busy (load average {self.load_before[0]:.1f}); figures will be noisy")
        self.sampler.start()
        measured = []
        for connections in CONNECTIONS:
            # The two runs of a case are a whole pass apart, so that one burst of other work on the
            # machine cannot spoil both (the reference lines' included).
            runs: dict[str, list[WrkResult]] = {case.id: [] for case in all_cases}
            for attempt in range(1, RUNS + 1):
                for case in all_cases:
                    self.wrk_run(case, connections, CASE_WARMUP_SECONDS)
                    result = self.wrk_run(case, connections, self.seconds)
                    runs[case.id].append(result)
                    errors = f", {result.non2xx if result.not_created is None else result.not_created} non-2xx" \
                             f", {result.timeouts} timeouts"
                    self.say(f"{case.id:16} c{connections:<3} run {attempt}/{RUNS}: {result.ok_rps:9,.0f} req/s, "
                             f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms{errors}")
            measured += [Measured(case, connections, tuple(runs[case.id])) for case in all_cases]
        self.sampler.stop()
        self.load_after = os.getloadavg()
        loaded = self.sampler.peak or idle
        return measured, MemoryFigures(idle=idle, loaded=loaded)

    def idle_snapshot(self) -> Snapshot:
        assert self.sampler is not None
        taken = []
        for _ in range(3):
            taken.append(self.sampler.sample(peak=False))
            time.sleep(1)
        return sorted(taken, key=lambda snap: snap.rss_mib)[1]

    # --- tear-down -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop wrk and every process, drop the database and the prefix, remove the temporary files.

        Each step runs even when an earlier one failed; a failure is reported in one line.
        """
        steps: list[tuple[str, Callable[[], object]]] = []
        if self.running is not None:
            steps.append(("stopping wrk", self._stop_wrk))
        if self.sampler is not None:
            sampler = self.sampler
            steps.append(("noting the stack's processes", lambda: (sampler.stop(), sampler.sample(peak=False))))
        if self.reference is not None:
            steps.append(("stopping the reference gateway", self.reference.stop))
        if self.supervisor is not None:
            supervisor = self.supervisor
            steps.append(("stopping the stack", lambda: supervisor.stop(timeout=30)))
        if self.sampler is not None:
            steps.append(("stopping leftover processes", lambda: _kill_leftovers(sampler.seen)))
        if self.database is not None:
            steps.append((f"dropping database {self.database}",
                          lambda: admin_execute(f"DROP DATABASE IF EXISTS `{self.database}`")))
        if self.settings is not None:
            settings = self.settings
            steps.append((f"removing Redis keys {settings.redis_prefix}*",
                          lambda: asyncio.run(drop_redis_prefix(settings))))
        steps.append(("removing temporary files", lambda: shutil.rmtree(self.tmp, ignore_errors=True)))
        for what, step in steps:
            try:
                step()
            except Exception as exc:  # every other step must still run
                print(f"bench: {what} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                      file=sys.stderr, flush=True)

    def _stop_wrk(self) -> None:
        if self.running is not None and self.running.poll() is None:
            self.running.kill()
            self.running.wait()


def _kill_leftovers(seen: dict[int, int | None]) -> None:
    """Services and Traefik run in sessions of their own: if their supervisor died, stop them here."""
    for pid, started in seen.items():
        if started is not None and start_time(pid) == started:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _seconds(value: str | None) -> float:
    try:
        seconds = float(value) if value else DEFAULT_SECONDS
    except ValueError:
        raise BenchError(f"BENCH_SECONDS must be a number of seconds, not {value!r}") from None
    if not 1 <= seconds <= 600:
        raise BenchError("BENCH_SECONDS must be between 1 and 600")
    return seconds


@contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    def on_term(signum: int, _: FrameType | None) -> None:
        raise Interrupted

    # Ctrl-C raises KeyboardInterrupt even where SIGINT was ignored (a job started in the background).
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, on_term),
                signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m muistot_tooling.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("var/bench/latest.json"), help="where the JSON goes")
    parser.add_argument("--cases", help="comma-separated case ids to run (default: all)")
    parser.add_argument("--scale", default="", metavar="SERVICE=N,…",
                        help="instances per service, as MUISTOT_SCALE of `make run` (e.g. data=2)")
    args = parser.parse_args(argv)
    for name in [name for name in os.environ if name.startswith("MUISTOT_") and name not in KEPT_SETTINGS]:
        del os.environ[name]
    say = Progress()
    bench: Bench | None = None
    try:
        with _signals_as_interrupts():
            seconds = _seconds(os.environ.get("BENCH_SECONDS"))
            bench = Bench(seconds, say, ensure_wrk(say), set(args.cases.split(",")) if args.cases else None,
                          scale=args.scale)
            rows, memory = bench.run()
    except httpx.HTTPError as exc:
        print(f"bench: a request failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    except (BenchError, WrkError) as exc:
        print(f"bench: {exc}", file=sys.stderr, flush=True)
        return 1
    except (KeyboardInterrupt, Interrupted):
        print("bench: interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        if bench is not None:
            previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
            say("cleaning up: processes, database, Redis prefix, temporary files")
            try:
                bench.close()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
    print()
    print(table(rows, memory))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    result = document(rows, memory, seconds=seconds, dataset=bench.counts,
                      load={"before": bench.load_before, "after": bench.load_after})
    result["scale"] = bench.settings.scale_map if bench.settings is not None else {}
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nbench: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
