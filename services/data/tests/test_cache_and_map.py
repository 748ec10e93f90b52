"""The anonymous response cache, nearest sites in any hemisphere, the bbox viewport and GeoJSON."""

from __future__ import annotations

from redis.asyncio import Redis

from muistot.content.cache import ResponseCache
from muistot.db.engine import Database, create_engine
from muistot.redis import RedisClients
from muistot_tooling.testing.plugin import CLOSED_MYSQL_URL


async def test_cache_reflects_writes_at_once(data, world, content):
    site, _ = await content.site(world.project_id, creator=world.owner)
    path = f"/projects/{world.project}/sites/{site}"
    first = (await data.get(path)).json()
    assert first["info"]["name"] == f"Paikka {site}"
    response = await data.patch(path, json={"info": {"lang": "fi", "name": "Uusi nimi"}}, headers=world.owner.headers)
    assert response.status_code == 204
    assert (await data.get(path)).json()["info"]["name"] == "Uusi nimi"
    memories = f"{path}/memories"
    assert (await data.get(memories)).json() == {"items": []}
    created = await data.post(memories, json={"title": "t"}, headers=world.admin.headers)
    assert created.status_code == 201
    memory_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert (await data.get(memories)).json() == {"items": []}  # pending: still invisible to the public
    assert [m["id"] for m in (await data.get(memories, headers=world.admin.headers)).json()["items"]] == [memory_id]


async def test_cache_is_per_language_and_anonymous_only(data, world, content):
    site, _ = await content.site(world.project_id, infos={"fi": {"name": "Mylly"}, "en": {"name": "Mill"}})
    path = f"/projects/{world.project}/sites/{site}"
    assert (await data.get(path, headers={"Accept-Language": "en"})).json()["info"]["name"] == "Mill"
    assert (await data.get(path, headers={"Accept-Language": "fi"})).json()["info"]["name"] == "Mylly"
    assert (await data.get(path, headers={"Muistot-Language": "en"})).json()["info"]["name"] == "Mill"
    pending, _ = await content.site(world.project_id, creator=world.owner, state="pending")
    listing = f"/projects/{world.project}/sites"
    assert pending not in {s["id"] for s in (await data.get(listing)).json()["items"]}
    assert pending in {s["id"] for s in (await data.get(listing, headers=world.owner.headers)).json()["items"]}
    assert pending not in {s["id"] for s in (await data.get(listing)).json()["items"]}


async def test_reads_work_without_redis(data, world, content, test_settings):
    site, _ = await content.site(world.project_id)
    broken = Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    state = data.app.state
    working = state.response_cache
    state.response_cache = ResponseCache(RedisClients(sessions=broken, cache=broken, prefix="x:"), 60,
                                         tuple(test_settings.language_list))
    try:
        response = await data.get(f"/projects/{world.project}/sites/{site}")
        assert response.status_code == 200 and response.json()["id"] == site
    finally:
        state.response_cache = working
        await broken.aclose()


async def test_a_large_list_kept_in_process_follows_every_write(data, world, content):
    """A body of 64 KiB or more is also kept in the process (Redis then answers only the counter); a write
    through the API makes that copy stale exactly like the Redis entry."""
    long_text = "Muistan sataman ja vanhan myllyn. " * 2500  # ~85 KB
    site, _ = await content.site(world.project_id, creator=world.owner,
                                 infos={"fi": {"name": "Satama", "description": long_text}})
    path = f"/projects/{world.project}/sites"
    first = await data.get(path)
    assert first.status_code == 200 and len(first.content) > 80_000
    assert (await data.get(path)).content == first.content
    changed = await data.patch(f"{path}/{site}", json={"info": {"lang": "fi", "name": "Uusi satama"}},
                               headers=world.owner.headers)
    assert changed.status_code == 204
    names = {item["id"]: item["info"]["name"] for item in (await data.get(path)).json()["items"]}
    assert names[site] == "Uusi satama"


async def test_cached_reads_need_no_database(data, world, content, test_settings):
    """A hit is answered from Redis alone: with the database unreachable, cached reads still answer 200,
    uncached ones the JSON 503, and a signed-in reader (never cached) the 503 too."""
    site, _ = await content.site(world.project_id)
    paths = ["/projects", f"/projects/{world.project}", f"/projects/{world.project}/sites/{site}",
             f"/projects/{world.project}/sites/{site}/memories"]
    warm = {path: (await data.get(path)).content for path in paths}
    state = data.app.state
    working = state.db
    state.db = Database(create_engine(test_settings.model_copy(update={"database_url": CLOSED_MYSQL_URL}),
                                      pool_timeout=1))
    try:
        for path in paths:
            response = await data.get(path)
            assert response.status_code == 200 and response.content == warm[path], path
            assert response.headers["content-type"] == "application/json"
        assert (await data.get(f"/projects/{world.project}/sites")).status_code == 503
        assert (await data.get(paths[1], headers=world.other.headers)).status_code == 503
    finally:
        await state.db.dispose()
        state.db = working


async def test_nearest_in_any_hemisphere(data, content, world):
    name, project_id = await content.project()
    cape_town, _ = await content.site(project_id, lat=-33.92, lon=18.42)
    sydney, _ = await content.site(project_id, lat=-33.87, lon=151.21)
    helsinki, _ = await content.site(project_id, lat=60.17, lon=24.94)
    fiji, _ = await content.site(project_id, lat=-17.7, lon=178.0)
    path = f"/projects/{name}/sites"
    near = (await data.get(f"{path}?n=2&lat=-34&lon=150")).json()["items"]
    assert [s["id"] for s in near] == [sydney, fiji]
    # Across the antimeridian: Fiji is closer to -179° than Sydney.
    near = (await data.get(f"{path}?n=1&lat=-18&lon=-179.5")).json()["items"]
    assert [s["id"] for s in near] == [fiji]
    near = (await data.get(f"{path}?n=10&lat=59&lon=20")).json()["items"]
    assert [s["id"] for s in near][:2] == [helsinki, cape_town] and len(near) == 4
    bad = await data.get(f"{path}?n=2&lat=-34")
    assert bad.status_code == 422 and bad.json() == {"error": {"code": 422, "message": "Bad Params"}}
    out_of_range = await data.get(f"{path}?n=2&lat=-91&lon=0")
    assert out_of_range.status_code == 422 and out_of_range.json()["error"]["errors"][0]["loc"] == ["query", "lat"]


async def test_bbox_and_geojson(data, content):
    name, project_id = await content.project()
    helsinki, _ = await content.site(project_id, lat=60.17, lon=24.94, infos={"fi": {"name": "Helsinki"}})
    fiji, fiji_id = await content.site(project_id, lat=-17.7, lon=178.0)
    samoa, _ = await content.site(project_id, lat=-13.8, lon=-172.1)
    await content.memory(fiji_id)
    path = f"/projects/{name}/sites"
    inside = (await data.get(f"{path}?bbox=20,59,30,61")).json()["items"]
    assert [s["id"] for s in inside] == [helsinki]
    across = (await data.get(f"{path}?bbox=170,-20,-170,-10")).json()["items"]
    assert {s["id"] for s in across} == {fiji, samoa}
    for bad in ("1,2,3", "a,b,c,d", "0,10,5,5", "0,-91,5,5", "-181,0,5,5"):
        response = await data.get(f"{path}?bbox={bad}")
        assert response.status_code == 422 and response.json()["error"]["errors"][0]["loc"] == ["query", "bbox"]
    geo = await data.get(f"/projects/{name}/sites.geojson?bbox=170,-20,-170,-10")
    assert geo.headers["content-type"].startswith("application/geo+json")
    body = geo.json()
    assert body["type"] == "FeatureCollection"
    fiji_feature = next(f for f in body["features"] if f["properties"]["id"] == fiji)
    assert fiji_feature["geometry"] == {"type": "Point", "coordinates": [178.0, -17.7]}
    assert fiji_feature["properties"] == {"id": fiji, "name": f"Paikka {fiji}", "memories_count": 1}
    full = (await data.get(f"/projects/{name}/sites.geojson")).json()
    assert len(full["features"]) == 3


async def test_cached_answers_say_their_language_and_what_they_vary_on(data, world, content, test_settings):
    """A miss and the hit after it (answered with the database unreachable, so from the cache) carry the same
    Content-Language and Vary, in each language; memories are not localised and vary on the caller only."""
    name, project_id = await content.project(infos={"fi": {"name": "Kisakesä"}, "en": {"name": "Olympic summer"}})
    site, site_id = await content.site(project_id, infos={"fi": {"name": "Mylly"}, "en": {"name": "Mill"}})
    await content.memory(site_id)
    localised = [f"/projects/{name}", f"/projects/{name}/sites", f"/projects/{name}/sites/{site}",
                 f"/projects/{name}/sites.geojson"]
    memories = f"/projects/{name}/sites/{site}/memories"
    asked = [(path, {header: lang}) for path in localised for lang in ("fi", "en")
             for header in ("Accept-Language", "Muistot-Language")]
    misses = {(path, str(headers)): await data.get(path, headers=headers) for path, headers in [
        *asked, ("/projects", {"Accept-Language": "en"}), (memories, {})]}
    state = data.app.state
    working = state.db
    state.db = Database(create_engine(test_settings.model_copy(update={"database_url": CLOSED_MYSQL_URL}),
                                      pool_timeout=1))
    try:
        hits = {key: await data.get(key[0], headers=dict(misses[key].request.headers)) for key in misses}
    finally:
        await state.db.dispose()
        state.db = working
    for (path, headers), miss in misses.items():
        hit = hits[path, headers]
        assert miss.status_code == hit.status_code == 200, path
        assert hit.content == miss.content, path
        assert [hit.headers.get(name) for name in ("content-language", "vary", "content-type")] == \
               [miss.headers.get(name) for name in ("content-language", "vary", "content-type")], path
    for path, headers in asked:
        miss = misses[path, str(headers)]
        assert miss.headers["content-language"] == next(iter(headers.values())), (path, headers)
        assert miss.headers["vary"] == "Accept-Language, Muistot-Language, Authorization"
    assert misses[localised[0], str({"Accept-Language": "en"})].json()["info"]["name"] == "Olympic summer"
    listed = misses["/projects", str({"Accept-Language": "en"})]
    assert set(listed.headers["content-language"].split(", ")) == {p["info"]["lang"] for p in listed.json()["items"]}
    memory_list = misses[memories, "{}"]
    assert "content-language" not in memory_list.headers and memory_list.headers["vary"] == "Authorization"


async def test_a_text_missing_in_the_asked_language_answers_in_the_default_and_says_so(data, world, content):
    """Content-Language names the language the texts are in: the project's default when the asked one has no
    row, for an anonymous and a signed-in reader alike (the latter served the shared cached view)."""
    name, project_id = await content.project(default_language="en", infos={"en": {"name": "English only"}})
    site, _ = await content.site(project_id, infos={"en": {"name": "Mill"}})
    for path in (f"/projects/{name}", f"/projects/{name}/sites/{site}", f"/projects/{name}/sites"):
        for headers in ({}, world.other.headers):
            for _ in range(2):
                response = await data.get(path, headers={"Accept-Language": "fi", **headers})
                assert response.status_code == 200, path
                assert response.headers["content-language"] == "en", path
                assert response.headers["vary"] == "Accept-Language, Muistot-Language, Authorization"


async def test_geojson_bytes_are_a_plain_feature_collection(data, content):
    name, project_id = await content.project()
    site, _ = await content.site(project_id, lat=60.17, lon=24.94, infos={"fi": {"name": "Helsinki"}})
    answer = await data.get(f"/projects/{name}/sites.geojson")
    assert answer.content == (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"%s","geometry":{"type":"Point",'
        b'"coordinates":[24.94,60.17]},"properties":{"id":"%s","name":"Helsinki","memories_count":0}}]}'
        % (site.encode(), site.encode()))
