"""Which error wins on the admin-scope endpoints (docs/contract.md, "Order of checks", "Moderation orders").

validation (422) → signed in (401) → the admin scope (403 "Unauthorized", live: a superuser or staff of
some project) → existence and visibility (404) → rights in this project (403).
"""

import pytest

SCOPE_MISSING = {"error": {"code": 403, "message": "Unauthorized",
                           "details": ["Required (authenticated,admin)", "Got (authenticated)"]}}


def admin_scope_calls(world, hidden):
    """(method, path, json) of every admin-scope endpoint, on missing, hidden and visible targets."""
    name = world.user.username
    calls = []
    for project in ("nope-nope", hidden.project, world.project):
        calls += [("PATCH", f"/projects/{project}", {"auto_publish": True}),
                  ("DELETE", f"/projects/{project}", None),
                  ("POST", f"/projects/{project}/publish?publish=false", None),
                  ("POST", f"/projects/{project}/admins?username={name}", None),
                  ("DELETE", f"/projects/{project}/admins?username={name}", None),
                  ("POST", f"/projects/{project}/moderators?username={name}", None),
                  ("DELETE", f"/projects/{project}/moderators?username={name}", None),
                  ("POST", "/admin/publish", {"type": "project", "identifier": project, "publish": False})]
    for chain in (hidden, world):
        calls += [("POST", f"{chain.site_path}/publish?publish=false", None),
                  ("POST", f"{chain.memory_path}/publish?publish=false", None),
                  ("POST", f"{chain.comment_path}/publish?publish=false", None),
                  ("POST", f"{chain.site_path}/memories/99999999/publish?publish=false", None),
                  ("POST", "/admin/publish", chain.order("comment", publish=False))]
    return calls


@pytest.mark.parametrize("caller", ["user", "author"])
async def test_callers_who_manage_nothing_get_the_scope_403_before_any_other_check(admin_client, content, caller):
    world = await content.world()
    hidden = await content.world(project_published=False, content_state="pending")
    for method, path, body in admin_scope_calls(world, hidden):
        response = await admin_client.request(method, path, json=body, headers=world.headers(caller))
        assert response.json() == SCOPE_MISSING, (method, path)
    assert await content.state_of("project", world.project_id) is True
    assert await content.state_of("site", world.site_id) == "published"


@pytest.mark.parametrize("caller", ["user", "author", "moderator", "admin", "other_admin"])
async def test_creating_a_project_says_that_a_superuser_is_needed(admin_client, world, caller):
    """Not the admin scope's "Required (authenticated,admin)": no admin or moderator role would suffice."""
    response = await admin_client.post("/projects", json={"id": world.project, "info": {"lang": "fi", "name": "x"}},
                                       headers=world.headers(caller))
    assert response.json() == {"error": {"code": 403, "message": "Not enough privileges",
                                         "details": ["superuser required"]}}


async def test_validation_and_sign_in_still_come_first(admin_client, world):
    response = await admin_client.post(f"{world.site_path}/publish?publish=maybe", headers=world.user.headers)
    assert response.status_code == 422
    response = await admin_client.post("/projects", json={"id": "ab"}, headers=world.user.headers)
    assert response.status_code == 422
    response = await admin_client.post(f"{world.site_path}/publish?publish=false")
    assert response.json() == {"error": {"code": 401, "message": "Unauthorized"}}


async def test_staff_of_another_project_pass_the_scope_and_meet_the_resource_checks(admin_client, content, world):
    hidden = await content.world(project_published=False)
    headers = world.other_admin.headers
    response = await admin_client.post("/projects/nope-nope/publish?publish=true", headers=headers)
    assert response.json() == {"error": {"code": 404, "message": "Project not found"}}
    response = await admin_client.post(f"{hidden.project_path}/publish?publish=true", headers=headers)
    assert response.json() == {"error": {"code": 404, "message": "Project not found"}}
    response = await admin_client.post(f"{world.project_path}/publish?publish=false", headers=headers)
    assert response.json() == {"error": {"code": 403, "message": "Not enough privileges"}}
    # Creating projects stays with superusers; the id is not even looked up (CHANGELOG.md).
    response = await admin_client.post("/projects", json={"id": world.project, "info": {"lang": "fi", "name": "x"}},
                                       headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Not enough privileges"


async def test_admin_publish_names_no_missing_project_to_those_without_rights(admin_client, world):
    """The order's project is checked against the caller's rights before it is looked up (docs/contract.md,
    "Moderation orders")."""
    order = {"type": "site", "identifier": world.site, "parents": {"project": "nope-nope"}, "publish": False}
    for role in ("other_admin", "moderator", "admin"):
        response = await admin_client.post("/admin/publish", json=order, headers=world.headers(role))
        assert response.json() == {"error": {"code": 403, "message": f"Unauthorized {world.role(role).username}",
                                             "details": ["Order: nope-nope"]}}, role
    response = await admin_client.post("/admin/publish", json=order, headers=world.superuser.headers)
    assert response.json() == {"error": {"code": 404, "message": "Not Found", "details": ["project"]}}


async def test_a_user_granted_a_role_gains_the_scope_on_the_next_request(admin_client, content, world):
    outsider = await content.make_user()
    response = await admin_client.post(f"{world.site_path}/publish?publish=false", headers=outsider.headers)
    assert response.json() == SCOPE_MISSING
    other = await content.world()
    response = await admin_client.post(f"{other.project_path}/moderators?username={outsider.username}",
                                       headers=other.admin.headers)
    assert response.status_code == 201
    # A moderator elsewhere holds the scope, so this project answers with its own rule.
    response = await admin_client.post(f"{world.site_path}/publish?publish=false", headers=outsider.headers)
    assert response.json() == {"error": {"code": 403, "message": "Not enough privileges"}}
