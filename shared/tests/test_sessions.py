"""The session store against the real Redis: hashing at rest, sliding expiry, listing and revocation."""

import hashlib

from muistot.redis import RedisClients
from muistot.sessions import SessionStore


async def _store(test_settings, idle=60, max_seconds=3600):
    redis = RedisClients.from_settings(test_settings)
    return redis, SessionStore(redis.sessions, test_settings.redis_prefix, idle, max_seconds)


async def test_token_is_stored_only_as_its_digest(test_settings):
    redis, store = await _store(test_settings)
    token, session = await store.create(9_000_001, "Alice", False, client="curl")
    keys = [key.decode() async for key in redis.sessions.scan_iter(match=f"{test_settings.redis_prefix}*")]
    assert any(hashlib.sha256(token.encode()).hexdigest() in key for key in keys)
    assert not any(token in key for key in keys)
    for key in keys:
        if key.endswith(session.id) or "sess:" in key:
            value = await redis.sessions.get(key) if "sess:" in key and "usess" not in key else b""
            assert token.encode() not in (value or b"")
    await redis.close()


async def test_validate_slides_and_revoke_ends(test_settings):
    redis, store = await _store(test_settings)
    token, _session = await store.create(9_000_002, "Bob", True)
    found = await store.validate(token)
    assert found is not None and found.username == "Bob" and found.superuser
    assert await store.validate(token + "x") is None
    assert await store.validate("not a token") is None
    await store.revoke(token)
    assert await store.validate(token) is None
    assert await store.list(9_000_002) == []
    await redis.close()


async def test_list_rewrite_and_revoke_all(test_settings):
    redis, store = await _store(test_settings)
    t1, s1 = await store.create(9_000_003, "Carol", False, client="phone")
    t2, s2 = await store.create(9_000_003, "Carol", False, client="laptop")
    listed = await store.list(9_000_003)
    assert {info.id for info in listed} == {s1.id, s2.id}
    assert {info.client for info in listed} == {"phone", "laptop"}
    assert await store.update_user(9_000_003, username="Caroline", superuser=True) == 2
    assert (await store.validate(t1)).username == "Caroline"
    assert (await store.validate(t2)).superuser is True
    assert await store.revoke_id(9_000_003, s1.id) is True
    assert await store.validate(t1) is None
    assert await store.revoke_all(9_000_003) == 1
    assert await store.validate(t2) is None
    await redis.close()


async def test_absolute_lifetime_ends_an_active_session(test_settings):
    redis, store = await _store(test_settings, idle=60, max_seconds=60)
    token, session = await store.create(9_000_004, "Dave", False)
    # Move the absolute expiry into the past, as if the session had been slid for its whole lifetime.
    key = f"{test_settings.redis_prefix}sess:{hashlib.sha256(token.encode()).hexdigest()}"
    raw = (await redis.sessions.get(key)).replace(f'"expires":{session.expires}'.encode(), b'"expires":1')
    await redis.sessions.set(key, raw, keepttl=True)
    assert await store.validate(token) is None
    await redis.close()
