"""MUISTOT_DISABLE_COMMENTS (docs/contract.md, "Comments switch"): no comment routes, nothing nested."""

from __future__ import annotations

from muistot.settings import Settings
from muistot_data.app import create_app
from muistot_tooling.testing.plugin import running


def test_any_value_but_an_explicit_no_switches_comments_off(monkeypatch):
    for value, off in (("1", True), ("yes", True), ("anything", True), ("false", False), ("0", False), ("", False)):
        monkeypatch.setenv("MUISTOT_DISABLE_COMMENTS", value)
        assert Settings().disable_comments is off


async def test_comments_switched_off(data, world, content, test_settings):
    site, site_id = await content.site(world.project_id)
    memory = await content.memory(site_id, author=world.owner)
    comment = await content.comment(memory, author=world.owner)
    base = f"/projects/{world.project}/sites/{site}/memories"
    comments = f"{base}/{memory}/comments"
    async with running(create_app(test_settings.model_copy(update={"disable_comments": True}))) as off:
        for method, path, body in (("GET", comments, None), ("GET", f"{comments}/{comment}", None),
                                   ("POST", comments, {"comment": "x"}),
                                   ("PATCH", f"{comments}/{comment}", {"comment": "x"}),
                                   ("DELETE", f"{comments}/{comment}", None)):
            response = await off.request(method, path, json=body, headers=world.owner.headers)
            assert (response.status_code, response.json()) == (404, {"error": {"code": 404, "message": "Not Found"}})
        single = (await off.get(f"{base}/{memory}?include_comments=true")).json()
        assert single["comments"] == [] and single["comments_count"] == 1
        listed = (await off.get(f"{base}?include_comments=true", headers=world.owner.headers)).json()["items"]
        assert [item["comments"] for item in listed] == [[]]
        assert "comments" not in (await off.get(f"{base}/{memory}")).json()
    # The comment is still there for a service with comments on.
    assert (await data.get(f"{comments}/{comment}")).json()["id"] == comment
