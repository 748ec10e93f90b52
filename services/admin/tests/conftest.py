"""Fixtures of the admin tests: a project with content and one user per role, inserted with SQLAlchemy."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select

from muistot.content import generations
from muistot.db.engine import utcnow
from muistot.db.tables import (
    audit_log,
    comments,
    memories,
    project_admins,
    project_information,
    project_moderators,
    projects,
    site_information,
    sites,
)
from muistot.text import fold


@dataclass
class World:
    """A project with one site, memory and comment, and a user for each role."""

    project: str
    project_id: int
    site: str
    site_id: int
    memory: int
    comment: int
    admin: Any
    moderator: Any
    author: Any
    user: Any
    other_admin: Any
    superuser: Any

    @property
    def project_path(self) -> str:
        return f"/projects/{self.project}"

    @property
    def site_path(self) -> str:
        return f"{self.project_path}/sites/{self.site}"

    @property
    def memory_path(self) -> str:
        return f"{self.site_path}/memories/{self.memory}"

    @property
    def comment_path(self) -> str:
        return f"{self.memory_path}/comments/{self.comment}"

    def path(self, kind: str) -> str:
        return {"project": self.project_path, "site": self.site_path, "memory": self.memory_path,
                "comment": self.comment_path}[kind]

    def role(self, name: str) -> Any:
        return None if name == "anonymous" else getattr(self, name)

    def headers(self, name: str) -> dict[str, str]:
        user = self.role(name)
        return {} if user is None else user.headers

    def order(self, kind: str, **extra: Any) -> dict[str, Any]:
        """An order body (§5.1) naming this world's item of `kind`."""
        chain: dict[str, Any] = {"project": self.project, "site": self.site, "memory": self.memory,
                                 "comment": self.comment}
        kinds = ["project", "site", "memory", "comment"]
        parents = {k: chain[k] for k in kinds[:kinds.index(kind)]}
        return {"type": kind, "identifier": chain[kind], "parents": parents or None, **extra}


ROLES = ["anonymous", "user", "author", "other_admin", "moderator", "admin", "superuser"]


@pytest_asyncio.fixture
async def admin_client(service_client: Callable[[str], httpx.AsyncClient]) -> httpx.AsyncClient:
    return service_client("admin")


@pytest_asyncio.fixture
async def app_state(admin_client: httpx.AsyncClient) -> Any:
    return admin_client.app.state  # type: ignore[attr-defined]


class Content:
    """Inserts fixtures straight into the database and reads back what the tests check."""

    def __init__(self, state: Any, make_user: Callable[..., Awaitable[Any]], superuser: Any) -> None:
        self.state = state
        self.make_user = make_user
        self.superuser = superuser

    async def insert_project(self, *, published: bool = True, name: str | None = None,
                             auto_publish: bool = False) -> tuple[str, int]:
        name = name or f"proj-{secrets.token_hex(4)}"
        now = utcnow()
        async with self.state.db.transaction() as conn:
            project_id = (await conn.execute(projects.insert().values(
                name=name, name_key=fold(name), default_language="fi", published=published,
                auto_publish=auto_publish, created_at=now, modified_at=now))).inserted_primary_key[0]
            await conn.execute(project_information.insert().values(project_id=project_id, lang="fi", name=name,
                                                                    created_at=now, modified_at=now))
        return name, int(project_id)

    async def insert_site(self, project_id: int, *, state_value: str = "published", creator: int | None = None,
                          name: str | None = None) -> tuple[str, int]:
        name = name or f"site-{secrets.token_hex(4)}"
        now = utcnow()
        async with self.state.db.transaction() as conn:
            site_id = (await conn.execute(sites.insert().values(
                project_id=project_id, name=name, name_key=fold(name), state=state_value, lat=60.1, lon=24.9,
                creator_id=creator, created_at=now, modified_at=now))).inserted_primary_key[0]
            await conn.execute(site_information.insert().values(site_id=site_id, lang="fi", name=name,
                                                                created_at=now, modified_at=now))
        return name, int(site_id)

    async def insert_memory(self, site_id: int, *, state_value: str = "published", author: int | None = None,
                            memory_id: int | None = None) -> int:
        now = utcnow()
        values: dict[str, Any] = {"site_id": site_id, "user_id": author, "title": "Kesä 1965", "story": "Tarina",
                                  "state": state_value, "created_at": now, "modified_at": now}
        if memory_id is not None:
            values["id"] = memory_id
        async with self.state.db.transaction() as conn:
            return int((await conn.execute(memories.insert().values(**values))).inserted_primary_key[0])

    async def insert_comment(self, memory_id: int, *, state_value: str = "published",
                             author: int | None = None) -> int:
        now = utcnow()
        async with self.state.db.transaction() as conn:
            return int((await conn.execute(comments.insert().values(
                memory_id=memory_id, user_id=author, comment="Hello There", state=state_value,
                created_at=now, modified_at=now))).inserted_primary_key[0])

    async def grant(self, table: Any, project_id: int, user_id: int) -> None:
        async with self.state.db.transaction() as conn:
            await conn.execute(table.insert().values(project_id=project_id, user_id=user_id, created_at=utcnow()))

    async def world(self, *,
                          project_published: bool = True, content_state: str = "published") -> World:
        admin, moderator, author, user, other_admin = [await self.make_user() for _ in range(5)]
        project, project_id = await self.insert_project(published=project_published)
        _, other_project_id = await self.insert_project()
        site, site_id = await self.insert_site(project_id, state_value=content_state, creator=author.id)
        memory = await self.insert_memory(site_id, state_value=content_state, author=author.id)
        comment = await self.insert_comment(memory, state_value=content_state, author=author.id)
        await self.grant(project_admins, project_id, admin.id)
        await self.grant(project_moderators, project_id, moderator.id)
        await self.grant(project_admins, other_project_id, other_admin.id)
        return World(project, project_id, site, site_id, memory, comment, admin, moderator, author, user, other_admin,
                     self.superuser)

    async def state_of(self, kind: str, item_id: int) -> str | bool:
        """The stored review state of a site, memory or comment (or a project's published flag)."""
        table = {"project": projects, "site": sites, "memory": memories, "comment": comments}[kind]
        column = table.c.published if kind == "project" else table.c.state
        async with self.state.db.connect() as conn:
            value = await conn.scalar(select(column).where(table.c.id == item_id))
        return bool(value) if kind == "project" else str(value)

    @staticmethod
    def item_id(world: World, kind: str) -> int:
        return {"project": world.project_id, "site": world.site_id, "memory": world.memory,
                "comment": world.comment}[kind]

    async def generation(self, project_id: int) -> str | None:
        return await generations.current(self.state.redis, project_id)

    async def audit_actions(self, project_id: int | None) -> list[tuple[str, str | None, str, str]]:
        """(action, actor name, target type, target id) of a project's audit entries, oldest first."""
        async with self.state.db.connect() as conn:
            rows = await conn.execute(select(audit_log.c.action, audit_log.c.actor_name, audit_log.c.target_type,
                                             audit_log.c.target_id)
                                      .where(audit_log.c.project_id == project_id).order_by(audit_log.c.id))
            return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest_asyncio.fixture
async def superuser(make_user: Callable[..., Awaitable[Any]]) -> Any:
    return await make_user(superuser=True)


@pytest_asyncio.fixture
async def content(app_state: Any, make_user: Callable[..., Awaitable[Any]], superuser: Any) -> Content:
    return Content(app_state, make_user, superuser)


@pytest_asyncio.fixture
async def world(content: Content) -> World:
    """Everything published; the author wrote the site, memory and comment."""
    return await content.world()


