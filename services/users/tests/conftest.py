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
    from muistot_tooling.testing.factories import insert_comment, insert_memory, insert_project, insert_site, unique

    async def create(author, *, memories_count: int = 2, comments_per_memory: int = 1, published: bool = True,
                     project_name: str | None = None) -> dict:
        name = project_name or unique("project")
        state = "published" if published else "pending"
        async with users.app.state.db.transaction() as conn:
            project = await insert_project(conn, name=name, creator=author,
                                           infos={"fi": {"name": f"Projekti {name}", "abstract": "Tiivistelmä"}})
            site = await insert_site(conn, project.id, state=state, creator=author, lat=65.0, lon=25.5,
                                     infos={"fi": {"name": "Tori"}})
            memory_ids, comment_ids = [], []
            for i in range(memories_count):
                memory_id = await insert_memory(conn, site.id, author=author, title=f"Muisto {i}",
                                                story="Kerran kauan sitten", state=state)
                memory_ids.append(memory_id)
                for j in range(comments_per_memory):
                    comment_ids.append(await insert_comment(conn, memory_id, author=author, state=state,
                                                            text=f"Kommentti {i}.{j}"))
        return {"project": project.name, "project_id": project.id, "site": site.name, "site_id": site.id,
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
