"""Response cache for anonymous reads, in the Redis cache database.

An entry is keyed by path + sorted query + negotiated language, and holds the body together with the
generation counter of its project (`muistot.content.generations`) at the time the read began. Both the
key and the counter's name come from the request alone, so a hit costs one Redis round trip (`MGET`
of the counter and the entry) and no database connection: `AnonymousReadCache` answers it in front of
the application. On a miss the application builds the body and stores it under the counter value read
before any of its database reads, so an entry built while a write committed is already stale.

Only anonymous callers (no `Authorization`, no identity header) are served from it: signed-in people
see their own unpublished items and `own` flags. Every Redis failure degrades to an uncached read.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from muistot.content import generations
from muistot.content.language import read_language
from muistot.metrics import CACHE_LOOKUPS
from muistot.redis import RedisClients

log = logging.getLogger("muistot.cache")

SLOT = "muistot.cache"  # the scope key under which a miss hands its entry to the application
CACHED_PREFIX = "/projects"
_PERSONAL_HEADERS = frozenset((b"authorization", b"x-muistot-identity"))


@dataclass(frozen=True)
class Slot:
    """Where the application stores the body of a missed read, and the counter value to store it under."""

    key: str
    generation: bytes


@dataclass(frozen=True)
class Hit:
    media_type: bytes
    body: bytes


def project_in(path: str) -> str | None:
    """The project id of `/projects/{project}/...`, None for the project list itself."""
    parts = path.split("/", 3)
    return unquote(parts[2]) if len(parts) > 2 and parts[2] else None


def route_template(path: str) -> str:
    """`/projects/{project}/sites/{site}` for `/projects/p/sites/s`: the metrics label of a cache hit."""
    parts = path.split("/")
    names = {2: "{project}", 4: "{site}", 6: "{memory}", 8: "{comment}"}
    return "/".join(names.get(index, part) if part and part != "sites.geojson" else part
                    for index, part in enumerate(parts))


class ResponseCache:
    def __init__(self, redis: RedisClients, ttl: int, languages: tuple[str, ...]) -> None:
        self.redis = redis
        self.ttl = ttl
        self.languages = languages

    def entry_key(self, path: str, query: str, language: str | None) -> str:
        query = "&".join(sorted(query.split("&"))) if query else ""
        digest = hashlib.sha256(f"{path}?{query}#{language or '-'}".encode()).hexdigest()[:32]
        return self.redis.key("resp", digest)

    async def lookup(self, scope: Scope) -> Hit | Slot | None:
        """A hit, the slot a miss fills, or None when the request must not be cached (disabled, Redis down)."""
        if self.ttl <= 0:
            return None
        headers: dict[bytes, bytes] = dict(scope["headers"])
        path: str = scope["path"]
        language = read_language(headers.get(b"muistot-language"), headers.get(b"accept-language"), self.languages)
        key = self.entry_key(path, scope["query_string"].decode("latin-1"), language)
        counter = generations.key(self.redis, generations.scope_of(project_in(path)))
        try:
            generation, entry = await self.redis.cache.mget(counter, key)
        except RedisError as exc:
            log.warning("response cache unavailable: %s", type(exc).__name__)
            return None
        generation = generation or b"0"
        if entry is not None:
            stored, _, rest = entry.partition(b"\n")
            if stored == generation:
                media_type, _, body = rest.partition(b"\n")
                return Hit(media_type, body)
        return Slot(key, generation)

    async def store(self, slot: Slot, media_type: str, body: bytes) -> None:
        try:
            await self.redis.cache.set(slot.key, b"%s\n%s\n%s" % (slot.generation, media_type.encode(), body),
                                       ex=self.ttl)
        except RedisError as exc:
            log.warning("response cache unavailable: %s", type(exc).__name__)


@dataclass(frozen=True)
class _Route:
    """Stands in for the router's match in `scope["route"]`, so metrics label a hit by its route."""

    path: str


class AnonymousReadCache:
    """Pure ASGI: answers anonymous GETs under `/projects` from the cache before the application runs.

    The cache is taken from `state.response_cache` on each request, so tests can swap it.
    """

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(CACHED_PREFIX)
                or any(name in _PERSONAL_HEADERS for name, _ in scope["headers"])):
            await self.app(scope, receive, send)
            return
        found = await self.state.response_cache.lookup(scope)
        if isinstance(found, Hit):
            CACHE_LOOKUPS.labels("hit").inc()
            scope["route"] = _Route(route_template(scope["path"]))
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", found.media_type),
                                    (b"content-length", str(len(found.body)).encode())]})
            await send({"type": "http.response.body", "body": found.body})
            return
        if found is not None:
            CACHE_LOOKUPS.labels("miss").inc()
            scope[SLOT] = found
        await self.app(scope, receive, send)
