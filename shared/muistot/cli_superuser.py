"""`muistot superuser grant|revoke EMAIL`: manage superusers from the command line.

Granting creates a verified account for an unknown address. Either way the user's live sessions are
rewritten at once, so the change holds from the next request on (privileges are never frozen).
"""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy import delete

from muistot.accounts import create_user, user_by_email
from muistot.db.engine import Database, create_engine, utcnow
from muistot.db.tables import superusers
from muistot.redis import RedisClients
from muistot.roles import is_superuser
from muistot.sessions import SessionStore
from muistot.settings import Settings
from muistot.validation import valid_email


class SuperuserError(Exception):
    pass


async def set_superuser(settings: Settings, email: str, grant: bool) -> str:
    """Grant or revoke; returns a one-line report. Raises SuperuserError for an unknown address on revoke."""
    db = Database(create_engine(settings))
    redis = RedisClients.from_settings(settings)
    try:
        async with db.connect() as conn:
            row = await user_by_email(conn, email)
        if row is None:
            if not grant:
                raise SuperuserError(f"no user with the e-mail address {email}")
            user_id = await create_user(db, email, verified=True)
            async with db.connect() as conn:
                row = await user_by_email(conn, email)
        user_id = int(row["id"]) if row is not None else user_id
        async with db.transaction() as conn:
            present = await is_superuser(conn, user_id)
            if grant and not present:
                await conn.execute(superusers.insert().values(user_id=user_id, created_at=utcnow()))
            elif not grant and present:
                await conn.execute(delete(superusers).where(superusers.c.user_id == user_id))
        sessions = SessionStore(redis.sessions, settings.redis_prefix, settings.session_idle_seconds,
                                settings.session_max_seconds)
        rewritten = await sessions.update_user(user_id, superuser=grant)
        username = row["username"] if row is not None else user_id
        state = "is now a superuser" if grant else "is no longer a superuser"
        return f"{username} <{email}> {state} ({rewritten} live session(s) updated)"
    finally:
        await db.dispose()
        await redis.close()


def _run(args: argparse.Namespace) -> int:
    from muistot.commands import fail, load_settings

    try:
        email = valid_email(args.email)
    except ValueError:
        return fail(f"not a valid e-mail address: {args.email}")
    settings = load_settings()
    try:
        print(asyncio.run(set_superuser(settings, email, grant=args.action == "grant")))
    except SuperuserError as exc:
        return fail(str(exc))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("superuser", help="grant or revoke superuser rights")
    actions = parser.add_subparsers(dest="action", required=True)
    for action, text in (("grant", "make EMAIL a superuser (creating a verified account if needed)"),
                         ("revoke", "take superuser rights from EMAIL")):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("email")
        sub.set_defaults(func=_run)
