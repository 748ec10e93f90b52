"""Test data written straight into the tables: users, projects, sites, memories, comments and roles.

Every factory takes where to write: an `AsyncConnection` (the rows join the caller's transaction,
which the caller commits), a `Database` or an `AsyncEngine` (the factory commits its own
transaction). Anything that names a user (`admins`, `creator`, `author`, ...) takes a user id or
any object with an `.id` (a `UserRow`, a `TestUser`). Defaults make unique names, so tests sharing
one database never collide; texts are the ones the suites assert on ("Projekti <id>", "Paikka <id>").
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from muistot.db import tables
from muistot.db.engine import Database, utcnow
from muistot.sessions import SessionStore
from muistot.text import fold

Target = AsyncConnection | Database | AsyncEngine
Texts = Mapping[str, Mapping[str, Any]]  # language → {"name": ..., "abstract": ..., "description": ...}
Role = Literal["admin", "moderator"]
ROLE_TABLES = {"admin": tables.project_admins, "moderator": tables.project_moderators}


class HasId(Protocol):
    @property
    def id(self) -> int: ...


UserRef = int | HasId


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    email: str
    superuser: bool


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str


@dataclass(frozen=True)
class SiteRow:
    id: int
    name: str
    project_id: int


@dataclass
class TestUser:
    """A user with a live session: `.headers` authenticates a request as them."""

    __test__ = False  # not a test class, though its name starts with "Test"

    id: int
    username: str
    email: str
    token: str
    session_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def user_id(user: UserRef | None) -> int | None:
    if user is None or isinstance(user, int):
        return user
    return int(user.id)


@asynccontextmanager
async def writing(target: Target) -> AsyncIterator[AsyncConnection]:
    """A connection to write on: the caller's own, or a transaction committed on exit."""
    if isinstance(target, AsyncConnection):
        yield target
    elif isinstance(target, Database):
        async with target.transaction() as conn:
            yield conn
    else:
        async with target.begin() as conn:
            yield conn


async def insert_user(target: Target, *, username: str | None = None, email: str | None = None,
                      superuser: bool = False, verified: bool = True) -> UserRow:
    username = username or f"Tester{secrets.token_hex(4)}"
    email = email or f"{username.lower()}@example.com"
    async with writing(target) as conn:
        result = await conn.execute(tables.users.insert().values(
            username=username, username_key=fold(username), email=email, email_key=fold(email), verified=verified))
        new_id = int(result.inserted_primary_key[0])
        if superuser:
            await conn.execute(tables.superusers.insert().values(user_id=new_id))
    return UserRow(id=new_id, username=username, email=email, superuser=superuser)


async def insert_signed_in_user(target: Target, sessions: SessionStore, *, superuser: bool = False,
                                username: str | None = None, email: str | None = None,
                                client: str = "pytest") -> TestUser:
    """A verified user (committed first, so the session never names a missing row) with a live session."""
    if isinstance(target, AsyncConnection):
        raise TypeError("the user must be committed before its session is created: pass a Database or an engine")
    row = await insert_user(target, username=username, email=email, superuser=superuser)
    token, session = await sessions.create(row.id, row.username, superuser, client=client)
    return TestUser(id=row.id, username=row.username, email=row.email, token=token, session_id=session.id)


async def grant_role(target: Target, project_id: int, user: UserRef, role: Role) -> None:
    async with writing(target) as conn:
        await conn.execute(ROLE_TABLES[role].insert().values(project_id=project_id, user_id=user_id(user),
                                                             created_at=utcnow()))


async def insert_project(target: Target, *, name: str | None = None, published: bool = True,
                         auto_publish: bool = False, admin_posting: bool = False, default_language: str = "fi",
                         infos: Texts | None = None, admins: Iterable[UserRef] = (),
                         moderators: Iterable[UserRef] = (), starts: datetime | None = None,
                         ends: datetime | None = None, creator: UserRef | None = None) -> ProjectRow:
    """A project with its texts (default: `{default_language: {"name": "Projekti <name>"}}`) and roles."""
    name = name or unique("proj")
    infos = {default_language: {"name": f"Projekti {name}"}} if infos is None else infos
    now = utcnow()
    async with writing(target) as conn:
        result = await conn.execute(tables.projects.insert().values(
            name=name, name_key=fold(name), default_language=default_language, published=published,
            auto_publish=auto_publish, admin_posting=admin_posting, starts=starts, ends=ends,
            creator_id=user_id(creator), created_at=now, modified_at=now))
        project_id = int(result.inserted_primary_key[0])
        for lang, info in infos.items():
            await conn.execute(tables.project_information.insert().values(
                project_id=project_id, lang=lang, created_at=now, modified_at=now, **info))
        for user in admins:
            await grant_role(conn, project_id, user, "admin")
        for user in moderators:
            await grant_role(conn, project_id, user, "moderator")
    return ProjectRow(id=project_id, name=name)


async def insert_site(target: Target, project_id: int, *, name: str | None = None, state: str = "published",
                      creator: UserRef | None = None, lat: float = 60.0, lon: float = 24.0,
                      infos: Texts | None = None) -> SiteRow:
    """A site with its texts (default: `{"fi": {"name": "Paikka <name>"}}`), written by `creator`."""
    name = name or unique("site")
    infos = {"fi": {"name": f"Paikka {name}"}} if infos is None else infos
    creator_id = user_id(creator)
    now = utcnow()
    async with writing(target) as conn:
        result = await conn.execute(tables.sites.insert().values(
            project_id=project_id, name=name, name_key=fold(name), state=state, lat=lat, lon=lon,
            creator_id=creator_id, created_at=now, modified_at=now))
        site_id = int(result.inserted_primary_key[0])
        for lang, info in infos.items():
            await conn.execute(tables.site_information.insert().values(
                site_id=site_id, lang=lang, modifier_id=creator_id, created_at=now, modified_at=now, **info))
    return SiteRow(id=site_id, name=name, project_id=project_id)


async def insert_memory(target: Target, site_id: int, *, author: UserRef | None = None, state: str = "published",
                        title: str = "Muisto", story: str | None = None, memory_id: int | None = None) -> int:
    """A memory's id (`memory_id` forces one, for ids the URLs must tell apart from names)."""
    now = utcnow()
    values: dict[str, Any] = {"site_id": site_id, "user_id": user_id(author), "title": title, "story": story,
                              "state": state, "created_at": now, "modified_at": now}
    if memory_id is not None:
        values["id"] = memory_id
    async with writing(target) as conn:
        return int((await conn.execute(tables.memories.insert().values(**values))).inserted_primary_key[0])


async def insert_comment(target: Target, memory_id: int, *, author: UserRef | None = None,
                         state: str = "published", text: str = "Kommentti") -> int:
    now = utcnow()
    async with writing(target) as conn:
        result = await conn.execute(tables.comments.insert().values(
            memory_id=memory_id, user_id=user_id(author), comment=text, state=state, created_at=now,
            modified_at=now))
    return int(result.inserted_primary_key[0])
