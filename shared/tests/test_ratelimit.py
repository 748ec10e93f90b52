"""Rate limits in the real Redis, and which client address they are keyed on."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from starlette.requests import Request

from muistot.client_ip import client_ip
from muistot.errors import ApiError
from muistot.ratelimit import Limit, RateLimiter, TooManyRequests
from muistot.redis import RedisClients
from muistot.settings import Settings


@pytest_asyncio.fixture
async def limiter(test_settings: Settings) -> AsyncIterator[RateLimiter]:
    redis = RedisClients.from_settings(test_settings)
    try:
        yield RateLimiter(redis)
    finally:
        await redis.close()


def fresh(max_hits: int, window: int = 60) -> Limit:
    return Limit(f"test-{secrets.token_hex(4)}", max_hits, window)


async def test_allows_max_hits_then_answers_429_with_retry_after(limiter: RateLimiter) -> None:
    limit = fresh(3, window=60)
    for _ in range(3):
        await limiter.hit((limit, "198.51.100.1"))
    with pytest.raises(TooManyRequests) as raised:
        await limiter.hit((limit, "198.51.100.1"))
    assert raised.value.status == 429
    assert raised.value.message == "Too many requests"
    assert 1 <= int(raised.value.headers["Retry-After"]) <= 60


async def test_hits_while_blocked_do_not_extend_the_window(limiter: RateLimiter) -> None:
    limit = fresh(1, window=30)
    await limiter.hit((limit, "victim@example.com"))
    for _ in range(20):
        with pytest.raises(TooManyRequests) as raised:
            await limiter.hit((limit, "victim@example.com"))
        assert int(raised.value.headers["Retry-After"]) <= 30


async def test_subjects_are_counted_separately(limiter: RateLimiter) -> None:
    limit = fresh(1)
    await limiter.hit((limit, "a@example.com"))
    await limiter.hit((limit, "b@example.com"))
    with pytest.raises(TooManyRequests):
        await limiter.hit((limit, "a@example.com"))


async def test_any_exhausted_limit_of_several_refuses(limiter: RateLimiter) -> None:
    per_ip, per_address = fresh(5), fresh(1)
    await limiter.hit((per_ip, "192.0.2.1"), (per_address, "x@example.com"))
    with pytest.raises(TooManyRequests):
        await limiter.hit((per_ip, "192.0.2.1"), (per_address, "x@example.com"))


async def test_zero_disables_a_limit(limiter: RateLimiter) -> None:
    limit = fresh(0)
    for _ in range(50):
        await limiter.hit((limit, "192.0.2.9"))


async def test_check_does_not_count_and_reset_clears(limiter: RateLimiter) -> None:
    limit = fresh(2)
    for _ in range(10):
        await limiter.check((limit, "acct"))
    await limiter.hit((limit, "acct"))
    await limiter.hit((limit, "acct"))
    with pytest.raises(TooManyRequests):
        await limiter.check((limit, "acct"))
    await limiter.reset((limit, "acct"))
    await limiter.check((limit, "acct"))


async def test_attempts_that_do_not_fail_are_given_back(limiter: RateLimiter) -> None:
    limit = fresh(2)
    for _ in range(10):  # successes: never counted
        async with limiter.attempt((limit, "school")):
            pass
    for _ in range(2):
        with pytest.raises(ApiError):
            async with limiter.attempt((limit, "school")) as attempt:
                raise attempt.failure(ApiError(404))
    with pytest.raises(TooManyRequests):
        async with limiter.attempt((limit, "school")):
            pass


async def test_a_refund_after_the_window_ended_leaves_no_key_behind(limiter: RateLimiter) -> None:
    limit = fresh(3)
    await limiter.refund((limit, "late"))
    key = limiter.key(limit, "late")
    assert not await limiter.redis.cache.exists(key)
    await limiter.hit((limit, "late"))
    await limiter.refund((limit, "late"))
    assert 0 < await limiter.redis.cache.pttl(key) <= 60_000  # the window keeps its end


async def test_subjects_are_not_readable_in_redis_keys(limiter: RateLimiter) -> None:
    limit = fresh(5)
    await limiter.hit((limit, "secret-person@example.com"))
    keys = [key async for key in limiter.redis.cache.scan_iter(match=f"{limiter.redis.prefix}rl:{limit.name}:*")]
    assert len(keys) == 1
    assert b"secret-person" not in keys[0]


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 1234)})


TRUSTED = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")]


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    assert client_ip(_request("203.0.113.7", "1.2.3.4"), TRUSTED) == "203.0.113.7"


def test_forwarded_for_is_used_behind_a_trusted_proxy() -> None:
    assert client_ip(_request("10.1.2.3", "198.51.100.23"), TRUSTED) == "198.51.100.23"


def test_spoofed_hops_left_of_the_real_client_are_ignored() -> None:
    # The client wrote "1.1.1.1" itself; our proxy appended the address it really saw.
    assert client_ip(_request("10.1.2.3", "1.1.1.1, 198.51.100.23"), TRUSTED) == "198.51.100.23"


def test_chains_of_trusted_proxies_are_walked() -> None:
    assert client_ip(_request("10.1.2.3", "198.51.100.23, 10.9.9.9"), TRUSTED) == "198.51.100.23"


def test_garbage_in_forwarded_for_falls_back_to_the_last_good_hop() -> None:
    assert client_ip(_request("10.1.2.3", "not-an-ip"), TRUSTED) == "10.1.2.3"
    assert client_ip(_request("::1", "[2001:db8::5]:443"), TRUSTED) == "2001:db8::5"
