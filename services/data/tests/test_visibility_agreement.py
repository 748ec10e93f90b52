"""The visibility rule exists twice: as Python checks on a loaded chain (`Chain.require_readable`, single reads)
and as SQL (`visible_filter`, lists). Over every role × review state of an item × review state of its parent,
they must agree: where a caller may list the parent's children, an item is in the list exactly when the caller
may read it alone; where they may not list them, they read it alone only as its author (owning the target skips
the parent checks)."""

from __future__ import annotations

import itertools

import pytest

from muistot.db.tables import REVIEW_STATES

ROLES = ["anonymous", "other", "owner", "admin", "moderator", "superuser"]


async def agreement(data, world, parent_path: str, items: dict[str, int], item_path) -> list[str]:
    """Disagreements between the list under `parent_path` and single reads of `items` (state → id), per role."""
    problems = []
    for role in ROLES:
        headers = world.headers[role]
        listing = await data.get(parent_path, headers=headers)
        listed = {entry["id"] for entry in listing.json()["items"]} if listing.status_code == 200 else None
        for state, item in items.items():
            alone = (await data.get(item_path(item), headers=headers)).status_code
            assert alone in (200, 404), (role, state, alone)
            if listed is not None:
                if (item in listed) != (alone == 200):
                    problems.append(f"{role}: {state} item listed={item in listed} but single read {alone}")
            elif alone == 200 and role != "owner":
                problems.append(f"{role}: {state} item readable although its parent's list is {listing.status_code}")
    return problems


@pytest.mark.parametrize("site_state", REVIEW_STATES)
async def test_memories_agree_for_every_role_and_state(data, world, content, site_state):
    site, site_id = await content.site(world.project_id, creator=world.admin, state=site_state)
    memories = {state: await content.memory(site_id, author=world.owner, state=state) for state in REVIEW_STATES}
    base = f"/projects/{world.project}/sites/{site}/memories"
    assert await agreement(data, world, base, memories, lambda memory: f"{base}/{memory}") == []


PARENT_STATES = list(itertools.product(["published", "pending"], REVIEW_STATES))


@pytest.mark.parametrize(("site_state", "memory_state"), PARENT_STATES)
async def test_comments_agree_for_every_role_and_state(data, world, content, site_state, memory_state):
    site, site_id = await content.site(world.project_id, creator=world.admin, state=site_state)
    memory = await content.memory(site_id, author=world.admin, state=memory_state)
    comments = {state: await content.comment(memory, author=world.owner, state=state) for state in REVIEW_STATES}
    base = f"/projects/{world.project}/sites/{site}/memories/{memory}/comments"
    assert await agreement(data, world, base, comments, lambda comment: f"{base}/{comment}") == []


@pytest.mark.parametrize("published", [True, False])
async def test_sites_agree_for_every_role_and_state(data, world, content, published):
    project, project_id = await content.project(published=published, admins=(world.admin,),
                                                moderators=(world.moderator,))
    sites = {state: (await content.site(project_id, creator=world.owner, state=state))[0] for state in REVIEW_STATES}
    base = f"/projects/{project}/sites"
    assert await agreement(data, world, base, sites, lambda site: f"{base}/{site}") == []
