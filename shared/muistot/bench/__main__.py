"""`make bench`: start the real stack on free ports and print latency tables for the hot paths.

By default it runs against MariaDB and Redis on 127.0.0.1 (a database and Redis prefix of its own,
removed afterwards), like the tests; `--embedded` uses the SQLite + fakeredis default instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
from pathlib import Path

from muistot.accounts import create_session_for_email
from muistot.bench.load import Result, run, table
from muistot.migrate import upgrade
from muistot.runner import Stack
from muistot.settings import SERVICES, Settings
from muistot.testing.ports import free_ports


def bench_settings(var: Path, embedded: bool) -> tuple[Settings, str | None]:
    ports = dict(zip(("gateway_port", "metrics_port", *(f"{s}_port" for s in SERVICES)), free_ports(6), strict=True))
    common = {"env": "test", "var_dir": var, "log_level": "WARNING", "redis_prefix": f"bench{secrets.token_hex(3)}:",
              **ports}
    if embedded:
        return Settings(**common), None
    from muistot.testing.plugin import MYSQL_SERVER, REDIS_SERVER, _admin_execute

    name = f"muistot_bench_{secrets.token_hex(3)}"
    _admin_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    url = f"{MYSQL_SERVER.rstrip('/')}/{name}?charset=utf8mb4"
    return Settings(database_url=url, redis_url=REDIS_SERVER, **common), name


async def measure(stack: Stack, settings: Settings, requests: int, concurrency: int) -> list[Result]:
    token = await create_session_for_email(settings, "bench@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    login = stack.service_url("login")
    cases = [
        ("verify, direct (valid token)", f"{login}/_internal/verify", auth),
        ("gateway /auth/status (ForwardAuth + login)", f"{stack.url}/auth/status", auth),
        ("gateway /me (ForwardAuth + users + DB)", f"{stack.url}/me", auth),
        ("gateway /languages?q=fi (anonymous)", f"{stack.url}/languages?q=fi", {}),
        ("gateway /projects (anonymous, cached)", f"{stack.url}/projects", {}),
        ("gateway /health (Traefik only)", f"{stack.url}/health", {}),
    ]
    results = []
    for name, url, headers in cases:
        results.append(await run(name, url, headers, concurrency=concurrency, requests=requests))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m muistot.bench", description=__doc__)
    parser.add_argument("--embedded", action="store_true", help="SQLite + fakeredis instead of MariaDB + Redis")
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per case")
    parser.add_argument("--concurrency", default="2,8",
                        help="keep-alive connections per case, one table per comma-separated value")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="muistot-bench-") as tmp:
        var = Path(tmp)
        settings, database = bench_settings(var, args.embedded)
        try:
            upgrade(settings)
            stack = Stack(settings, log_dir=var / "logs", env={"MUISTOT_LOG_LEVEL": "WARNING"})
            if args.embedded:
                print("embedded mode needs `make run` style Redis; use the default mode", file=sys.stderr)
                return 2
            levels = [int(level) for level in args.concurrency.split(",")]
            with stack:
                tables = [(level, asyncio.run(measure(stack, settings, args.requests, level))) for level in levels]
        finally:
            if database is not None:
                from muistot.testing.plugin import _admin_execute, _drop_redis_prefix

                _admin_execute(f"DROP DATABASE IF EXISTS `{database}`")
                asyncio.run(_drop_redis_prefix(settings))
    for level, results in tables:
        print(f"\n{args.requests} requests per case over {level} keep-alive connections, "
              f"{os.cpu_count()} CPUs; one uvicorn process per service\n")
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
