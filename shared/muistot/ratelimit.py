"""Fixed-window counters in the cache Redis, for abuse limits on any endpoint.

A `Limit` allows `max` hits per `window` seconds for one subject (an IP, an address, an account);
`max = 0` turns it off. The window starts at the first hit and is never extended by later hits, so
whoever hammers a subject (say, a victim's address) cannot keep it blocked after they stop.
Subjects are hashed before they become keys: no addresses or IPs are readable in Redis.

    limiter = RateLimiter(app.state.redis)
    await limiter.hit((EMAIL_PER_IP, ip), (EMAIL_PER_ADDRESS, email))   # 429 when over

Failure-only limits (wrong passwords) `check()` first and `hit()` only when the attempt failed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from muistot.errors import ApiError
from muistot.redis import RedisClients


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


class RateLimiter:
    def __init__(self, redis: RedisClients) -> None:
        self.redis = redis

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
