"""Fixtures for the data service: content and users are written straight into the database with the
shared factories (`muistot_tooling.testing.factories`); only the data app runs, the others are not needed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from muistot.content import generations
from muistot.settings import Settings
from muistot_data.app import create_app
from muistot_tooling.testing import factories
from muistot_tooling.testing.factories import TestUser, insert_signed_in_user
from muistot_tooling.testing.plugin import running


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
    """`await make_user(superuser=False)` → a verified user with a live session, made through the data app."""
    state = data.app.state  # type: ignore[attr-defined]

    async def create(*, superuser: bool = False) -> TestUser:
        return await insert_signed_in_user(state.db, state.sessions, superuser=superuser)

    return create


@pytest.fixture
def db(data: httpx.AsyncClient) -> Any:
    return data.app.state.db  # type: ignore[attr-defined]


class Content:
    """The shared factories bound to the data app's database, answering (name, id) as the tests unpack.

    They write behind the service's back, so cached reads do not see them; only a new project is announced
    to the cached project list, as creating one through the API does.
    """

    def __init__(self, db: Any, redis: Any) -> None:
        self.db = db
        self.redis = redis

    async def project(self, **options: Any) -> tuple[str, int]:
        project = await factories.insert_project(self.db, **options)
        await generations.bump(self.redis)
        return project.name, project.id

    async def site(self, project_id: int, **options: Any) -> tuple[str, int]:
        site = await factories.insert_site(self.db, project_id, **options)
        return site.name, site.id

    async def memory(self, site_id: int, **options: Any) -> int:
        return await factories.insert_memory(self.db, site_id, **options)

    async def comment(self, memory_id: int, **options: Any) -> int:
        return await factories.insert_comment(self.db, memory_id, **options)


@pytest_asyncio.fixture
async def content(db: Any, data: httpx.AsyncClient) -> Content:
    """Helpers that write projects, sites, memories and comments directly."""
    return Content(db, data.app.state.redis)  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def world(content: Content, make_user: Callable[..., Any]) -> World:
    admin, moderator, owner, other = (await make_user(), await make_user(), await make_user(), await make_user())
    superuser = await make_user(superuser=True)
    name, project_id = await content.project(admins=(admin,), moderators=(moderator,))
    return World(name, project_id, admin, moderator, owner, other, superuser)
