"""`muistot seed --demo [--scale 1.0]`: fill a migrated database with a realistic demo data set.

At scale 1 (as the original filler): 10 000 users, 10 projects, 10–100 sites per project (~550),
1–25 memories per site (~7 000) and 1–10 comments per memory (~39 000), with Finnish and English
texts. `--scale` shrinks users and projects (0.01 → 100 users, 1 project with ~55 sites).
Rows are bulk-inserted in batches with explicit ids, so parents and children link up without a
round trip per row; it runs in seconds on MariaDB and SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import Database, create_engine, utcnow
from muistot.db.tables import (
    comments,
    memories,
    project_admins,
    project_information,
    project_moderators,
    projects,
    site_information,
    sites,
    users,
)
from muistot.names import ADJECTIVES, NOUNS
from muistot.settings import Settings
from muistot.text import fold

BATCH = 2000
FI_WORDS = ("kesä", "mökki", "järvi", "sauna", "koulu", "mummola", "tori", "silta", "mylly", "satama", "metsä",
            "kirkko", "pelto", "asema", "kahvila", "ranta", "talvi", "lapsuus", "kylä", "tanssi")
EN_WORDS = ("summer", "cottage", "lake", "sauna", "school", "granny's house", "market", "bridge", "mill",
            "harbour", "forest", "church", "field", "station", "café", "shore", "winter", "childhood",
            "village", "dance")
PLACES = ("Vanha mylly", "Kauppatori", "Rautatieasema", "Kirkonmäki", "Satama", "Uimaranta", "Koulu", "Tanssilava",
          "Kirjasto", "Meijeri", "Saha", "Lossi", "Kioski", "Seurantalo", "Lentokenttä")


@dataclass
class Counts:
    users: int = 0
    projects: int = 0
    sites: int = 0
    memories: int = 0
    comments: int = 0


def sentence(rng: random.Random, words: Sequence[str], length: int) -> str:
    text = " ".join(rng.choice(words) for _ in range(length))
    return text[:1].upper() + text[1:] + "."


async def _next_id(conn: AsyncConnection, table: Table) -> int:
    return int(await conn.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1


async def _insert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await conn.execute(table.insert(), rows[start:start + BATCH])


async def seed_demo(settings: Settings, scale: float = 1.0, seed: int | None = None) -> Counts:
    rng = random.Random(seed)
    run = secrets.token_hex(3)
    now = utcnow()
    counts = Counts()
    database = Database(create_engine(settings))
    try:
        async with database.transaction() as conn:
            user_id, project_id, site_id, memory_id, comment_id = [
                await _next_id(conn, table) for table in (users, projects, sites, memories, comments)]

            user_rows = []
            for index in range(max(10, round(10_000 * scale))):
                name = f"{rng.choice(ADJECTIVES).capitalize()}{rng.choice(NOUNS).capitalize()}#{run}{index}"
                email = f"demo-{run}-{index}@example.invalid"
                user_rows.append({"id": user_id + index, "username": name, "username_key": fold(name),
                                  "email": email, "email_key": fold(email), "verified": True,
                                  "created_at": now, "modified_at": now})
            user_ids = [row["id"] for row in user_rows]
            await _insert(conn, users, user_rows)

            rows: dict[str, list[dict[str, Any]]] = {name: [] for name in (
                "projects", "project_information", "project_admins", "project_moderators", "sites",
                "site_information", "memories", "comments")}
            for p in range(max(1, round(10 * scale))):
                pid = project_id + p
                name = f"demo-{run}-{p + 1}"
                admin, moderator = rng.sample(user_ids, 2)
                rows["projects"].append({"id": pid, "name": name, "name_key": fold(name), "default_language": "fi",
                                         "published": True, "auto_publish": p % 3 == 0, "admin_posting": p % 4 == 3,
                                         "creator_id": admin, "modifier_id": admin, "created_at": now,
                                         "modified_at": now})
                for lang, words, title in (("fi", FI_WORDS, "Muistoja"), ("en", EN_WORDS, "Memories")):
                    rows["project_information"].append({
                        "project_id": pid, "lang": lang, "name": f"{title} {p + 1}",
                        "abstract": sentence(rng, words, 8), "description": sentence(rng, words, 60),
                        "modifier_id": admin, "created_at": now, "modified_at": now})
                rows["project_admins"].append({"project_id": pid, "user_id": admin, "created_at": now})
                rows["project_moderators"].append({"project_id": pid, "user_id": moderator, "created_at": now})
                for _ in range(rng.randint(10, 100)):
                    sid = site_id + len(rows["sites"])
                    creator = rng.choice(user_ids)
                    site_name = f"site-{run}-{sid}"
                    rows["sites"].append({
                        "id": sid, "project_id": pid, "name": site_name, "name_key": fold(site_name),
                        "state": "pending" if rng.random() < 0.05 else "published",
                        "lat": round(rng.uniform(59.9, 70.1), 6), "lon": round(rng.uniform(19.4, 33.3), 6),
                        "creator_id": creator, "modifier_id": creator, "created_at": now, "modified_at": now})
                    place = rng.choice(PLACES)
                    for lang, words in (("fi", FI_WORDS), ("en", EN_WORDS)):
                        rows["site_information"].append({
                            "site_id": sid, "lang": lang, "name": place if lang == "fi" else f"{place} ({lang})",
                            "abstract": sentence(rng, words, 12), "description": sentence(rng, words, 80),
                            "modifier_id": creator, "created_at": now, "modified_at": now})
                    for _ in range(rng.randint(1, 25)):
                        mid = memory_id + len(rows["memories"])
                        written = now - timedelta(days=rng.randint(0, 900), minutes=rng.randint(0, 1440))
                        rows["memories"].append({
                            "id": mid, "site_id": sid, "user_id": rng.choice(user_ids),
                            "title": sentence(rng, FI_WORDS, 3)[:200], "story": sentence(rng, FI_WORDS, 120),
                            "state": "pending" if rng.random() < 0.05 else "published",
                            "created_at": written, "modified_at": written})
                        for _ in range(rng.randint(1, 10)):
                            rows["comments"].append({
                                "id": comment_id + len(rows["comments"]), "memory_id": mid,
                                "user_id": rng.choice(user_ids),
                                "comment": sentence(rng, rng.choice((FI_WORDS, EN_WORDS)), 10),
                                "state": "pending" if rng.random() < 0.05 else "published",
                                "created_at": written, "modified_at": written})
            for table in (projects, project_information, project_admins, project_moderators, sites,
                          site_information, memories, comments):
                await _insert(conn, table, rows[table.name])
        counts = Counts(users=len(user_rows), projects=len(rows["projects"]), sites=len(rows["sites"]),
                        memories=len(rows["memories"]), comments=len(rows["comments"]))
    finally:
        await database.dispose()
    await _invalidate_cache(settings, [row["name"] for row in rows["projects"]])
    return counts


async def _invalidate_cache(settings: Settings, project_names: list[str]) -> None:
    """New projects must show up in cached lists at once; a missing Redis is fine here."""
    from muistot.content import generations
    from muistot.redis import RedisClients

    redis = RedisClients.from_settings(settings)
    try:
        await generations.bump(redis, *project_names)
    finally:
        await redis.close()


def cmd_seed(args: argparse.Namespace) -> int:
    from muistot.cli import fail, load_settings

    if not args.demo:
        return fail("seed: say --demo to fill this database with demo data")
    if not 0 < args.scale <= 10:
        return fail("seed: --scale must be in (0, 10]")
    counts = asyncio.run(seed_demo(load_settings(), args.scale, args.seed))
    print(f"muistot: seeded {counts.users} users, {counts.projects} projects, {counts.sites} sites, "
          f"{counts.memories} memories, {counts.comments} comments")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("seed", help="fill the database with a demo data set")
    parser.add_argument("--demo", action="store_true", help="insert the demo data set (users, projects, content)")
    parser.add_argument("--scale", type=float, default=1.0, help="size relative to the full set (default 1.0)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable data set")
    parser.set_defaults(func=cmd_seed)
