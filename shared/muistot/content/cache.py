"""Response cache for the reads many people share, in the Redis cache database.

An entry is keyed by path + sorted query + negotiated language, and holds the body and its headers
(`Content-Type`, `Content-Language`, `Vary`: a hit answers exactly as the miss did) together with the
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
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.types import ASGIApp, Receive, Scope, Send

from muistot import identity
from muistot.asgi import send_response
from muistot.content import access, generations
from muistot.content.language import read_language
from muistot.errors import ApiError
from muistot.metrics import CACHE_LOOKUPS
from muistot.redis import RedisClients
from muistot.roles import standing

log = logging.getLogger("muistot.cache")

SLOT = "muistot.cache"  # the scope key under which a miss hands its entry to the application
CACHED_PREFIX = "/projects"
ANONYMOUS, SIGNED_IN = "anonymous", "signed-in"  # whose view an entry holds
ENTRY_FORMAT = "3"  # in the key: instances of another version of the service never read these entries
IDENTITY = identity.IDENTITY_HEADER.lower().encode()
HITS, MISSES = CACHE_LOOKUPS.labels("hit"), CACHE_LOOKUPS.labels("miss")


@dataclass(frozen=True)
class Slot:
    """Where the application stores the body of a missed read, and the counter value to store it under."""

    key: str
    generation: bytes


Headers = tuple[tuple[bytes, bytes], ...]  # lowercase names, as ASGI sends them


@dataclass(frozen=True)
class Hit:
    headers: Headers
    body: bytes | memoryview


def encode_headers(headers: Headers) -> bytes:
    """One line of `name:value` pairs separated by tabs; none of the values a read answers holds either."""
    return b"\t".join(b"%s:%s" % pair for pair in headers)


def decode_headers(line: bytes) -> Headers:
    return tuple((name, value) for name, _, value in (pair.partition(b":") for pair in line.split(b"\t")))


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


@dataclass(frozen=True)
class _Copy:
    generation: bytes
    hit: Hit
    expires: float  # when the Redis entry it copies expires


class LocalCopies:
    """In-process copies of large entries, so that a hit on a site list of most of a megabyte asks Redis for the
    counter only, not for the body again. A copy is as fresh as the counter says and lives no longer than the
    entry it copies; their total size is bounded."""

    MIN_BYTES = 64 * 1024
    MAX_BYTES = 8 * 1024 * 1024

    def __init__(self) -> None:
        self._copies: OrderedDict[str, _Copy] = OrderedDict()
        self._size = 0

    def get(self, key: str) -> _Copy | None:
        copy = self._copies.get(key)
        if copy is not None and copy.expires <= time.time():
            self.drop(key)
            return None
        return copy

    def keep(self, key: str, generation: bytes, hit: Hit, expires: float) -> None:
        size = len(hit.body)
        if size < self.MIN_BYTES or size > self.MAX_BYTES:
            return
        self.drop(key)
        while self._size + size > self.MAX_BYTES:
            _, oldest = self._copies.popitem(last=False)
            self._size -= len(oldest.hit.body)
        self._copies[key] = _Copy(generation, hit, expires)
        self._size += size

    def drop(self, key: str) -> None:
        copy = self._copies.pop(key, None)
        if copy is not None:
            self._size -= len(copy.hit.body)


class ResponseCache:
    """Entries are `generation\nexpiry\nheaders\nbody` (the expiry in Unix seconds, for `LocalCopies`; the headers
    as `encode_headers` writes them)."""

    def __init__(self, redis: RedisClients, ttl: int, languages: tuple[str, ...]) -> None:
        self.redis = redis
        self.ttl = ttl
        self.languages = languages
        self.copies = LocalCopies()

    def entry_key(self, path: str, query: str, language: str | None, audience: str) -> str:
        query = "&".join(sorted(query.split("&"))) if query else ""
        digest = hashlib.sha256(f"{path}?{query}#{language or '-'}#{audience}".encode()).hexdigest()[:32]
        return self.redis.key("resp", ENTRY_FORMAT, digest)

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
            copy = self.copies.get(key)
            if copy is not None:
                if (await self.redis.cache.get(counter) or b"0") == copy.generation:
                    return copy.hit
                self.copies.drop(key)
            generation, entry = await self.redis.cache.mget(counter, key)
        except RedisError as exc:
            log.warning("response cache unavailable: %s", type(exc).__name__)
            return None
        generation = generation or b"0"
        if entry is not None:
            first = entry.find(b"\n")
            second = entry.find(b"\n", first + 1)
            third = entry.find(b"\n", second + 1)
            if third > 0 and entry[:first] == generation:
                # A view of the body, not a copy: a site list can be most of a megabyte.
                hit = Hit(decode_headers(entry[second + 1:third]), memoryview(entry)[third + 1:])
                self.copies.keep(key, generation, hit, float(entry[first + 1:second]))
                return hit
        return Slot(key, generation)

    async def store(self, slot: Slot, headers: Headers, body: bytes) -> None:
        expires = int(time.time()) + self.ttl
        try:
            await self.redis.cache.set(slot.key, b"%s\n%d\n%s\n%s" % (slot.generation, expires,
                                                                      encode_headers(headers), body), ex=self.ttl)
        except RedisError as exc:
            log.warning("response cache unavailable: %s", type(exc).__name__)
            return
        self.copies.keep(slot.key, slot.generation, Hit(headers, body), expires)


@dataclass(frozen=True)
class _Route:
    """Stands in for the router's match in `scope["route"]`, so metrics label a hit by its route."""

    path: str


@dataclass(frozen=True)
class ReadTarget:
    """What a cached GET under `/projects` reads, from its path alone."""

    audience: str  # whose cached view a signed-in caller may be served
    project: str | None = None
    site: str | None = None
    memory: int | None = None
    comment: int | None = None
    scope: access.Scope | None = None  # what of the caller's own it can show; None: nothing of anyone's


def read_target(path: str) -> ReadTarget | None:
    """The target of `/projects`, `/projects/{p}`, `…/sites`, `…/sites/{s}`, `…/memories[/{m}]`,
    `…/comments[/{c}]`; None for any other shape (the application answers those)."""
    parts = [unquote(part) for part in path.split("/")[2:]]
    if not parts:
        return ReadTarget(ANONYMOUS)  # the project list: public projects, for whoever has no privileges
    if not all(parts) or len(parts) > 7:
        return None
    keys = parts[0::2]
    names = parts[1::2]
    if names != ["sites", "memories", "comments"][:len(names)] and names[:1] != ["sites.geojson"]:
        return None
    if len(parts) == 1:
        return ReadTarget(ANONYMOUS, keys[0])  # a project's body is the same for everyone who may read it
    if names[0] == "sites.geojson" and len(parts) > 2:
        return None
    try:
        memory = int(keys[2]) if len(keys) > 2 else None
        comment = int(keys[3]) if len(keys) > 3 else None
    except ValueError:
        return None
    depth = len(parts)  # 2 the site list, 3 a site, 4 its memories, 5 a memory, 6 its comments, 7 a comment
    scope = {2: access.Scope.project_sites, 3: access.Scope.site, 4: access.Scope.site, 5: access.Scope.memory,
             6: access.Scope.memory, 7: access.Scope.comment}[depth]
    return ReadTarget(SIGNED_IN, keys[0], keys[1] if len(keys) > 1 else None, memory, comment, scope)


def shared_audience(chain: access.Chain) -> str | None:
    """The audience whose cached view a signed-in caller of a loaded chain may be served, if any."""
    return SIGNED_IN if chain.shares_view else None


class ReadCache:
    """Pure ASGI: answers cached GETs under `/projects` before the application runs.

    An anonymous hit costs one Redis round trip. A signed-in caller (the gateway's identity header) is served a
    shared view when its entry is fresh and, unless the body is the same for everyone (a project), one indexed
    statement confirms the caller sees exactly it: no privileges, nothing of their own in what the read shows.
    Everything else, and every miss, goes on to the application. The cache is taken from
    `state.response_cache` on each request, so tests can swap it.
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
        target = read_target(scope["path"])
        if target is None:
            return False
        try:
            user = identity.read(signed, self.state.settings.identity_secret)
        except identity.InvalidIdentity:
            return False  # the application answers the 401
        found = await self.state.response_cache.lookup(scope, target.audience)
        if not isinstance(found, Hit):
            return False
        # A project's anonymous entry exists only while the project is public, and its body is everyone's.
        everyones = target.project is not None and target.scope is None
        if not everyones and not await self._sees_shared_view(user, target):
            return False
        await self._send_hit(scope, send, found)
        return True

    async def _sees_shared_view(self, user: identity.Principal, target: ReadTarget) -> bool:
        try:
            async with self.state.db.connect() as conn:
                if target.project is None:
                    return not (await standing(conn, user)).privileged
                chain = await access.load_chain(conn, user, target.project, target.site, target.memory,
                                                target.comment, reading=target.scope)
                return chain.shares_view
        except ApiError:
            return False  # a link is missing: the application answers the 404
        except (DBAPIError, SQLAlchemyTimeoutError, OSError):
            return False  # the application answers the 503

    @staticmethod
    async def _send_hit(scope: Scope, send: Send, found: Hit) -> None:
        HITS.inc()
        scope["route"] = _Route(route_template(scope["path"]))
        await send_response(send, 200, found.body, found.headers)
