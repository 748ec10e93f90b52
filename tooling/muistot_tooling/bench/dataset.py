"""The bench's data set (the `bench` seed profile, always the same) and what the cases read and write."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.accounts import create_session_for_email
from muistot.db.engine import Database, create_engine
from muistot.db.tables import (
    memories,
    project_admins,
    project_moderators,
    projects,
    site_information,
    sites,
    superusers,
    users,
)
from muistot.settings import Settings
from muistot_tooling.seed import PROFILES, Counts, seed_demo

SEED = 1  # picked so that the profile's ranges land on the volume (650 / 9 164 / 49 987)
TAG = "bench"
WRITERS = 8
WRITE_SITES = 20
WRITE_MEMORIES = 50


@dataclass(frozen=True)
class Targets:
    """What the cases ask for: paths are relative to the gateway, emails those of ordinary users."""

    read_project: str
    read_site: str
    big_project: str
    write_project: str
    write_sites: tuple[str, ...]
    write_memories: tuple[tuple[str, int], ...]  # (site, memory id)
    reader: str
    writers: tuple[str, ...]


@dataclass(frozen=True)
class Sessions:
    reader: str
    writers: tuple[str, ...]


async def seed(settings: Settings) -> Counts:
    return await seed_demo(settings, seed=SEED, profile="bench", tag=TAG)


async def _published_sites(conn: AsyncConnection) -> dict[str, list[tuple[str, int]]]:
    """Per published project: its published sites with their published memory counts, in id order."""
    counted = (select(sites.c.id, sites.c.name, projects.c.name.label("project"),
                      func.count(memories.c.id).label("memories"))
               .join(projects, projects.c.id == sites.c.project_id)
               .outerjoin(memories, (memories.c.site_id == sites.c.id) & (memories.c.state == "published"))
               .where(projects.c.published.is_(True), sites.c.state == "published")
               .group_by(sites.c.id, sites.c.name, projects.c.name)
               .order_by(sites.c.id))
    found: dict[str, list[tuple[str, int]]] = {}
    for row in (await conn.execute(counted)).all():
        found.setdefault(row.project, []).append((row.name, int(row.memories)))
    return found


async def pick_targets(settings: Settings) -> Targets:
    database = Database(create_engine(settings))
    try:
        async with database.connect() as conn:
            text_sizes = (select(projects.c.name, func.sum(func.length(site_information.c.description)))
                          .join(sites, sites.c.project_id == projects.c.id)
                          .join(site_information, site_information.c.site_id == sites.c.id)
                          .group_by(projects.c.name))
            big = max((await conn.execute(text_sizes)).all(), key=lambda row: (row[1] or 0, row[0]))[0]
            published = await _published_sites(conn)
            others = sorted((name for name in published if name != big), key=lambda name: (len(published[name]), name))
            if len(others) < 2:
                raise RuntimeError("the bench data set needs at least three published projects")
            # A typical project to read (the median by site count), and another one to write to.
            read_project = others[len(others) // 2]
            write_project = others[len(others) // 2 - 1]
            mean = sum(PROFILES["bench"].memories_per_site) / 2
            read_site = min(published[read_project], key=lambda site: abs(site[1] - mean))[0]
            write_sites = tuple(name for name, _ in published[write_project][:WRITE_SITES])
            on_sites = (select(sites.c.name, memories.c.id)
                        .join(memories, memories.c.site_id == sites.c.id)
                        .join(projects, projects.c.id == sites.c.project_id)
                        .where(projects.c.name == write_project, sites.c.state == "published",
                               memories.c.state == "published")
                        .order_by(memories.c.id).limit(WRITE_MEMORIES))
            write_memories = tuple((row[0], int(row[1])) for row in (await conn.execute(on_sites)).all())
            staff = union(select(project_admins.c.user_id), select(project_moderators.c.user_id),
                          select(superusers.c.user_id)).subquery()
            ordinary = (select(users.c.email).where(users.c.id.not_in(select(staff.c.user_id)),
                                                    users.c.email.is_not(None), users.c.verified.is_(True))
                        .order_by(users.c.id).limit(1 + WRITERS))
            emails = [str(row[0]) for row in (await conn.execute(ordinary)).all()]
    finally:
        await database.dispose()
    if len(emails) < 1 + WRITERS:
        raise RuntimeError("the bench data set has too few ordinary users")
    return Targets(read_project=read_project, read_site=read_site, big_project=big, write_project=write_project,
                   write_sites=write_sites, write_memories=write_memories, reader=emails[0],
                   writers=tuple(emails[1:]))


async def sign_in(settings: Settings, targets: Targets) -> Sessions:
    """Bearer tokens of the reader and the writers, as sign-in would give them."""
    reader = await create_session_for_email(settings, targets.reader)
    writers = tuple([await create_session_for_email(settings, email) for email in targets.writers])
    return Sessions(reader=reader, writers=writers)
