"""Redis clients: one for sessions, one for the cache and rate-limit counters."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import BlockingConnectionPool, Redis

from muistot.settings import Settings


def _client(url: str, settings: Settings) -> Redis:
    # A bounded pool that makes a request wait (up to the Redis timeout, then a 503) for a free connection,
    # instead of redis-py's default pool, which fails at once beyond 100 connections in use.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=settings.redis_pool_size,
        timeout=settings.redis_timeout,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        health_check_interval=30,
        decode_responses=False,
    )
    return Redis(connection_pool=pool)


@dataclass
class RedisClients:
    sessions: Redis
    cache: Redis
    prefix: str

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisClients:
        sessions = _client(settings.session_redis_url, settings)
        cache = sessions if settings.cache_redis_url == settings.session_redis_url else _client(
            settings.cache_redis_url, settings)
        return cls(sessions=sessions, cache=cache, prefix=settings.redis_prefix)

    def key(self, *parts: str | int) -> str:
        """Every key we write goes through here, so one server can host several deployments."""
        return self.prefix + ":".join(str(part) for part in parts)

    async def ping(self) -> None:
        await self.sessions.ping()
        if self.cache is not self.sessions:
            await self.cache.ping()

    async def close(self) -> None:
        await self.sessions.aclose()
        if self.cache is not self.sessions:
            await self.cache.aclose()
