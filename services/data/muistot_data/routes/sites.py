"""Site reads, the map viewport (`bbox`) and GeoJSON; contributor writes are in site_writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import Field, PrivateAttr

from muistot.content.access import Scope, load_chain
from muistot.content.cache import shared_audience
from muistot.content.ids import ProjectPath, SitePath
from muistot.content.language import requested_read_language
from muistot.db.engine import Database
from muistot.deps import DatabaseDep, MaybeCaller, SettingsDep
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.openapi import READ_LANGUAGE, errors, missing
from muistot.settings import Settings
from muistot_data.models import Output, Site, Sites, languages_of
from muistot_data.queries import memories as memory_queries
from muistot_data.queries import sites as queries
from muistot_data.queries.sites import BBox, Nearest
from muistot_data.responses import JSON, read_response

router = APIRouter(tags=["sites"])
GEOJSON = "application/geo+json"

N = Annotated[int | None, Query(ge=1)]
Lat = Annotated[float | None, Query(ge=-90, le=90)]
Lon = Annotated[float | None, Query(ge=-180, le=180)]
BBoxQuery = Annotated[str | None, Query(description="west,south,east,north in degrees; west > east crosses "
                                                    "the antimeridian")]


def _bbox_error(message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", "bbox"), "msg": message, "type": "value_error"}])


def parse_bbox(text: str | None) -> BBox | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise _bbox_error("bbox must be four numbers: west,south,east,north")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise _bbox_error("bbox must be four numbers: west,south,east,north") from None
    if not all(-180 <= lon <= 180 for lon in (west, east)):
        raise _bbox_error("bbox longitudes must be within -180..180")
    if not all(-90 <= lat <= 90 for lat in (south, north)):
        raise _bbox_error("bbox latitudes must be within -90..90")
    if south > north:
        raise _bbox_error("bbox south must not be above north")
    return BBox(west, south, east, north)


def parse_nearest(n: int | None, lat: float | None, lon: float | None) -> Nearest | None:
    given = [value is not None for value in (n, lat, lon)]
    if not any(given):
        return None
    if not all(given):
        raise ApiError(422, "Bad Params")
    assert n is not None and lat is not None and lon is not None
    return Nearest(n, lat, lon)


class PointGeometry(Output):
    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(min_length=2, max_length=2, description="`[lon, lat]` in WGS 84 degrees",
                                     examples=[[24.9272, 60.1867]])


class SiteProperties(Output):
    id: str
    name: str = Field(description="`info.name` in the language of the answer")
    memories_count: int


class SiteFeature(Output):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: SiteProperties


class GeoJson(Output):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[SiteFeature]
    _languages: list[str] = PrivateAttr(default_factory=list)  # the sites' `info.lang`, for Content-Language

    @classmethod
    def of(cls, sites: list[Site]) -> GeoJson:
        collection = cls(features=[_feature(site) for site in sites])
        collection._languages = languages_of(sites)
        return collection

    def languages(self) -> list[str]:
        return self._languages


class GeoJsonResponse(JSONResponse):
    """Only names the media type in the OpenAPI document; `read_response` builds the answer itself."""

    media_type = GEOJSON


def _feature(site: Site) -> SiteFeature:
    return SiteFeature(id=site.id, geometry=PointGeometry(coordinates=[site.location.lon, site.location.lat]),
                       properties=SiteProperties(id=site.id, name=site.info.name, memories_count=site.memories_count))


async def _site_listing(request: Request, db: Database, settings: Settings, project: str, caller: Principal | None,
                        filters: tuple[N, Lat, Lon, BBoxQuery], render: Callable[[list[Site]], Output],
                        media_type: str = JSON) -> Response:
    """The visible sites of a project with the list filters, shaped by `render` (cached for anonymous)."""
    n, lat, lon, bbox = filters
    nearest, box = parse_nearest(n, lat, lon), parse_bbox(bbox)
    lang = requested_read_language(request, settings)
    async with db.connect() as conn:
        chain = (await load_chain(conn, caller, project, reading=Scope.project_sites)).require_listable()

        async def build() -> Output:
            return render(await queries.list_sites(conn, chain, lang, bbox=box, nearest=nearest))

        return await read_response(request, caller, build, media_type, shared=shared_audience(chain),
                                   localised=lang or chain.project.default_language)


@router.get("/projects/{project}/sites", response_model=Sites, openapi_extra=READ_LANGUAGE,
            responses=errors(missing("project")))
async def list_sites(request: Request, project: ProjectPath, caller: MaybeCaller, db: DatabaseDep,
                     settings: SettingsDep, n: N = None, lat: Lat = None, lon: Lon = None,
                     bbox: BBoxQuery = None) -> Response:
    """All visible sites, the `n` nearest to `lat`/`lon`, and/or those inside a `bbox` viewport."""
    return await _site_listing(request, db, settings, project, caller, (n, lat, lon, bbox),
                               lambda found: Sites(items=found))


@router.get("/projects/{project}/sites.geojson", response_model=GeoJson, openapi_extra=READ_LANGUAGE,
            response_class=GeoJsonResponse, responses=errors(missing("project")))
async def list_sites_geojson(request: Request, project: ProjectPath, caller: MaybeCaller, db: DatabaseDep,
                             settings: SettingsDep, n: N = None, lat: Lat = None, lon: Lon = None,
                             bbox: BBoxQuery = None) -> Response:
    """The visible sites as a GeoJSON FeatureCollection (Point `[lon, lat]`), with the same filters."""
    return await _site_listing(request, db, settings, project, caller, (n, lat, lon, bbox),
                               GeoJson.of, media_type=GEOJSON)


@router.get("/projects/{project}/sites/{site}", response_model=Site, openapi_extra=READ_LANGUAGE,
            responses=errors(missing("site")))
async def get_site(request: Request, project: ProjectPath, site: SitePath, caller: MaybeCaller, db: DatabaseDep,
                   settings: SettingsDep, include_memories: bool = False) -> Response:
    lang = requested_read_language(request, settings)
    async with db.connect() as conn:
        chain = (await load_chain(conn, caller, project, site, reading=Scope.site)).require_readable()

        async def build() -> Site:
            found = await queries.one_site(conn, chain, lang)
            if include_memories:
                assert chain.site is not None
                nested = await memory_queries.list_memories(conn, [chain.site.id], chain.viewer,
                                                            nest=memory_queries.Nest.none)
                found.memories = nested.get(chain.site.id, [])
            return found

        return await read_response(request, caller, build, shared=shared_audience(chain),
                                   localised=lang or chain.project.default_language)
