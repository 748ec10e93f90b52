"""Per-project generation counters that key the anonymous response cache.

Every writer (data or admin) bumps the project's counter after its commit; cached responses are
keyed by the counter's value, so a bump makes every older entry unreachable at once. Listing
projects depends on all of them, so it has its own counter, bumped by any project change.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from muistot.redis import RedisClients

log = logging.getLogger("muistot.cache")
PROJECTS = "all-projects"


def _key(redis: RedisClients, scope: str | int) -> str:
    return redis.key("gen", scope)


async def bump(redis: RedisClients, project_id: int | None, *, projects_list: bool = True) -> None:
    """Invalidate the cached reads of a project (and of the project list). Never fails the write."""
    try:
        async with redis.cache.pipeline(transaction=False) as pipe:
            if project_id is not None:
                pipe.incr(_key(redis, project_id))
            if projects_list:
                pipe.incr(_key(redis, PROJECTS))
            await pipe.execute()
    except RedisError as exc:
        # The write is committed; a cache that cannot be invalidated must not serve: readers
        # treat an unreadable generation as "do not cache" (see current()).
        log.warning("cache generation bump failed: %s", exc)


async def current(redis: RedisClients, project_id: int | None) -> str | None:
    """The cache-key component for a project's reads; None means Redis is unavailable (read uncached)."""
    try:
        scope: str | int = PROJECTS if project_id is None else project_id
        value = await redis.cache.get(_key(redis, scope))
    except RedisError:
        return None
    return (value or b"0").decode()
