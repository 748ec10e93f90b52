"""`muistot-dev seed --demo [--scale 1.0] [--profile demo|bench]`: fill a migrated database with a data set.

How much data is a `Profile`; what the texts say is kept apart so either can change alone.

* `demo` (the original filler's volume): 10 000 users, 10 projects, 10–100 sites per project (~550),
  1–25 memories per site (~7 000) and 1–10 comments per memory (~39 000); 5% waits for moderation. Its
  texts are `muistot_tooling.demo_content`: themed projects in Finnish towns with their real landmarks and streets in
  Finnish and English, memories people could have told and photos drawn by `muistot_tooling.demo_photos` (small JPEGs
  written through the storage driver: a site has one, every other memory too, sepia for the older ones).
* `bench` (what `make bench` measures): the same users and projects, ~650 sites, ~9 000 memories,
  ~50 000 comments, 1% unpublished, and a first project of 100 sites whose descriptions are ~8 KB
  each (as long as real projects' are), so that its site list is ~0.85 MB. Its texts are `FillerTexts`,
  words strung together, and it has no photos, so seeding stays fast.

`--scale` shrinks users and projects (0.01 → 100 users, 1 project). Rows are bulk-inserted in batches
with explicit ids, so parents and children link up without a round trip per row; it runs in seconds
on MariaDB and SQLite. With `--seed` the data set is the same on every run (names carry a run tag).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, ClassVar

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import Database, create_engine, utcnow
from muistot.db.tables import (
    comments,
    images,
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
from muistot.storage import Storage, open_storage
from muistot.text import fold
from muistot_tooling.demo_content import THEMES, MuseumTexts
from muistot_tooling.demo_photos import HEIGHT as PHOTO_HEIGHT
from muistot_tooling.demo_photos import WIDTH as PHOTO_WIDTH
from muistot_tooling.demo_photos import demo_photo

BATCH = 2000


@dataclass(frozen=True)
class Profile:
    """The volume of a data set: counts and sizes only, no texts."""

    users: int
    projects: int
    sites_per_project: tuple[int, int]
    memories_per_site: tuple[int, int]
    comments_per_memory: tuple[int, int]
    # Share of sites, memories and comments left waiting for moderation (invisible to anonymous readers).
    unpublished: float
    # The first `long_projects` projects have exactly `long_project_sites` sites, all published, whose
    # descriptions are at least `long_description_chars` long.
    long_projects: int = 0
    long_project_sites: int = 100
    long_description_chars: int = 8000

    def scaled(self, scale: float) -> Profile:
        projects = max(1, round(self.projects * scale))
        return replace(self, users=max(10, round(self.users * scale)), projects=projects,
                       long_projects=min(self.long_projects, projects))


PROFILES = {
    "demo": Profile(users=10_000, projects=10, sites_per_project=(10, 100), memories_per_site=(1, 25),
                    comments_per_memory=(1, 10), unpublished=0.05),
    "bench": Profile(users=10_000, projects=10, sites_per_project=(22, 100), memories_per_site=(1, 27),
                     comments_per_memory=(1, 10), unpublished=0.01, long_projects=1),
}


class FillerTexts:
    """Words strung together in Finnish and English: enough to fill the columns, not to read."""

    FI_WORDS = ("kesä", "mökki", "järvi", "sauna", "koulu", "mummola", "tori", "silta", "mylly", "satama", "metsä",
                "kirkko", "pelto", "asema", "kahvila", "ranta", "talvi", "lapsuus", "kylä", "tanssi")
    EN_WORDS = ("summer", "cottage", "lake", "sauna", "school", "granny's house", "market", "bridge", "mill",
                "harbour", "forest", "church", "field", "station", "café", "shore", "winter", "childhood",
                "village", "dance")
    PLACES = ("Vanha mylly", "Kauppatori", "Rautatieasema", "Kirkonmäki", "Satama", "Uimaranta", "Koulu",
              "Tanssilava", "Kirjasto", "Meijeri", "Saha", "Lossi", "Kioski", "Seurantalo", "Lentokenttä")
    PROJECT_TITLES: ClassVar[dict[str, str]] = {"fi": "Muistoja", "en": "Memories"}

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def words(self, lang: str) -> Sequence[str]:
        return self.FI_WORDS if lang == "fi" else self.EN_WORDS

    def sentence(self, words: Sequence[str], length: int) -> str:
        text = " ".join(self.rng.choice(words) for _ in range(length))
        return text[:1].upper() + text[1:] + "."

    def long_text(self, words: Sequence[str], chars: int) -> str:
        """Sentences until the text is at least `chars` long."""
        parts: list[str] = []
        size = 0
        while size < chars:
            parts.append(self.sentence(words, self.rng.randint(8, 20)))
            size += len(parts[-1]) + 1
        return " ".join(parts)

    def project_info(self, lang: str, number: int) -> dict[str, str]:
        words = self.words(lang)
        return {"name": f"{self.PROJECT_TITLES[lang]} {number}", "abstract": self.sentence(words, 8),
                "description": self.sentence(words, 60)}

    def place(self) -> str:
        return self.rng.choice(self.PLACES)

    def site_info(self, lang: str, place: str, description_chars: int = 0) -> dict[str, str]:
        words = self.words(lang)
        description = self.long_text(words, description_chars) if description_chars else self.sentence(words, 80)
        return {"name": place if lang == "fi" else f"{place} ({lang})", "abstract": self.sentence(words, 12),
                "description": description}

    def memory(self) -> dict[str, str]:
        return {"title": self.sentence(self.FI_WORDS, 3)[:200], "story": self.sentence(self.FI_WORDS, 120)}

    def comment(self) -> str:
        return self.sentence(self.rng.choice((self.FI_WORDS, self.EN_WORDS)), 10)


@dataclass
class Counts:
    users: int = 0
    projects: int = 0
    sites: int = 0
    memories: int = 0
    comments: int = 0
    photos: int = 0


async def _next_id(conn: AsyncConnection, table: Table) -> int:
    return int(await conn.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1


async def _insert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await conn.execute(table.insert(), rows[start:start + BATCH])


class PhotoPool:
    """The demo's photos: a few per kind of place, each stored once and shared by the items that show it."""

    VARIANTS = 3

    def __init__(self, first_id: int, run: str) -> None:
        self.next_id = first_id
        self.run = run
        self.ids: dict[tuple[str, bool, int], int] = {}
        self.rows: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}

    def image_id(self, rng: random.Random, kind: str, *, old: bool, now: Any) -> int:
        key = (kind, old, rng.randrange(self.VARIANTS))
        if key not in self.ids:
            name = f"demo-{self.run}-{kind}-{'old' if old else 'new'}-{key[2]}.jpg"
            data = demo_photo(f"{self.run}:{key}", kind, old=old)
            self.files[name] = data
            self.ids[key] = self.next_id
            self.rows.append({"id": self.next_id, "file_name": name, "content_type": "image/jpeg", "size": len(data),
                              "width": PHOTO_WIDTH, "height": PHOTO_HEIGHT, "created_at": now})
            self.next_id += 1
        return self.ids[key]

    async def store(self, storage: Storage) -> None:
        for name, data in self.files.items():
            await storage.put(name, data, "image/jpeg")

    async def discard(self, storage: Storage) -> None:
        for name in self.files:
            await storage.delete(name)


async def seed_demo(settings: Settings, scale: float = 1.0, seed: int | None = None, *,
                    profile: Profile | str = "demo", tag: str | None = None, museum: bool | None = None) -> Counts:
    """Insert a data set of `profile`'s volume (times `scale`); names carry `tag` (random unless given).

    `museum` (the default for the `demo` profile) writes the demo's texts and photos instead of filler words.
    """
    volume = (PROFILES[profile] if isinstance(profile, str) else profile).scaled(scale)
    museum = profile == "demo" if museum is None else museum
    rng = random.Random(seed)
    texts = FillerTexts(rng)
    demo = MuseumTexts(rng)
    run = tag or secrets.token_hex(3)
    now = utcnow()
    database = Database(create_engine(settings))
    storage = open_storage(settings.files_url)
    photos: PhotoPool | None = None

    def state() -> str:
        return "pending" if rng.random() < volume.unpublished else "published"

    try:
        async with database.transaction() as conn:
            user_id, project_id, site_id, memory_id, comment_id = [
                await _next_id(conn, table) for table in (users, projects, sites, memories, comments)]
            photos = PhotoPool(await _next_id(conn, images), run) if museum else None

            user_rows = []
            for index in range(volume.users):
                name = demo.username(index, run) if museum else \
                    f"{rng.choice(ADJECTIVES).capitalize()}{rng.choice(NOUNS).capitalize()}#{run}-{index}"
                email = f"demo-{run}-{index}@example.invalid"
                user_rows.append({"id": user_id + index, "username": name, "username_key": fold(name),
                                  "email": email, "email_key": fold(email), "verified": True,
                                  "created_at": now, "modified_at": now})
            user_ids = [row["id"] for row in user_rows]
            await _insert(conn, users, user_rows)

            rows: dict[str, list[dict[str, Any]]] = {name: [] for name in (
                "projects", "project_information", "project_admins", "project_moderators", "sites",
                "site_information", "memories", "comments")}
            for p in range(volume.projects):
                pid = project_id + p
                theme, round_ = demo.theme(p), p // len(THEMES)
                name = f"demo-{run}-{p + 1}"
                if museum:
                    name = f"{theme.slug}-{run}" + (f"-{round_ + 1}" if round_ else "")
                long = p < volume.long_projects
                admin, moderator = rng.sample(user_ids, 2)
                rows["projects"].append({"id": pid, "name": name, "name_key": fold(name), "default_language": "fi",
                                         "published": True, "auto_publish": p % 3 == 0, "admin_posting": p % 4 == 3,
                                         "creator_id": admin, "modifier_id": admin, "created_at": now,
                                         "modified_at": now})
                for lang in ("fi", "en"):
                    rows["project_information"].append({
                        "project_id": pid, "lang": lang,
                        **(demo.project_info(theme, lang, round_) if museum else texts.project_info(lang, p + 1)),
                        "modifier_id": admin, "created_at": now, "modified_at": now})
                rows["project_admins"].append({"project_id": pid, "user_id": admin, "created_at": now})
                rows["project_moderators"].append({"project_id": pid, "user_id": moderator, "created_at": now})
                site_count = volume.long_project_sites if long else rng.randint(*volume.sites_per_project)
                for index in range(site_count):
                    sid = site_id + len(rows["sites"])
                    creator = rng.choice(user_ids)
                    place = demo.site(theme, index) if museum else None
                    site_name = place.slug if place else f"site-{run}-{sid}"
                    # The filler's random draws stay in their order (state, lat, lon), so `make bench` seeds the
                    # same data as before.
                    rows["sites"].append({
                        "id": sid, "project_id": pid, "name": site_name, "name_key": fold(site_name),
                        "state": "published" if long else state(),
                        "lat": place.lat if place else round(rng.uniform(59.9, 70.1), 6),
                        "lon": place.lon if place else round(rng.uniform(19.4, 33.3), 6),
                        "image_id": photos.image_id(rng, place.kind, old=False, now=now) if photos and place else None,
                        "creator_id": creator, "modifier_id": creator, "created_at": now, "modified_at": now})
                    filler_place = None if place else texts.place()
                    for lang in ("fi", "en"):
                        info = demo.site_info(place, lang) if place else texts.site_info(
                            lang, filler_place or "", volume.long_description_chars if long else 0)
                        rows["site_information"].append({"site_id": sid, "lang": lang, **info, "modifier_id": creator,
                                                         "created_at": now, "modified_at": now})
                    for _ in range(rng.randint(*volume.memories_per_site)):
                        mid = memory_id + len(rows["memories"])
                        written = now - timedelta(days=rng.randint(0, 900), minutes=rng.randint(0, 1440))
                        author = rng.choice(user_ids)
                        if place and photos:
                            story, year = demo.memory(theme, place)
                            image = photos.image_id(rng, place.kind, old=year < 1970, now=now) \
                                if rng.random() < 0.5 else None
                        else:
                            story, image = texts.memory(), None
                        rows["memories"].append({
                            "id": mid, "site_id": sid, "user_id": author, **story, "image_id": image,
                            "state": state(), "created_at": written, "modified_at": written})
                        for _ in range(rng.randint(*volume.comments_per_memory)):
                            rows["comments"].append({
                                "id": comment_id + len(rows["comments"]), "memory_id": mid,
                                "user_id": rng.choice(user_ids), "comment": texts.comment(), "state": state(),
                                "created_at": written, "modified_at": written})
            if photos is not None:
                # Files first, rows after: a failed transaction deletes them again (below).
                await photos.store(storage)
                await _insert(conn, images, photos.rows)
            for table in (projects, project_information, project_admins, project_moderators, sites,
                          site_information, memories, comments):
                await _insert(conn, table, rows[table.name])
        counts = Counts(users=len(user_rows), projects=len(rows["projects"]), sites=len(rows["sites"]),
                        memories=len(rows["memories"]), comments=len(rows["comments"]),
                        photos=len(photos.rows) if photos else 0)
    except BaseException:
        if photos is not None:
            await photos.discard(storage)
        raise
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
    from muistot.commands import fail, load_settings

    if not args.demo:
        return fail("seed: say --demo to fill this database with demo data")
    if not 0 < args.scale <= 10:
        return fail("seed: --scale must be in (0, 10]")
    counts = asyncio.run(seed_demo(load_settings(), args.scale, args.seed, profile=args.profile))
    print(f"muistot: seeded {counts.users} users, {counts.projects} projects, {counts.sites} sites, "
          f"{counts.memories} memories, {counts.comments} comments, {counts.photos} photos")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("seed", help="fill the database with a demo data set")
    parser.add_argument("--demo", action="store_true", help="insert the demo data set (users, projects, content)")
    parser.add_argument("--scale", type=float, default=1.0, help="size relative to the full set (default 1.0)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable data set")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="demo",
                        help="volume: demo (default) or bench (more content, one project with long descriptions)")
    parser.set_defaults(func=cmd_seed)
