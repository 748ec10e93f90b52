"""Language negotiation with per-field fallback (never 406 for negotiation) and malformed ids."""

from __future__ import annotations

import pytest


async def test_fallback_per_field_and_headers(data, content):
    name, project_id = await content.project(infos={
        "fi": {"name": "Muistoja", "abstract": "Lyhyt", "description": "Pitkä"},
        "en": {"name": "Memories"}})
    site, _ = await content.site(project_id, infos={"fi": {"name": "Mylly", "abstract": "Vanha"}})
    path = f"/projects/{name}"
    assert (await data.get(path)).json()["info"] == {"lang": "fi", "name": "Muistoja", "abstract": "Lyhyt",
                                                     "description": "Pitkä"}
    english = (await data.get(path, headers={"Accept-Language": "en-US,en;q=0.5"})).json()["info"]
    assert english == {"lang": "en", "name": "Memories", "abstract": "Lyhyt", "description": "Pitkä"}
    assert (await data.get(path, headers={"Accept-Language": "az,bg,yf,fi-AA,en-US"})).json()["info"]["lang"] == "fi"
    assert (await data.get(path, headers={"Muistot-Language": "en", "Accept-Language": "fi"})).json()[
        "info"]["lang"] == "en"
    for header in ("de-DE,de;q=0.9", "FI-fi", "xx", "", "*"):
        response = await data.get(path, headers={"Accept-Language": header})
        assert response.status_code == 200
    # No English row for the site: the default row answers and says so.
    site_info = (await data.get(f"{path}/sites/{site}", headers={"Accept-Language": "en"})).json()["info"]
    assert site_info == {"lang": "fi", "name": "Mylly", "abstract": "Vanha"}


async def test_project_default_language_is_the_fallback(data, content):
    name, _ = await content.project(default_language="en", infos={"en": {"name": "English only"}})
    response = await data.get(f"/projects/{name}", headers={"Accept-Language": "fi"})
    assert response.json()["info"] == {"lang": "en", "name": "English only"}


async def test_missing_default_localisation(data, content):
    broken, broken_id = await content.project(infos={"en": {"name": "No Finnish"}})
    response = await data.get(f"/projects/{broken}")
    assert response.status_code == 406
    assert response.json()["error"]["message"] == "Project missing default localization"
    assert broken not in {p["id"] for p in (await data.get("/projects")).json()["items"]}
    site, _ = await content.site(broken_id, infos={"en": {"name": "x"}})
    name, project_id = await content.project()
    site, _ = await content.site(project_id, infos={"en": {"name": "x"}})
    response = await data.get(f"/projects/{name}/sites/{site}")
    assert response.status_code == 406 and response.json()["error"]["message"] == "Site missing default localization"
    assert (await data.get(f"/projects/{name}/sites")).json() == {"items": []}


@pytest.mark.parametrize(("path", "loc"), [
    ("/projects/abc", ["path", "project"]),
    ("/projects/ab%23cd", ["path", "project"]),
    ("/projects/" + "a" * 251, ["path", "project"]),
    ("/projects/valid-project/sites/x", ["path", "site"]),
    ("/projects/valid-project/sites/valid-site/memories/0", ["path", "memory"]),
    ("/projects/valid-project/sites/valid-site/memories/-4", ["path", "memory"]),
    ("/projects/valid-project/sites/valid-site/memories/abc", ["path", "memory"]),
    ("/projects/valid-project/sites/valid-site/memories/1/comments/0", ["path", "comment"]),
    ("/languages?q=FI", ["query", "q"]),
])
async def test_malformed_ids_are_422(data, path, loc):
    response = await data.get(path)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["loc"] == loc


async def test_ids_are_trimmed_case_insensitive_and_of_any_size(data, world, content):
    site, _ = await content.site(world.project_id, name="Kauppatori")
    assert (await data.get(f"/projects/%20{world.project.upper()}%20/sites/KAUPPATORI")).json()["id"] == "Kauppatori"
    huge = 10**30
    response = await data.get(f"/projects/{world.project}/sites/{site}/memories/{huge}")
    assert response.status_code == 404 and response.json()["error"]["message"] == "Memory not found"
    response = await data.get(f"/projects/{world.project}/sites/{site}/memories/1000/comments")
    assert response.status_code == 404


async def test_bad_token_is_401_everywhere(data):
    for path in ("/", "/projects", "/languages?q=fi", "/images/favicon.ico", "/images/missing.jpg"):
        response = await data.get(path, headers={"Authorization": "Bearer not-a-session-token-at-all-000000"})
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_common_endpoints(data):
    assert (await data.get("/languages?q=fi")).json() == {"id": "fin", "name": "Finnish", "alpha_2": "fi",
                                                          "alpha_3": "fin"}
    assert (await data.get("/languages?q=ace")).json() == {"id": "ace", "name": "Achinese", "alpha_3": "ace"}
    assert (await data.get("/languages?q=qqq")).status_code == 404
    index = await data.get("/")
    assert index.status_code == 200 and "http://testserver/images/favicon.ico" in index.text
    unknown = await data.get("/nothing/here")
    assert unknown.status_code == 404 and unknown.json() == {"error": {"code": 404, "message": "Not Found"}}


async def test_language_lookup_bytes(data):
    assert (await data.get("/languages?q=fi")).content == \
        b'{"id":"fin","name":"Finnish","alpha_3":"fin","alpha_2":"fi"}'
    assert (await data.get("/languages?q=ace")).content == b'{"id":"ace","name":"Achinese","alpha_3":"ace"}'
