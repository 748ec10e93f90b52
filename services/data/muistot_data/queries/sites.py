"""Site reads (lists, one site, the map viewport and GeoJSON).

All modes run one statement for the sites (nearest mode first fetches the visible coordinates,
computes great-circle distances in Python and then loads the `n` nearest) and one for the memory
images that stand in for sites without their own.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content.access import Chain, Viewer, Visibility, visibility_of, visible_filter
from muistot.db.tables import ReviewState, images, memories, site_information, sites, users
from muistot.errors import ApiError
from muistot_data.models import Point, Site
from muistot_data.queries.flags import site_flags
from muistot_data.queries.localized import build_info, info_aliases, info_columns, join_condition, requested_lang

s = sites.c
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.west > self.east

    def params(self) -> dict[str, float]:
        return {"west": self.west, "south": self.south, "east": self.east, "north": self.north}


def _bbox_condition(crosses_antimeridian: bool) -> Any:
    lat = and_(s.lat >= bindparam("south"), s.lat <= bindparam("north"))
    if not crosses_antimeridian:
        return and_(lat, s.lon >= bindparam("west"), s.lon <= bindparam("east"))
    # A viewport across the antimeridian: west of 180° or east of −180°.
    return and_(lat, or_(s.lon >= bindparam("west"), s.lon <= bindparam("east")))


@dataclass(frozen=True)
class Nearest:
    n: int
    lat: float
    lon: float


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a sphere."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@cache
def _select(lang_given: bool, *, require_default_info: bool) -> Any:
    """A project's sites (`project_id`) with localised info; built once per shape, run with parameters.

    `lang_given`: the request names a language other than the project's default, so both rows are joined."""
    req, dflt = info_aliases(site_information)
    creator, modifier = users.alias("creator"), users.alias("modifier")
    memories_count = (select(func.count()).select_from(memories)
                      .where(memories.c.site_id == s.id, memories.c.state == ReviewState.published.value)
                      .scalar_subquery())
    default_lang = bindparam("default_lang")
    joined: Any = sites
    if lang_given:
        joined = joined.outerjoin(req, join_condition(req, "site_id", s.id, requested_lang(True, default_lang)))
    dflt_on = join_condition(dflt, "site_id", s.id, default_lang)
    joined = joined.join(dflt, dflt_on) if require_default_info else joined.outerjoin(dflt, dflt_on)
    answering = req if lang_given else dflt  # the row whose modifier is shown
    joined = (joined.outerjoin(images, images.c.id == s.image_id)
              .outerjoin(creator, creator.c.id == s.creator_id)
              .outerjoin(modifier, modifier.c.id == answering.c.modifier_id))
    return (select(s.id, s.name, s.state, s.lat, s.lon, s.creator_id, images.c.file_name.label("image"),
                   creator.c.username.label("creator"), modifier.c.username.label("modifier"),
                   memories_count.label("memories_count"), *info_columns(req if lang_given else None, dflt))
            .select_from(joined).where(s.project_id == bindparam("project_id")))


@cache
def _list_statement(lang_given: bool, visibility: Visibility, bbox: bool | None) -> Any:
    """Visible sites in id order; `bbox` None for no viewport, else whether it crosses the antimeridian."""
    query = _select(lang_given, require_default_info=True).where(visible_filter(s.state, s.creator_id, visibility))
    if bbox is not None:
        query = query.where(_bbox_condition(bbox))
    return query.order_by(s.id)


@cache
def _points_statement(visibility: Visibility, bbox: bool | None) -> Any:
    query = select(s.id, s.lat, s.lon).where(s.project_id == bindparam("project_id"),
                                             visible_filter(s.state, s.creator_id, visibility))
    return query.where(_bbox_condition(bbox)) if bbox is not None else query


@cache
def _chosen_statement(lang_given: bool) -> Any:
    return _select(lang_given, require_default_info=True).where(s.id.in_(bindparam("site_ids", expanding=True)))


@cache
def _one_statement(lang_given: bool) -> Any:
    return _select(lang_given, require_default_info=False).where(s.id == bindparam("site_id"))


MEMORY_IMAGES = (select(memories.c.site_id, images.c.file_name)
                 .join(images, images.c.id == memories.c.image_id)
                 .where(memories.c.site_id.in_(bindparam("site_ids", expanding=True)),
                        memories.c.state == ReviewState.published.value))


async def _memory_images(conn: AsyncConnection, site_ids: list[int]) -> dict[int, list[str]]:
    """Images of published memories, for sites that have none of their own (chosen at random, as the original did)."""
    found: dict[int, list[str]] = defaultdict(list)
    if not site_ids:
        return found
    for row in await conn.execute(MEMORY_IMAGES, {"site_ids": site_ids}):
        found[row.site_id].append(row.file_name)
    return found


def _site(row: Any, viewer: Viewer, fallback_images: dict[int, list[str]]) -> Site:
    own, waiting = site_flags(viewer, row.creator_id, row.state)
    image = row.image
    if image is None and fallback_images.get(row.id):
        image = random.choice(fallback_images[row.id])
    return Site(id=row.name, info=build_info(row, row.name), location=Point(lat=row.lat, lon=row.lon), image=image,
                memories_count=int(row.memories_count), waiting_approval=waiting, own=own, creator=row.creator,
                modifier=row.modifier)


async def _build(conn: AsyncConnection, rows: list[Any], viewer: Viewer) -> list[Site]:
    fallback = await _memory_images(conn, [row.id for row in rows if row.image is None])
    return [_site(row, viewer, fallback) for row in rows]


def _params(chain: Chain, lang: str | None) -> dict[str, Any]:
    return {"project_id": chain.project.id, "default_lang": chain.project.default_language, "lang": lang,
            "viewer_id": chain.viewer.user_id}


def _other_language(chain: Chain, lang: str | None) -> bool:
    """Whether the request asks for a language other than the project's default (see `_select`)."""
    return lang is not None and lang != chain.project.default_language


async def list_sites(conn: AsyncConnection, chain: Chain, lang: str | None, *, bbox: BBox | None = None,
                     nearest: Nearest | None = None) -> list[Site]:
    viewer = chain.viewer
    visibility = visibility_of(viewer)
    viewport = None if bbox is None else bbox.crosses_antimeridian
    params = _params(chain, lang) | (bbox.params() if bbox is not None else {})
    if nearest is None:
        rows = (await conn.execute(_list_statement(_other_language(chain, lang), visibility, viewport), params)).all()
        return await _build(conn, rows, viewer)
    points = await conn.execute(_points_statement(visibility, viewport), params)
    ranked = sorted(points, key=lambda row: great_circle_km(nearest.lat, nearest.lon, row.lat, row.lon))
    order = {row.id: index for index, row in enumerate(ranked[:nearest.n])}
    if not order:
        return []
    chosen = await conn.execute(_chosen_statement(_other_language(chain, lang)), params | {"site_ids": list(order)})
    return await _build(conn, sorted(chosen.all(), key=lambda row: order[row.id]), viewer)


async def one_site(conn: AsyncConnection, chain: Chain, lang: str | None) -> Site:
    assert chain.site is not None
    params = _params(chain, lang) | {"site_id": chain.site.id}
    row = (await conn.execute(_one_statement(_other_language(chain, lang)), params)).one()
    if row.dflt_lang is None:
        raise ApiError(406, "Site missing default localization")
    return (await _build(conn, [row], chain.viewer))[0]
