"""`muistot deploy wait-schema` and `muistot deploy ping`: the checks the containers run.

`wait-schema` waits until the database is at the Alembic head of this image (the Kubernetes init
containers run it while another pod migrates); `ping` exits 0 when MariaDB and Redis answer (the worker
container's health check).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any


async def schema_state(settings: Any) -> tuple[set[str], set[str]]:
    """(the database's current revisions, this image's heads)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from muistot.db.engine import create_engine
    from muistot.migrate import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config(settings)).get_heads())
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(lambda sync: set(MigrationContext.configure(sync).get_current_heads()))
    finally:
        await engine.dispose()
    return current, heads


def cmd_wait_schema(args: argparse.Namespace) -> int:
    from muistot.commands import load_settings

    settings = load_settings()
    deadline = time.monotonic() + args.timeout
    last = ""
    while True:
        try:
            current, heads = asyncio.run(schema_state(settings))
            if current == heads:
                print(f"muistot: database schema at {', '.join(sorted(heads))}")
                return 0
            state = f"database at {', '.join(sorted(current)) or 'no revision'}, waiting for {', '.join(sorted(heads))}"
        except Exception as exc:  # an unreachable database is one more reason to wait
            state = f"database unreachable: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
        if state != last:
            print(f"muistot: {state}", file=sys.stderr)
            last = state
        if time.monotonic() >= deadline:
            print(f"muistot: gave up after {args.timeout:g} s: {state}", file=sys.stderr)
            return 1
        time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))


def cmd_ping(args: argparse.Namespace) -> int:
    from muistot.commands import load_settings
    from muistot.startup import check_database, check_redis

    settings = load_settings()
    asyncio.run(check_database(settings))
    asyncio.run(check_redis(settings))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("deploy", help="the checks containers run (schema at head, servers up)")
    sub = parser.add_subparsers(dest="deploy_command", required=True)

    wait = sub.add_parser("wait-schema", help="wait until the database is at this image's migration head")
    wait.add_argument("--timeout", type=float, default=300, help="seconds to wait before failing")
    wait.set_defaults(func=cmd_wait_schema)

    ping = sub.add_parser("ping", help="exit 0 when the database and Redis answer")
    ping.set_defaults(func=cmd_ping)
