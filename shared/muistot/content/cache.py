"""Response cache for anonymous reads, in the Redis cache database.

Keys are path + sorted query + negotiated language + the project's generation counter
(`muistot.content.generations`), so any committed write makes older entries unreachable at once.
Only anonymous callers are served from it: signed-in people see their own unpublished items and
`own` flags. Every Redis failure degrades to an uncached read.
"""

from __future__ import annotations

import hashlib
import logging

from fastapi import Request
from redis.exceptions import RedisError

from muistot.content import generations
from muistot.redis import RedisClients

log = logging.getLogger("muistot.cache")


class ResponseCache:
    def __init__(self, redis: RedisClients, ttl: int) -> None:
        self.redis = redis
        self.ttl = ttl

    async def key_for(self, request: Request, project_id: int | None, language: str | None) -> str | None:
        """The entry for this request, or None when it must not be cached (disabled, Redis down)."""
        if self.ttl <= 0:
            return None
        generation = await generations.current(self.redis, project_id)
        if generation is None:
            return None
        query = "&".join(sorted(request.url.query.split("&"))) if request.url.query else ""
        digest = hashlib.sha256(f"{request.url.path}?{query}#{language or '-'}".encode()).hexdigest()[:32]
        scope = "all" if project_id is None else project_id
        return self.redis.key("resp", scope, generation, digest)

    async def get(self, key: str | None) -> bytes | None:
        if key is None:
            return None
        try:
            return await self.redis.cache.get(key)
        except RedisError as exc:
            log.warning("response cache unavailable: %s", type(exc).__name__)
            return None

    async def put(self, key: str | None, body: bytes) -> None:
        if key is None:
            return
        try:
            await self.redis.cache.set(key, body, ex=self.ttl)
        except RedisError as exc:
            log.warning("response cache unavailable: %s", type(exc).__name__)
