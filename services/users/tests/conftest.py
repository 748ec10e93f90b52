"""Fixtures for the users service tests: its client, more sessions for one user, token checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest


@pytest.fixture
def users(service_client) -> httpx.AsyncClient:
    return service_client("users")


@pytest.fixture
def extra_session(users) -> Callable[..., Awaitable[str]]:
    """`await extra_session(user, client=...)` → the token of another live session of that user."""

    async def create(user, client: str = "second device") -> str:
        token, _ = await users.app.state.sessions.create(user.id, user.username, False, client=client)
        return token

    return create


@pytest.fixture
def is_live(users) -> Callable[[str], Awaitable[bool]]:
    """`await is_live(token)`: does GET /me accept this token?"""

    async def check(token: str) -> bool:
        response = await users.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 401)
        return response.status_code == 200

    return check


@pytest.fixture
def add_content(users) -> Callable[..., Awaitable[dict]]:
    """`await add_content(author, memories=2, comments_per_memory=1)` inserts a project with one site by the
    author, memories and comments by the author, straight into the tables; returns their ids."""
    import secrets

    from muistot.db.tables import comments, memories, project_information, projects, site_information, sites
    from muistot.text import fold

    async def create(author, *, memories_count: int = 2, comments_per_memory: int = 1, published: bool = True,
                     project_name: str | None = None) -> dict:
        name = project_name or f"project-{secrets.token_hex(4)}"
        state = "published" if published else "pending"
        async with users.app.state.db.transaction() as conn:
            project_id = (await conn.execute(projects.insert().values(
                name=name, name_key=fold(name), default_language="fi", published=True,
                creator_id=author.id))).inserted_primary_key[0]
            await conn.execute(project_information.insert().values(
                project_id=project_id, lang="fi", name=f"Projekti {name}", abstract="Tiivistelmä"))
            site_name = f"site-{secrets.token_hex(4)}"
            site_id = (await conn.execute(sites.insert().values(
                project_id=project_id, name=site_name, name_key=fold(site_name), state=state, lat=65.0, lon=25.5,
                creator_id=author.id))).inserted_primary_key[0]
            await conn.execute(site_information.insert().values(site_id=site_id, lang="fi", name="Tori"))
            memory_ids, comment_ids = [], []
            for i in range(memories_count):
                memory_id = (await conn.execute(memories.insert().values(
                    site_id=site_id, user_id=author.id, title=f"Muisto {i}", story="Kerran kauan sitten",
                    state=state))).inserted_primary_key[0]
                memory_ids.append(int(memory_id))
                for j in range(comments_per_memory):
                    comment_id = (await conn.execute(comments.insert().values(
                        memory_id=memory_id, user_id=author.id, comment=f"Kommentti {i}.{j}",
                        state=state))).inserted_primary_key[0]
                    comment_ids.append(int(comment_id))
        return {"project": name, "project_id": int(project_id), "site": site_name, "site_id": int(site_id),
                "memories": memory_ids, "comments": comment_ids}

    return create


@pytest.fixture
def mailbox(users) -> Callable[[str], Awaitable[list]]:
    """`await mailbox(address)` → the queued messages to that address, newest first (the worker is not running)."""
    from muistot.mail.outbox import OUTBOX, MailMessage, outbox_cipher

    async def read(address: str) -> list[MailMessage]:
        redis = users.app.state.redis
        raw = await redis.cache.lrange(redis.key(OUTBOX), 0, -1)
        cipher = outbox_cipher(users.app.state.settings.identity_secret)  # the outbox is encrypted at rest
        return [message for message in map(cipher.open, raw) if message.to == address]

    return read


@pytest.fixture
def link_token() -> Callable[[object, str], str]:
    """The token in a mailed `#<fragment>:token=…` link."""
    import re

    def find(message, fragment: str) -> str:
        match = re.search(rf"#{fragment}:token=([A-Za-z0-9_\-]+)", message.text)
        assert match, message.text
        return match.group(1)

    return find
