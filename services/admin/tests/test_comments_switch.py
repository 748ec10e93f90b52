"""MUISTOT_DISABLE_COMMENTS (docs/contract.md, "Comments switch"): the admin's comment routes are not there either."""

from muistot_admin.app import create_app
from muistot_tooling.testing.plugin import running

NOT_FOUND = {"error": {"code": 404, "message": "Not Found"}}


async def test_comment_publish_and_report_are_404_when_comments_are_off(content, test_settings, world):
    async with running(create_app(test_settings.model_copy(update={"disable_comments": True}))) as off:
        response = await off.post(f"{world.comment_path}/publish?publish=false", headers=world.admin.headers)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        response = await off.put(f"{world.comment_path}/report", headers=world.user.headers)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        # Memories keep their routes.
        response = await off.post(f"{world.memory_path}/publish?publish=false", headers=world.admin.headers)
        assert response.status_code == 204
    assert await content.state_of("comment", world.comment) == "published"
