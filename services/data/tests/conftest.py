"""Fixtures for the data service: content is created straight in the database (the admin service's
project endpoints are separate), and users come from the shared `make_user` fixture."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio

from muistot.db.engine import utcnow
from muistot.db.tables import (
    comments,
    memories,
    project_admins,
    project_information,
    project_moderators,
    projects,
    site_information,
    sites,
    superusers,
    users,
)
from muistot.settings import Settings
from muistot.testing.plugin import TestUser, running
from muistot.text import fold
from muistot_data.app import create_app


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@dataclass
class World:
    """One project with the people who matter for permissions."""

    project: str
    project_id: int
    admin: Any
    moderator: Any
    owner: Any
    other: Any
    superuser: Any
    sites: dict[str, int] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, dict[str, str]]:
        """Request headers per role (anonymous has none)."""
        return {"anonymous": {}, "other": self.other.headers, "owner": self.owner.headers,
                "admin": self.admin.headers, "moderator": self.moderator.headers,
                "superuser": self.superuser.headers}


@pytest_asyncio.fixture(scope="session")
async def data(test_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The data app alone, in-process with its lifespan (the other services are not needed here)."""
    app = create_app(test_settings)
    async with running(app) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest_asyncio.fixture(scope="session")
async def make_user(data: httpx.AsyncClient) -> Callable[..., Any]:
    """`await make_user(superuser=False)` → a verified user with a live session (as the shared fixture)."""
    state = data.app.state  # type: ignore[attr-defined]

    async def create(*, superuser: bool = False) -> TestUser:
        username = f"Tester{secrets.token_hex(4)}"
        email = f"{username.lower()}@example.com"
        async with state.db.transaction() as conn:
            result = await conn.execute(users.insert().values(
                username=username, username_key=fold(username), email=email, email_key=fold(email), verified=True))
            user_id = int(result.inserted_primary_key[0])
            if superuser:
                await conn.execute(superusers.insert().values(user_id=user_id))
        token, session = await state.sessions.create(user_id, username, superuser, client="pytest")
        return TestUser(id=user_id, username=username, email=email, token=token, session_id=session.id)

    return create


@pytest.fixture
def db(data: httpx.AsyncClient) -> Any:
    return data.app.state.db  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def content(db: Any) -> Any:
    """Helpers that write projects, sites, memories and comments directly."""

    class Content:
        async def project(self, *, name: str | None = None, published: bool = True, auto_publish: bool = False,
                          admin_posting: bool = False, default_language: str = "fi",
                          infos: dict[str, dict[str, Any]] | None = None, admins: tuple[Any, ...] = (),
                          moderators: tuple[Any, ...] = (), starts: datetime | None = None,
                          ends: datetime | None = None) -> tuple[str, int]:
            name = name or unique("proj")
            infos = {default_language: {"name": f"Projekti {name}"}} if infos is None else infos
            async with db.transaction() as conn:
                now = utcnow()
                project_id = (await conn.execute(projects.insert().values(
                    name=name, name_key=fold(name), default_language=default_language, published=published,
                    auto_publish=auto_publish, admin_posting=admin_posting, starts=starts, ends=ends,
                    created_at=now, modified_at=now))).inserted_primary_key[0]
                for lang, info in infos.items():
                    await conn.execute(project_information.insert().values(project_id=project_id, lang=lang, **info))
                for user in admins:
                    await conn.execute(project_admins.insert().values(project_id=project_id, user_id=user.id))
                for user in moderators:
                    await conn.execute(project_moderators.insert().values(project_id=project_id, user_id=user.id))
            return name, int(project_id)

        async def site(self, project_id: int, *, name: str | None = None, state: str = "published",
                       creator: Any = None, lat: float = 60.0, lon: float = 24.0,
                       infos: dict[str, dict[str, Any]] | None = None) -> tuple[str, int]:
            name = name or unique("site")
            infos = {"fi": {"name": f"Paikka {name}"}} if infos is None else infos
            async with db.transaction() as conn:
                site_id = (await conn.execute(sites.insert().values(
                    project_id=project_id, name=name, name_key=fold(name), state=state, lat=lat, lon=lon,
                    creator_id=creator.id if creator else None))).inserted_primary_key[0]
                for lang, info in infos.items():
                    await conn.execute(site_information.insert().values(
                        site_id=site_id, lang=lang, modifier_id=creator.id if creator else None, **info))
            return name, int(site_id)

        async def memory(self, site_id: int, *, author: Any = None, state: str = "published",
                         title: str = "Muisto", story: str | None = None) -> int:
            async with db.transaction() as conn:
                result = await conn.execute(memories.insert().values(
                    site_id=site_id, user_id=author.id if author else None, title=title, story=story, state=state))
            return int(result.inserted_primary_key[0])

        async def comment(self, memory_id: int, *, author: Any = None, state: str = "published",
                          text: str = "Kommentti") -> int:
            async with db.transaction() as conn:
                result = await conn.execute(comments.insert().values(
                    memory_id=memory_id, user_id=author.id if author else None, comment=text, state=state))
            return int(result.inserted_primary_key[0])

    return Content()


@pytest_asyncio.fixture
async def world(content: Any, make_user: Callable[..., Any]) -> World:
    admin, moderator, owner, other = (await make_user(), await make_user(), await make_user(), await make_user())
    superuser = await make_user(superuser=True)
    name, project_id = await content.project(admins=(admin,), moderators=(moderator,))
    return World(name, project_id, admin, moderator, owner, other, superuser)


