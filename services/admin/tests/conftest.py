"""Fixtures of the admin tests: a project with content and one user per role, inserted with SQLAlchemy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select

from muistot.content import generations
from muistot.db.tables import audit_log, comments, memories, projects, sites
from muistot_tooling.testing import factories


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
        """An order body (docs/contract.md, "Moderation orders") naming this world's item of `kind`."""
        chain: dict[str, Any] = {"project": self.project, "site": self.site, "memory": self.memory,
                                 "comment": self.comment}
        kinds = ["project", "site", "memory", "comment"]
        parents = {k: chain[k] for k in kinds[:kinds.index(kind)]}
        return {"type": kind, "identifier": chain[kind], "parents": parents or None, **extra}


ROLES = ["anonymous", "user", "author", "other_admin", "moderator", "admin", "superuser"]
MEMORY_TEXT = {"title": "Kesä 1965", "story": "Tarina"}  # the queue tests read the title back as the summary


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
        project = await factories.insert_project(self.state.db, name=name, published=published,
                                                 auto_publish=auto_publish)
        return project.name, project.id

    async def insert_site(self, project_id: int, *, state_value: str = "published", creator: int | None = None,
                          name: str | None = None) -> tuple[str, int]:
        site = await factories.insert_site(self.state.db, project_id, name=name, state=state_value, creator=creator)
        return site.name, site.id

    async def insert_memory(self, site_id: int, *, state_value: str = "published", author: int | None = None,
                            memory_id: int | None = None) -> int:
        return await factories.insert_memory(self.state.db, site_id, state=state_value, author=author,
                                             memory_id=memory_id, **MEMORY_TEXT)

    async def insert_comment(self, memory_id: int, *, state_value: str = "published",
                             author: int | None = None) -> int:
        return await factories.insert_comment(self.state.db, memory_id, state=state_value, author=author)

    async def world(self, *, project_published: bool = True, content_state: str = "published") -> World:
        admin, moderator, author, user, other_admin = [await self.make_user() for _ in range(5)]
        async with self.state.db.transaction() as conn:
            project = await factories.insert_project(conn, published=project_published, admins=[admin],
                                                     moderators=[moderator])
            await factories.insert_project(conn, admins=[other_admin])
            site = await factories.insert_site(conn, project.id, state=content_state, creator=author)
            memory = await factories.insert_memory(conn, site.id, state=content_state, author=author, **MEMORY_TEXT)
            comment = await factories.insert_comment(conn, memory, state=content_state, author=author)
        return World(project.name, project.id, site.name, site.id, memory, comment, admin, moderator, author, user,
                     other_admin, self.superuser)

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
        async with self.state.db.connect() as conn:
            name = await conn.scalar(select(projects.c.name).where(projects.c.id == project_id))
        return await generations.current(self.state.redis, name)

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


