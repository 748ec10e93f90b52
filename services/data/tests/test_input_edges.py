"""Inputs at and beyond the contract's limits (docs/contract.md, "Transport", "Identifiers and texts"): longest texts of
four-byte characters, text that is not Unicode, bodies without a content type."""

from __future__ import annotations

from sqlalchemy import func, select

from muistot.db.tables import memories

EMOJI = "\U0001F600"


async def test_longest_texts_of_four_byte_characters_are_stored(data, world, content):
    """20 000 emoji are 80 000 bytes: more than a TEXT column holds (the original answered 500)."""
    path = f"/projects/{world.project}/sites"
    story = EMOJI * 20_000
    site_body = {"id": "emoji-site", "info": {"lang": "fi", "name": EMOJI * 200, "abstract": story,
                                              "description": EMOJI * 100_000},
                 "location": {"lat": 60, "lon": 25}}
    created = await data.post(path, json=site_body, headers=world.owner.headers)
    assert created.status_code == 201
    site = (await data.get(f"{path}/emoji-site", headers=world.owner.headers)).json()
    assert site["info"]["abstract"] == story and site["info"]["name"] == EMOJI * 200
    published, _ = await content.site(world.project_id)
    memory = await data.post(f"{path}/{published}/memories", json={"title": EMOJI * 200, "story": story},
                             headers=world.owner.headers)
    assert memory.status_code == 201
    read = (await data.get(memory.headers["location"], headers=world.owner.headers)).json()
    assert read["story"] == story
    comment = await data.post(memory.headers["location"].replace("http://testserver", "") + "/comments",
                              json={"comment": EMOJI * 2_500}, headers=world.admin.headers)
    assert comment.status_code == 201


async def test_text_that_is_not_unicode_is_422_and_stores_nothing(data, world, content, db):
    site, site_id = await content.site(world.project_id)
    path = f"/projects/{world.project}/sites/{site}/memories"
    # A lone surrogate is legal JSON but no UTF-8 text: refused before anything is written.
    response = await data.post(path, content=b'{"title": "x", "story": "a\\ud800b"}',
                               headers=world.owner.headers | {"content-type": "application/json"})
    assert response.status_code == 422
    error = response.json()["error"]["errors"][0]
    assert error["loc"] == ["body", "story"] and error["type"] == "string_unicode"
    async with db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(memories)
                                 .where(memories.c.site_id == site_id)) == 0


async def test_too_long_text_names_its_limit(data, world, content):
    site, _ = await content.site(world.project_id)
    response = await data.post(f"/projects/{world.project}/sites/{site}/memories", json={"title": "x" * 201},
                               headers=world.owner.headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == [
        {"loc": ["body", "title"], "msg": "String should have at most 200 characters", "type": "string_too_long"}]


async def test_body_without_content_type_is_read_as_json(data, world, content):
    """The original parsed a body with no `Content-Type` as JSON; another declared type is not JSON."""
    site, _ = await content.site(world.project_id)
    path = f"/projects/{world.project}/sites/{site}/memories"
    response = await data.post(path, content=b'{"title": "ilman tyyppia"}', headers=world.owner.headers)
    assert response.status_code == 201
    plain = await data.post(path, content=b'{"title": "x"}',
                            headers=world.owner.headers | {"content-type": "text/plain"})
    assert plain.status_code == 422
