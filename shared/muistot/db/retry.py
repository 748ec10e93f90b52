"""Retry a write whose transaction MariaDB picked as a deadlock victim.

Concurrent inserts of the same unique key (two people creating site `old-mill` at once, or the same
translation row) can deadlock in InnoDB; the database then rolls one transaction back with error
1213 and asks for it to be run again. The whole endpoint is re-run: its transaction was rolled back
and its uploaded files deleted, so nothing of the failed attempt remains. The retry sees the
winner's commit and answers as if it had come second (409 "Site exists", say).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from muistot.errors import ApiError

log = logging.getLogger("muistot.db")

MYSQL_DEADLOCK = 1213
ATTEMPTS = 5

P = ParamSpec("P")
R = TypeVar("R")


def is_deadlock(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    args = getattr(orig, "args", ())
    return isinstance(exc, DBAPIError) and bool(args) and args[0] == MYSQL_DEADLOCK


def retry_deadlocks(endpoint: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run `endpoint` again when its transaction deadlocked; 503 if it keeps losing."""

    @functools.wraps(endpoint)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await endpoint(*args, **kwargs)
            except DBAPIError as exc:
                if not is_deadlock(exc):
                    raise
                log.info("deadlock in %s, attempt %d", endpoint.__name__, attempt)
            # Jitter, so the transactions that collided do not collide again in step.
            await asyncio.sleep(random.uniform(0.005, 0.02) * attempt)
        raise ApiError(503, "Database busy", headers={"Retry-After": "1"})

    return run
