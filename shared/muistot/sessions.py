"""The session store: opaque random tokens, only their SHA-256 kept in Redis.

Layout (all keys under the configured prefix):
- `sess:<sha256 hex of token>` → JSON payload, TTL = idle timeout, slid by GETEX on every use.
- `usess:<user id>` → hash of session id → token digest, the per-user index used to list,
  rewrite and revoke a user's sessions.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, fields, replace

from redis.asyncio import Redis

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    return bool(TOKEN_RE.fullmatch(token))


@dataclass(frozen=True)
class Session:
    id: str
    user_id: int
    username: str
    superuser: bool
    created: int
    expires: int
    client: str = ""
    # When the person last proved a secret (link, code, password). A session that replaces another (after a
    # rename, say) keeps it, so sensitive changes can ask for a recent sign-in. 0 for sessions stored before.
    signed_in: int = 0

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Session:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in json.loads(raw).items() if key in known})


@dataclass(frozen=True)
class SessionInfo:
    """A session as shown to its owner: never the token or its digest."""

    id: str
    created: int
    last_seen: int
    expires: int
    client: str


class SessionStore:
    def __init__(self, redis: Redis, prefix: str, idle_seconds: int, max_seconds: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.idle = idle_seconds
        self.max = max_seconds

    def _key(self, digest: str) -> str:
        return f"{self.prefix}sess:{digest}"

    def _index(self, user_id: int) -> str:
        return f"{self.prefix}usess:{user_id}"

    async def create(self, user_id: int, username: str, superuser: bool, client: str = "",
                     signed_in: int | None = None) -> tuple[str, Session]:
        """A new session; `signed_in` is the time of the sign-in it carries on (default: now, a fresh sign-in)."""
        token = secrets.token_urlsafe(32)
        now = int(time.time())
        session = Session(id=secrets.token_urlsafe(12), user_id=user_id, username=username, superuser=superuser,
                          created=now, expires=now + self.max, client=client[:200],
                          signed_in=now if signed_in is None else signed_in)
        digest = token_digest(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(digest), session.to_json(), ex=self.idle)
            pipe.hset(self._index(user_id), session.id, digest)
            pipe.expire(self._index(user_id), self.max)
            await pipe.execute()
        return token, session

    async def validate(self, token: str) -> Session | None:
        """Look the token up and slide its idle expiry: one round trip."""
        if not well_formed(token):
            return None
        raw = await self.redis.getex(self._key(token_digest(token)), ex=self.idle)
        if raw is None:
            return None
        session = Session.from_json(raw)
        if session.expires <= time.time():
            await self.revoke(token)
            return None
        return session

    async def revoke(self, token: str) -> None:
        digest = token_digest(token)
        raw = await self.redis.get(self._key(digest))
        await self.redis.delete(self._key(digest))
        if raw is not None:
            session = Session.from_json(raw)
            await self.redis.hdel(self._index(session.user_id), session.id)

    async def revoke_id(self, user_id: int, session_id: str) -> bool:
        digest = await self.redis.hget(self._index(user_id), session_id)
        if digest is None:
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(digest.decode()))
            pipe.hdel(self._index(user_id), session_id)
            results = await pipe.execute()
        return bool(results[0])

    async def revoke_all(self, user_id: int, except_id: str | None = None) -> int:
        index = await self.redis.hgetall(self._index(user_id))
        doomed = {sid.decode(): digest.decode() for sid, digest in index.items() if sid.decode() != except_id}
        if not doomed:
            return 0
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*(self._key(digest) for digest in doomed.values()))
            pipe.hdel(self._index(user_id), *doomed.keys())
            results = await pipe.execute()
        return int(results[0])

    async def _live(self, user_id: int) -> list[tuple[str, Session, int]]:
        """(digest, session, remaining ttl) of every live session; drops index entries that expired."""
        index = await self.redis.hgetall(self._index(user_id))
        if not index:
            return []
        entries = [(sid.decode(), digest.decode()) for sid, digest in index.items()]
        async with self.redis.pipeline(transaction=False) as pipe:
            for _, digest in entries:
                pipe.get(self._key(digest))
                pipe.ttl(self._key(digest))
            results = await pipe.execute()
        live, stale = [], []
        for i, (sid, digest) in enumerate(entries):
            raw, ttl = results[2 * i], results[2 * i + 1]
            if raw is None:
                stale.append(sid)
            else:
                live.append((digest, Session.from_json(raw), int(ttl)))
        if stale:
            await self.redis.hdel(self._index(user_id), *stale)
        return live

    async def list(self, user_id: int) -> list[SessionInfo]:
        now = int(time.time())
        infos = []
        for _, session, ttl in await self._live(user_id):
            # The key's TTL was reset to the idle timeout at the last use, so the last use is derived.
            last_seen = now - max(0, self.idle - ttl) if ttl >= 0 else session.created
            infos.append(SessionInfo(id=session.id, created=session.created, last_seen=max(last_seen, session.created),
                                     expires=min(session.expires, now + max(ttl, 0)), client=session.client))
        return sorted(infos, key=lambda info: info.created)

    async def update_user(self, user_id: int, *, username: str | None = None, superuser: bool | None = None) -> int:
        """Rewrite every live session of a user (new username or superuser flag), keeping expiries."""
        live = await self._live(user_id)
        if not live:
            return 0
        async with self.redis.pipeline(transaction=True) as pipe:
            for digest, session, _ in live:
                changed = replace(session,
                                  username=session.username if username is None else username,
                                  superuser=session.superuser if superuser is None else superuser)
                pipe.set(self._key(digest), changed.to_json(), keepttl=True, xx=True)
            await pipe.execute()
        return len(live)
