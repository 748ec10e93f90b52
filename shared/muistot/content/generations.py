"""Per-project generation counters that key the anonymous response cache.

A project's counter is named after the project's id as it appears in URLs, folded (`muistot.text.fold`),
so a reader finds it from the request path alone, without a database lookup. Every write bumps the
counters of the projects it changed, through the write path (`muistot.write`, docs/write-path.md); a
cached response remembers the counter it was built under, so a bump makes every older entry stale at once.
Listing projects depends on all of them, so it has its own counter (`ALL_PROJECTS`), bumped by any change
a project list shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from redis.exceptions import RedisError

from muistot.redis import RedisClients
from muistot.text import fold

log = logging.getLogger("muistot.cache")
ALL_PROJECTS = "all-projects"


def scope_of(project: str | None) -> str:
    """The counter a project's reads depend on (the project list's when `project` is None)."""
    return ALL_PROJECTS if project is None else "p:" + fold(project)


def key(redis: RedisClients, scope: str) -> str:
    return redis.key("gen", scope)


def scopes_of(projects: Iterable[str], *, projects_list: bool) -> list[str]:
    """The counters a change of these projects (and, with `projects_list`, of the project list) affects."""
    return sorted({scope_of(project) for project in projects}) + ([ALL_PROJECTS] if projects_list else [])


async def advance(redis: RedisClients, scopes: Sequence[str]) -> None:
    """Bump these counters; raises the Redis error when the cache refuses (the write path decides what then)."""
    if not scopes:
        return
    async with redis.cache.pipeline(transaction=False) as pipe:
        for scope in scopes:
            pipe.incr(key(redis, scope))
        await pipe.execute()


async def bump(redis: RedisClients, *projects: str, projects_list: bool = True) -> None:
    """Best effort, for tooling that changes content outside any request (the seed); services write through
    `muistot.write`, which calls `advance` (docs/write-path.md)."""
    try:
        await advance(redis, scopes_of(projects, projects_list=projects_list))
    except RedisError as exc:
        log.warning("cache generation bump failed: %s", exc)


async def current(redis: RedisClients, project: str | None) -> str | None:
    """The counter's value for a project's reads; None means Redis is unavailable."""
    try:
        value = await redis.cache.get(key(redis, scope_of(project)))
    except RedisError:
        return None
    return (value or b"0").decode()
