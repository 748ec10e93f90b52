"""A rename reaches anonymous readers at once: the cached reads that show the author's name are invalidated
through the write path, and a rename whose invalidation the cache refuses is a 503 that changes nothing."""

from __future__ import annotations

from redis.asyncio import Redis

from muistot_tooling.testing.plugin import running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def paths_of(content: dict) -> tuple[str, str]:
    memory = f"/projects/{content['project']}/sites/{content['site']}/memories/{content['memories'][0]}"
    return memory, memory + f"/comments/{content['comments'][0]}"


async def anonymous_authors(data, memory: str, comment: str) -> tuple[str, str]:
    """The author names anonymous readers get, read twice so that the second read can come from the cache."""
    for _ in range(2):
        memory_answer, comment_answer = await data.get(memory), await data.get(comment)
        assert memory_answer.status_code == comment_answer.status_code == 200
    return memory_answer.json()["user"], comment_answer.json()["user"]


async def test_anonymous_readers_see_the_new_author_name_at_once(users, service_client, make_user, add_content):
    author = await make_user()
    memory, comment = paths_of(await add_content(author, memories_count=1, comments_per_memory=1))
    data = service_client("data")
    assert await anonymous_authors(data, memory, comment) == (author.username, author.username)

    renamed = await users.post("/me/username", params={"username": f"Uusi {author.username}"},
                               headers=author.headers)
    assert renamed.status_code == 200
    new_name = f"Uusi {author.username}"
    assert await anonymous_authors(data, memory, comment) == (new_name, new_name)


async def test_a_rename_the_cache_refuses_is_503_and_changes_no_session(service_app_with, own_redis, make_user,
                                                                         add_content, extra_session):
    author = await make_user()
    other_device = await extra_session(author)
    await add_content(author, memories_count=1, comments_per_memory=1)  # so the rename has reads to invalidate
    cache = Redis.from_url(own_redis)
    app = service_app_with("users")(cache_redis_url=own_redis, redis_timeout=0.5)
    async with running(app) as client:
        await cache.execute_command("CLIENT", "PAUSE", 3000, "WRITE")
        refused = await client.post("/me/username", params={"username": f"Uusi {author.username}"},
                                    headers=author.headers)
        assert refused.status_code == 503
        assert refused.json() == {"error": {"code": 503, "message": "Lost Connection to Redis"}}
        assert "authorization" not in refused.headers
        # Rolled back, and no session was created, replaced or rewritten: the commit never happened.
        me = await client.get("/me", headers=author.headers)
        assert me.status_code == 200 and me.json()["username"] == author.username
        assert len((await client.get("/me/sessions", headers=author.headers)).json()["items"]) == 2
        assert (await app.state.sessions.validate(other_device)).username == author.username
        await cache.execute_command("CLIENT", "UNPAUSE")

        accepted = await client.post("/me/username", params={"username": f"Uusi {author.username}"},
                                     headers=author.headers)
        assert accepted.status_code == 200
        assert (await app.state.sessions.validate(other_device)).username == f"Uusi {author.username}"
    await cache.aclose()
