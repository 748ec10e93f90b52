"""Response cache for the reads many people share, in the Redis cache database.

An entry is keyed by path + sorted query + negotiated language, and holds the body together with the
generation counter of its project (`muistot.content.generations`) at the time the read began. Both the
key and the counter's name come from the request alone, so a hit costs one Redis round trip (`MGET`
of the counter and the entry) and no database connection: `ReadCache` answers it in front of
the application. On a miss the application builds the body and stores it under the counter value read
before any of its database reads, so an entry built while a write committed is already stale.

Anonymous callers (no `Authorization`, no identity header) all see the same view. So do signed-in
people without a role or content in the project (`muistot.content.access.Viewer.shares_view`): their
view, with `own: false` on every entry, is cached beside the anonymous one; a hit costs that round trip
and one indexed statement that checks the caller is still such a person. Everyone else sees their own
unpublished items and `own` flags and is never served from the cache. Every Redis failure degrades to an uncached read.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.types import ASGIApp, Receive, Scope, Send

from muistot import identity
from muistot.asgi import send_response
from muistot.content import generations
from muistot.content.access import shares_view_in
from muistot.content.language import read_language
from muistot.metrics import CACHE_LOOKUPS
from muistot.redis import RedisClients
from muistot.roles import standing

log = logging.getLogger("muistot.cache")

SLOT = "muistot.cache"  # the scope key under which a miss hands its entry to the application
CACHED_PREFIX = "/projects"
ANONYMOUS, SIGNED_IN = "anonymous", "signed-in"  # whose view an entry holds
IDENTITY = identity.IDENTITY_HEADER.lower().encode()
HITS, MISSES = CACHE_LOOKUPS.labels("hit"), CACHE_LOOKUPS.labels("miss")


@dataclass(frozen=True)
class Slot:
    """Where the application stores the body of a missed read, and the counter value to store it under."""

    key: str
    generation: bytes


@dataclass(frozen=True)
class Hit:
    media_type: bytes
    body: bytes | memoryview


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

    def entry_key(self, path: str, query: str, language: str | None, audience: str) -> str:
        query = "&".join(sorted(query.split("&"))) if query else ""
        digest = hashlib.sha256(f"{path}?{query}#{language or '-'}#{audience}".encode()).hexdigest()[:32]
        return self.redis.key("resp", digest)

    async def lookup(self, scope: Scope, audience: str = ANONYMOUS) -> Hit | Slot | None:
        """A hit, the slot a miss fills, or None when the request must not be cached (disabled, Redis down)."""
        if self.ttl <= 0:
            return None
        headers: dict[bytes, bytes] = dict(scope["headers"])
        path: str = scope["path"]
        language = read_language(headers.get(b"muistot-language"), headers.get(b"accept-language"), self.languages)
        key = self.entry_key(path, scope["query_string"].decode("latin-1"), language, audience)
        counter = generations.key(self.redis, generations.scope_of(project_in(path)))
        try:
            generation, entry = await self.redis.cache.mget(counter, key)
        except RedisError as exc:
            log.warning("response cache unavailable: %s", type(exc).__name__)
            return None
        generation = generation or b"0"
        if entry is not None:
            first = entry.find(b"\n")
            if entry[:first] == generation:
                second = entry.find(b"\n", first + 1)
                # A view of the body, not a copy: a site list can be most of a megabyte.
                return Hit(entry[first + 1:second], memoryview(entry)[second + 1:])
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


class ReadCache:
    """Pure ASGI: answers cached GETs under `/projects` before the application runs.

    An anonymous hit costs one Redis round trip. A signed-in caller (the gateway's identity header) is served
    the shared signed-in view when the entry is fresh and one indexed statement confirms that they have no role
    and no content in the project. Everything else, and every miss, goes on to the application. The cache is
    taken from `state.response_cache` on each request, so tests can swap it.
    """

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(CACHED_PREFIX):
            await self.app(scope, receive, send)
            return
        signed = authorization = None
        for name, value in scope["headers"]:
            if name == IDENTITY:
                signed = value
            elif name == b"authorization":
                authorization = value
        if signed is not None:
            served = await self._serve_signed_in(scope, send, signed.decode("latin-1"))
        elif authorization is None:
            served = await self._serve_anonymous(scope, send)
        else:
            served = False  # a bearer token sent straight to the service: the application checks it
        if not served:
            await self.app(scope, receive, send)

    async def _serve_anonymous(self, scope: Scope, send: Send) -> bool:
        found = await self.state.response_cache.lookup(scope)
        if isinstance(found, Hit):
            await self._send_hit(scope, send, found)
            return True
        if found is not None:
            MISSES.inc()
            scope[SLOT] = found
        return False

    async def _serve_signed_in(self, scope: Scope, send: Send, signed: str) -> bool:
        try:
            user = identity.read(signed, self.state.settings.identity_secret)
        except identity.InvalidIdentity:
            return False  # the application answers the 401
        found = await self.state.response_cache.lookup(scope, SIGNED_IN)
        if isinstance(found, Hit) and await self._shares_view(user, project_in(scope["path"])):
            await self._send_hit(scope, send, found)
            return True
        return False

    async def _shares_view(self, user: identity.Principal, project: str | None) -> bool:
        try:
            async with self.state.db.connect() as conn:
                if project is None:
                    return not (await standing(conn, user)).privileged
                return bool(await shares_view_in(conn, user, project))
        except (DBAPIError, SQLAlchemyTimeoutError, OSError):
            return False  # the application answers the 503

    @staticmethod
    async def _send_hit(scope: Scope, send: Send, found: Hit) -> None:
        HITS.inc()
        scope["route"] = _Route(route_template(scope["path"]))
        await send_response(send, 200, found.body, [(b"content-type", found.media_type)])
