"""Signed-in people whose view of a read is everyone's share one cached entry: those without privileges in the
project who own nothing the read shows. Checked with the bearer token a service gets when run alone (the
application decides) and with the identity header the gateway sends (answered in front of the application)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from muistot import identity
from muistot.db.tables import project_moderators


@pytest.fixture(params=["bearer", "gateway"])
def signed(request: pytest.FixtureRequest, data: Any) -> Callable[[Any], Awaitable[dict[str, str]]]:
    """`await signed(user)` → the headers a request of that user reaches the data service with."""
    state = data.app.state

    async def headers(user: Any) -> dict[str, str]:
        if request.param == "bearer":
            return user.headers
        session = await state.sessions.validate(user.token)
        return {**user.headers, identity.IDENTITY_HEADER: identity.mint(session, state.settings.identity_secret, 60)}

    return headers


async def test_signed_in_people_without_role_or_content_share_one_cached_view(data, world, content, make_user, signed):
    site, site_id = await content.site(world.project_id)
    memory = await content.memory(site_id)
    path = f"/projects/{world.project}/sites/{site}/memories"
    stranger, another = await make_user(), await make_user()
    first = (await data.get(path, headers=await signed(stranger))).json()
    assert [(m["id"], m["own"]) for m in first["items"]] == [(memory, False)]
    # Written behind the service's back (no invalidation): a second stranger gets the shared entry.
    hidden = await content.memory(site_id)
    assert (await data.get(path, headers=await signed(another))).json() == first
    # The project's staff and people with content of their own never get it.
    staff = (await data.get(path, headers=await signed(world.admin))).json()["items"]
    assert {m["id"] for m in staff} == {memory, hidden}
    await content.memory(site_id, author=world.owner, state="pending")
    owned = (await data.get(path, headers=await signed(world.owner))).json()["items"]
    assert len(owned) == 3 and [m["own"] for m in owned] == [False, False, True]
    # A stranger who comments owns content from then on: their next read is theirs, with the pending comment.
    created = await data.post(f"{path}/{memory}/comments", json={"comment": "Hei"}, headers=await signed(stranger))
    assert created.status_code == 201
    comments = (await data.get(f"{path}/{memory}/comments", headers=await signed(stranger))).json()["items"]
    assert [(c["comment"], c["own"]) for c in comments] == [("Hei", True)]
    assert (await data.get(f"{path}/{memory}/comments", headers=await signed(another))).json() == {"items": []}
    # The write invalidated the shared entry, so the second stranger now sees the memory added behind its back.
    assert {m["id"] for m in (await data.get(path, headers=await signed(another))).json()["items"]} == {memory, hidden}


async def test_a_contributor_shares_the_view_of_what_they_did_not_write(data, world, content, make_user, signed):
    writer, stranger = await make_user(), await make_user()
    mine, mine_id = await content.site(world.project_id)
    own_memory = await content.memory(mine_id, author=writer)
    theirs, theirs_id = await content.site(world.project_id)
    await content.memory(theirs_id)
    elsewhere = f"/projects/{world.project}/sites/{theirs}/memories"
    first = (await data.get(elsewhere, headers=await signed(stranger))).json()
    await content.memory(theirs_id)  # behind the service's back: only a fresh build would show it
    assert (await data.get(elsewhere, headers=await signed(writer))).json() == first
    # Where the read shows something of theirs, they get their own view.
    here = (await data.get(f"/projects/{world.project}/sites/{mine}/memories", headers=await signed(writer))).json()
    assert [(m["id"], m["own"]) for m in here["items"]] == [(own_memory, True)]


async def test_what_only_its_owner_may_read_is_never_shared(data, world, content, make_user, signed):
    site, site_id = await content.site(world.project_id, creator=world.owner, state="pending")
    await content.memory(site_id, author=world.admin)
    path = f"/projects/{world.project}/sites/{site}/memories"
    assert (await data.get(path, headers=await signed(world.owner))).status_code == 200
    assert (await data.get(path, headers=await signed(world.other))).status_code == 404
    site_path = f"/projects/{world.project}/sites/{site}"
    assert (await data.get(site_path, headers=await signed(world.other))).status_code == 404
    # The owner's read of comments under their unpublished site shows nothing of theirs, and still is not shared.
    memory = await content.memory(site_id, author=world.admin)
    await content.comment(memory, author=world.admin)
    comments = f"{path}/{memory}/comments"
    assert len((await data.get(comments, headers=await signed(world.owner))).json()["items"]) == 1
    assert (await data.get(comments, headers=await signed(world.other))).status_code == 404


async def test_a_role_granted_takes_effect_at_once_over_the_shared_view(data, world, content, make_user, signed):
    site, site_id = await content.site(world.project_id)
    pending = await content.memory(site_id, state="pending")
    path = f"/projects/{world.project}/sites/{site}/memories"
    person = await make_user()
    assert (await data.get(path, headers=await signed(person))).json() == {"items": []}
    async with data.app.state.db.transaction() as conn:  # granted in the database, no cache invalidation
        await conn.execute(project_moderators.insert().values(project_id=world.project_id, user_id=person.id))
    assert [m["id"] for m in (await data.get(path, headers=await signed(person))).json()["items"]] == [pending]
