"""Fixed-window counters in the cache Redis, for abuse limits on any endpoint.

A `Limit` allows `max` hits per `window` seconds for one subject (an IP, an address, an account);
`max = 0` turns it off. The window starts at the first hit and is never extended by later hits, so
whoever hammers a subject (say, a victim's address) cannot keep it blocked after they stop.
Subjects are hashed before they become keys: no addresses or IPs are readable in Redis.

    limiter = RateLimiter(redis)
    await limiter.hit((EMAIL_PER_IP, ip), (EMAIL_PER_ADDRESS, email))   # 429 when over

A route gets the limiter with the client's address as `limits: ClientLimitsDep`.

Failure-only limits (wrong passwords, wrong link tokens) count an attempt first and give it back
unless it failed, so successes never count, and a burst of parallel guesses cannot all slip past a
check made before any of them had failed:

    async with limiter.attempt((FAILURES_PER_IP, ip)) as attempt:    # 429 once used up
        await attempt.count((FAILURES_PER_ACCOUNT_AND_IP, f"{account} {ip}"))
        if not correct:
            raise attempt.failure(ApiError(400))                     # stays counted
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from redis.exceptions import RedisError

from muistot.client_ip import client_ip
from muistot.deps import RedisDep, SettingsDep
from muistot.errors import ApiError
from muistot.redis import RedisClients

log = logging.getLogger("muistot.ratelimit")


@dataclass(frozen=True)
class Limit:
    name: str
    max: int
    window: int = 60

    @property
    def enabled(self) -> bool:
        return self.max > 0


Check = tuple[Limit, str]


class TooManyRequests(ApiError):
    def __init__(self, retry_after: int, message: str = "Too many requests") -> None:
        super().__init__(429, message, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


@dataclass
class Attempt:
    """One attempt counted against failure limits; given back at the end unless `failure()` was called."""

    limiter: RateLimiter
    counted: list[Check] = field(default_factory=list)
    failed: bool = False

    async def count(self, *checks: Check) -> None:
        """Count it against more limits (429 if one is used up)."""
        await self.limiter.hit(*checks)
        self.counted.extend(checks)

    def failure(self, error: ApiError) -> ApiError:
        """Mark the attempt failed (it stays counted) and return the error to raise."""
        self.failed = True
        return error


class RateLimiter:
    def __init__(self, redis: RedisClients) -> None:
        self.redis = redis

    @asynccontextmanager
    async def attempt(self, *checks: Check) -> AsyncIterator[Attempt]:
        attempt = Attempt(self)
        await attempt.count(*checks)
        try:
            yield attempt
        finally:
            if not attempt.failed and attempt.counted:
                try:
                    await self.refund(*attempt.counted)
                except RedisError as exc:  # the attempt's own answer matters more than our bookkeeping
                    log.warning("could not give back a rate-limit hit: %s", type(exc).__name__)

    def key(self, limit: Limit, subject: str) -> str:
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.redis.key("rl", limit.name, digest)

    async def hit(self, *checks: Check, message: str = "Too many requests") -> None:
        """Count one hit against every limit; raise 429 (with Retry-After) if any is now over."""
        active = [(limit, subject) for limit, subject in checks if limit.enabled]
        if not active:
            return
        async with self.redis.cache.pipeline(transaction=True) as pipe:
            for limit, subject in active:
                key = self.key(limit, subject)
                # SET NX starts the window once; INCR never touches the expiry.
                pipe.set(key, 0, ex=limit.window, nx=True)
                pipe.incr(key)
                pipe.pttl(key)
            results = await pipe.execute()
        self._raise_if_over(active, [(results[3 * i + 1], results[3 * i + 2]) for i in range(len(active))], message)

    async def check(self, *checks: Check, message: str = "Too many requests") -> None:
        """Raise 429 if any limit is already used up, without counting a hit."""
        active = [(limit, subject) for limit, subject in checks if limit.enabled]
        if not active:
            return
        async with self.redis.cache.pipeline(transaction=False) as pipe:
            for limit, subject in active:
                key = self.key(limit, subject)
                pipe.get(key)
                pipe.pttl(key)
            results = await pipe.execute()
        counts = [(int(results[2 * i] or 0) + 1, results[2 * i + 1]) for i in range(len(active))]
        self._raise_if_over(active, counts, message)

    async def refund(self, *checks: Check) -> None:
        """Take back one hit of each limit (the attempt it counted turned out to succeed)."""
        active = [(limit, subject) for limit, subject in checks if limit.enabled]
        if not active:
            return
        keys = [self.key(limit, subject) for limit, subject in active]
        async with self.redis.cache.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.decr(key)
                pipe.pttl(key)
            results = await pipe.execute()
        # A window that ended meanwhile was re-created by DECR without an expiry: drop it again.
        stale = [key for index, key in enumerate(keys) if results[2 * index + 1] == -1]
        if stale:
            await self.redis.cache.delete(*stale)

    async def reset(self, *checks: Check) -> None:
        keys = [self.key(limit, subject) for limit, subject in checks]
        if keys:
            await self.redis.cache.delete(*keys)

    @staticmethod
    def _raise_if_over(active: Sequence[Check], counts: Sequence[tuple[int, int]], message: str) -> None:
        retry_after = 0
        for (limit, _), (count, pttl) in zip(active, counts, strict=True):
            if int(count) > limit.max:
                remaining = int(pttl) if pttl is not None and int(pttl) > 0 else limit.window * 1000
                retry_after = max(retry_after, math.ceil(remaining / 1000))
        if retry_after:
            raise TooManyRequests(retry_after, message)


@dataclass(frozen=True)
class ClientLimits:
    """A request's limiter and the client address its per-IP limits count (`muistot.client_ip`)."""

    limiter: RateLimiter
    ip: str


async def client_limits(request: Request, settings: SettingsDep, redis: RedisDep) -> ClientLimits:
    return ClientLimits(RateLimiter(redis), client_ip(request, settings.trusted_proxy_networks))


ClientLimitsDep = Annotated[ClientLimits, Depends(client_limits)]
