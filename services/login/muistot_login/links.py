"""E-mail login links: one-time tokens kept only as SHA-256 digests in the cache Redis.

One outstanding link per account (a new one replaces the old), valid 10 minutes, single use. Wrong
guesses are counted against the guessing client (`muistot_login.limits`), not against the link, so
nobody can burn someone else's link. The stored record also carries its expiry, checked besides the
key's TTL.

Unknown addresses get no row until their first link is exchanged: `/auth/email` picks a free
generated username and reserves it here together with the address, the link carries that name as
`user`, and the exchange creates the account under it (a second request for the same address
reuses the reservation). Keys:
- `login:link:u:<user id>`: a link of an existing account;
- `login:link:p:<sha256 of the folded name>`: a pending signup (also the name's reservation);
- `login:pending:<sha256 of the folded address>` → the name reserved for that address.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from redis.exceptions import WatchError

from muistot.passwords import same_secret
from muistot.redis import RedisClients
from muistot.text import fold

LINK_SECONDS = 600
TOKEN_BYTES = 150  # 200 URL-safe characters, as in the original


def _h(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Link:
    key: str
    user_id: int | None  # None: a pending signup, the account is created at exchange
    username: str
    email: str
    digest: str
    expires: float

    def matches(self, token: str) -> bool:
        return same_secret(self.digest, digest(token))

    def expired(self) -> bool:
        return time.time() >= self.expires


def account_key(redis: RedisClients, user_id: int) -> str:
    return redis.key("login", "link", "u", user_id)


def pending_key(redis: RedisClients, username: str) -> str:
    return redis.key("login", "link", "p", _h(fold(username)))


def _reservation_key(redis: RedisClients, email: str) -> str:
    return redis.key("login", "pending", _h(fold(email)))


async def issue(redis: RedisClients, key: str, *, user_id: int | None, username: str, email: str,
                reserve_for: str | None = None) -> tuple[str, float]:
    """Store a new link under `key` (replacing an older one); returns the plain token and its expiry."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = time.time() + LINK_SECONDS
    record = {"user_id": user_id, "username": username, "email": email, "digest": digest(token), "expires": expires}
    async with redis.cache.pipeline(transaction=True) as pipe:
        pipe.set(key, json.dumps(record), ex=LINK_SECONDS)
        if reserve_for is not None:
            pipe.set(_reservation_key(redis, reserve_for), username, ex=LINK_SECONDS)
        await pipe.execute()
    return token, expires


def _parse(key: str, raw: bytes | None) -> Link | None:
    if raw is None:
        return None
    record = json.loads(raw)
    return Link(key=key, **{name: record[name] for name in ("user_id", "username", "email", "digest", "expires")})


async def load(redis: RedisClients, key: str) -> Link | None:
    link = _parse(key, await redis.cache.get(key))
    return None if link is None or link.expired() else link


async def reserved_name(redis: RedisClients, email: str) -> str | None:
    """The name already reserved for a pending signup of this address, if its link is still alive."""
    raw = await redis.cache.get(_reservation_key(redis, email))
    if raw is None:
        return None
    name = raw.decode()
    link = await load(redis, pending_key(redis, name))
    return name if link is not None and fold(link.email) == fold(email) else None


async def name_reserved(redis: RedisClients, username: str) -> bool:
    return bool(await redis.cache.exists(pending_key(redis, username)))


async def consume(redis: RedisClients, link: Link) -> bool:
    """Delete the link if it is still the one that was checked; False if it was used or replaced meanwhile."""
    async with redis.cache.pipeline(transaction=True) as pipe:
        await pipe.watch(link.key)
        current = _parse(link.key, await pipe.get(link.key))
        if current is None or not same_secret(current.digest, link.digest):
            await pipe.unwatch()
            return False
        pipe.multi()
        pipe.delete(link.key)
        if link.user_id is None:
            pipe.delete(_reservation_key(redis, link.email))
        try:
            await pipe.execute()
        except WatchError:
            return False
    return True
