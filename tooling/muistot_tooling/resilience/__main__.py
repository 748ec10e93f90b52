"""`python -m muistot_tooling.resilience` (`make resilience`): start a MariaDB, a Redis and an SMTP server of
its own, `muistot-dev run` on them, a load, the faults, the fuzzing and the abuse cases; print one table and
exit non-zero when anything failed. Everything it started is stopped, and its temporary directory
removed, however it ends (Ctrl-C included)."""

from __future__ import annotations

import argparse
import secrets
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import FrameType

from muistot_tooling.resilience import abuse, faults, fuzz
from muistot_tooling.resilience.context import Run, create_project, create_site
from muistot_tooling.resilience.load import Load, check_writes
from muistot_tooling.resilience.progress import say
from muistot_tooling.resilience.report import Outcome
from muistot_tooling.resilience.servers import MariaDB, Redis
from muistot_tooling.resilience.stack import RunningStack, run_settings
from muistot_tooling.testing.ports import free_ports
from muistot_tooling.testing.smtp_sink import SmtpSink

SETTLE_SECONDS = 3.0  # the load runs on this long after the last fault


class Interrupted(Exception):
    pass


def _interrupt(signum: int, _: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def run_phases(run: Run, outcome: Outcome, phases: set[str]) -> None:
    try:
        _phases(run, outcome, phases)
    finally:  # counted however the run ends
        recorder = run.recorder
        outcome.requests, outcome.errors, outcome.server_errors = recorder.requests, recorder.errors, \
            recorder.server_errors
        outcome.unexpected_5xx += recorder.unexpected_5xx
        outcome.problems += recorder.problems


def _phases(run: Run, outcome: Outcome, phases: set[str]) -> None:
    with run.client() as client:
        run.admin = run.person(superuser=True)
        run.project = create_project(client, run.admin)
        run.site = create_site(client, run.admin, run.project)
        load = Load(run.url, run.admin, run.person(), run.project, run.site, run.recorder)
        run.load = load
        say("load started: 2 readers, 2 writers")
        load.start()
        try:
            time.sleep(SETTLE_SECONDS)
            if "faults" in phases:
                faults.every_fault(run, outcome.faults)
            time.sleep(SETTLE_SECONDS)
        finally:
            load.finish()
        outcome.writes_acknowledged, outcome.writes_found, problems = check_writes(client, load)
        outcome.problems += problems
        say(f"load stopped: {outcome.writes_found}/{outcome.writes_acknowledged} acknowledged writes found")
    if "fuzz" in phases:
        outcome.fuzz_cases, outcome.fuzz_failures = fuzz.fuzz_every_service(run)
        outcome.fuzz_ran = True
    if "abuse" in phases:
        outcome.abuse = abuse.every_case(run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m muistot_tooling.resilience", description=__doc__)
    parser.add_argument("--only", default="faults,fuzz,abuse", help="phases to run (comma-separated)")
    parser.add_argument("--report", type=Path, default=Path("var/resilience/latest.json"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args(argv)
    phases = set(args.only.split(","))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt)

    started = time.monotonic()
    outcome = Outcome()
    directory = Path(tempfile.mkdtemp(prefix="muistot-resilience-"))
    mariadb_port, redis_port = free_ports(2)
    mariadb = MariaDB("mariadb", directory, mariadb_port)
    redis = Redis("redis", directory, redis_port)
    smtp = SmtpSink()
    stack: RunningStack | None = None
    failed = True
    try:
        mariadb.start_first()
        say(f"MariaDB on 127.0.0.1:{mariadb_port}")
        redis.start()
        say(f"Redis on 127.0.0.1:{redis_port}")
        smtp.start()
        say(f"SMTP sink on 127.0.0.1:{smtp.port}")
        settings = run_settings(directory, database_url=mariadb.url, redis_url=redis.url, mail_url=smtp.url,
                                secret=secrets.token_hex(32))
        stack = RunningStack(settings, directory)
        stack.wait_started()
        say(f"muistot-dev run: gateway at {stack.url}")
        run = Run(directory, settings, mariadb, redis, smtp, stack)
        run_phases(run, outcome, phases)
        failed = False
    except Interrupted as exc:
        outcome.problems.append(f"interrupted ({exc})")
    except Exception as exc:  # whatever broke, the servers are stopped and the table printed
        outcome.problems.append(f"{type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if stack is not None:
            code = stack.stop()
            if code not in (0, None) and not failed:
                outcome.problems.append(f"muistot-dev run exited with {code} on Ctrl-C")
        smtp.stop()
        redis.stop()
        mariadb.stop()
        logs = args.report.parent / "logs"
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True, exist_ok=True)
        for log in ("run.log", "mariadb.log", "redis.log"):
            if (directory / log).exists():
                shutil.copy(directory / log, logs / log)
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    outcome.seconds = time.monotonic() - started
    outcome.write(args.report)
    for line in outcome.failures():
        print(f"FAILED {line}")
    print(outcome.table())
    print(outcome.summary())
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
