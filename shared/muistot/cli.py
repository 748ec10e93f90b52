"""The `muistot` command line of a service image: migrate, serve, worker, session, superuser, backup, deploy.

The developer's commands (run, seed, bench, openapi, mail, gateway render) are `muistot-dev`, of the tooling
package, which builds on this parser."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from muistot.commands import Register, fail, load_settings
from muistot.settings import SERVICES, ConfigError, Settings


def cmd_migrate(args: argparse.Namespace) -> int:
    from muistot import migrate
    from muistot.startup import check_database

    settings = load_settings()
    asyncio.run(check_database(settings, wait=args.wait))
    migrate.upgrade(settings, args.revision)
    print(f"muistot: database at revision {args.revision}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from muistot.logs import configure_logging
    from muistot.malloc import release_large_blocks
    from muistot.startup import check_database, check_redis

    release_large_blocks()
    settings = load_settings()
    asyncio.run(check_database(settings, wait=args.wait, migrated=True))
    asyncio.run(check_redis(settings, wait=args.wait))
    configure_logging(settings.log_level, settings.log_json)
    module = importlib.import_module(f"muistot_{args.service}.app")
    uvicorn.run(module.create_app, factory=True, host=args.host, port=args.port or settings.port_of(args.service),
                **uvicorn_options(settings))
    return 0


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How every service is served; `make bench` serves its reference apps the same way, for a fair line.

    The HTTP protocol is ours: bounded request heads, and its own errors in the JSON envelope."""
    from muistot.http_protocol import protocol_class

    return {"http": protocol_class(settings), "access_log": False, "log_config": None, "proxy_headers": True,
            "forwarded_allow_ips": settings.trusted_proxies, "server_header": False}


def cmd_worker(args: argparse.Namespace) -> int:
    from muistot import worker
    from muistot.malloc import release_large_blocks

    release_large_blocks()
    settings = load_settings()
    return asyncio.run(worker.run(settings, once=args.once))


def cmd_session(args: argparse.Namespace) -> int:
    from muistot.accounts import create_session_for_email

    settings = load_settings()
    token = asyncio.run(create_session_for_email(settings, args.email))
    print(token)
    return 0


def build_parser(prog: str = "muistot", description: str | None = __doc__,
                 extensions: Sequence[Register] = ()) -> argparse.ArgumentParser:
    """The runtime commands, then those of `extensions` (each `register(subparsers)`)."""
    from muistot import backup, cli_superuser, container_checks

    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument("--wait", type=float, default=0, help="seconds to wait for the database to come up")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("serve", help="serve one service with uvicorn")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--wait", type=float, default=0, help="seconds to wait for the database and Redis")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run background jobs (mail delivery, clean-ups, auto-hide)")
    p.add_argument("--once", action="store_true", help="run every job once and exit")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("session", help="sessions for development")
    session_sub = p.add_subparsers(dest="action", required=True)
    create = session_sub.add_parser("create", help="print a bearer token for EMAIL (creating the user)")
    create.add_argument("email")
    create.set_defaults(func=cmd_session)

    for register in (cli_superuser.register, backup.register, container_checks.register, *extensions):
        register(sub)
    return parser


def main(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = (parser or build_parser()).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
