"""Contributing through the gateway: a site and a memory with a photo wait for approval, a project
admin publishes them, and anonymous readers (served from the response cache) see them at once."""

from __future__ import annotations

import io
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from muistot.db.tables import images, sites
from tests.system.conftest import RunningStack, run_async
from tests.system.flows import (
    CAMERA_TAG,
    Mailbox,
    Session,
    assert_error,
    base64_text,
    create_memory,
    create_project,
    create_site,
    db_rows,
    grant_superuser,
    png_with_exif,
    sign_in,
    site_ids,
    username_of,
)


@dataclass
class Cast:
    superuser: Session
    admin: Session
    contributor: Session
    project: str
    home: str  # a site of the contributor's, already published by the admin


@pytest.fixture(scope="module")
def cast(system_stack: RunningStack, client: httpx.Client) -> Cast:
    """Everyone signed in by e-mail link; the superuser made with `muistot superuser grant`."""
    mailbox = Mailbox(system_stack.settings)
    superuser = sign_in(client, mailbox)
    grant_superuser(system_stack.settings, superuser.email)  # rewrites the live session at once
    admin = sign_in(client, mailbox)
    contributor = sign_in(client, mailbox)
    project = create_project(client, superuser, auto_publish=False)
    added = client.post(f"/projects/{project}/admins", params={"username": username_of(client, admin)},
                        headers=superuser.headers)
    assert added.status_code == 201, added.text
    home = create_site(client, contributor, project)
    published = client.post(f"/projects/{project}/sites/{home}/publish", params={"publish": "true"},
                            headers=admin.headers)
    assert published.status_code == 204, published.text
    return Cast(superuser=superuser, admin=admin, contributor=contributor, project=project, home=home)


def test_contribution_waits_for_approval_then_shows_to_everyone_at_once(client: httpx.Client, cast: Cast) -> None:
    project, author, home = cast.project, cast.contributor, cast.home
    sites_url = f"/projects/{project}/sites"
    home_memories = f"{sites_url}/{home}/memories"
    # Anonymous reads first, so both lists are in the response cache when the contributions arrive.
    public_before = site_ids(client.get(sites_url))
    assert home in public_before
    memories_before = client.get(home_memories).json()["items"]

    site = create_site(client, author, project)
    memory = create_memory(client, author, project, home, image=base64_text(png_with_exif()))
    site_url = f"{sites_url}/{site}"
    memory_url = f"{home_memories}/{memory}"

    # The author sees both, marked as waiting for approval.
    own_site = client.get(site_url, headers=author.headers)
    assert own_site.status_code == 200, own_site.text
    assert own_site.json()["waiting_approval"] is True
    assert own_site.json()["own"] is True
    [listed] = [item for item in client.get(sites_url, headers=author.headers).json()["items"] if item["id"] == site]
    assert listed["waiting_approval"] is True
    own_memory = client.get(memory_url, headers=author.headers)
    assert own_memory.status_code == 200, own_memory.text
    assert own_memory.json()["waiting_approval"] is True
    assert own_memory.json()["image"]
    [listed_memory] = [item for item in client.get(home_memories, headers=author.headers).json()["items"]
                       if item["id"] == memory]
    assert listed_memory["waiting_approval"] is True

    # Anonymous readers do not.
    assert site_ids(client.get(sites_url)) == public_before
    assert_error(client.get(site_url), 404)
    assert_error(client.get(memory_url), 404)
    assert client.get(home_memories).json()["items"] == memories_before

    # The project admin publishes both; the very next anonymous reads show them.
    for url in (site_url, memory_url):
        published = client.post(f"{url}/publish", params={"publish": "true"}, headers=cast.admin.headers)
        assert published.status_code == 204, published.text
    assert sorted(site_ids(client.get(sites_url))) == sorted([*public_before, site])
    public_site = client.get(site_url)
    assert public_site.status_code == 200, public_site.text
    assert not public_site.json().get("waiting_approval")
    memories = client.get(home_memories)
    assert memories.status_code == 200, memories.text
    assert len(memories.json()["items"]) == len(memories_before) + 1
    [public_memory] = [item for item in memories.json()["items"] if item["id"] == memory]
    assert public_memory["user"] == username_of(client, author)
    assert public_memory["image"] == own_memory.json()["image"]
    assert not public_memory.get("waiting_approval")
    assert client.get(memory_url).status_code == 200
    # And the author's own view no longer waits.
    assert not client.get(memory_url, headers=author.headers).json().get("waiting_approval")


def test_own_unpublished_site_takes_no_memories_until_published(client: httpx.Client, cast: Cast) -> None:
    """The contract (docs/contract.md, "Visibility"): being the creator of an unpublished site is not enough."""
    site = create_site(client, cast.contributor, cast.project)
    url = f"/projects/{cast.project}/sites/{site}/memories"
    assert_error(client.post(url, headers=cast.contributor.headers, json={"title": "Liian aikaisin"}), 404)
    published = client.post(f"/projects/{cast.project}/sites/{site}/publish", params={"publish": "true"},
                            headers=cast.admin.headers)
    assert published.status_code == 204, published.text
    assert create_memory(client, cast.contributor, cast.project, site) > 0


def test_publishing_needs_a_project_role(client: httpx.Client, cast: Cast) -> None:
    site = create_site(client, cast.contributor, cast.project)
    url = f"/projects/{cast.project}/sites/{site}/publish"
    assert_error(client.post(url, params={"publish": "true"}, headers=cast.contributor.headers), 403)
    assert_error(client.post(url, params={"publish": "true"}), 401)
    # Still unpublished: anonymous readers cannot see it.
    assert_error(client.get(f"/projects/{cast.project}/sites/{site}"), 404)


def test_photo_is_served_immutable_and_without_exif(client: httpx.Client, cast: Cast) -> None:
    upload = png_with_exif()
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif()[CAMERA_TAG] == "Flow Test Camera"  # what the stored copy must lose
    memory = create_memory(client, cast.contributor, cast.project, cast.home, image=base64_text(upload))
    name = client.get(f"/projects/{cast.project}/sites/{cast.home}/memories/{memory}",
                      headers=cast.contributor.headers).json()["image"]

    served = client.get(f"/images/{name}")
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    etag = served.headers["etag"]
    assert etag
    with Image.open(io.BytesIO(served.content)) as picture:
        picture.load()
        assert picture.format == "PNG"
        assert picture.size == (48, 32)
        assert "exif" not in picture.info
        assert CAMERA_TAG not in picture.getexif()
    again = client.get(f"/images/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_undecodable_photo_is_400_and_writes_nothing(system_stack: RunningStack, client: httpx.Client,
                                                     cast: Cast) -> None:
    image_count = select(func.count()).select_from(images)
    [(images_before,)] = run_async(db_rows(system_stack.settings, image_count))
    name = "site-bad-photo"
    response = client.post(f"/projects/{cast.project}/sites", headers=cast.contributor.headers, json={
        "id": name, "info": {"lang": "fi", "name": "Huono kuva"}, "location": {"lat": 60.0, "lon": 25.0},
        "image": base64_text(b"GIF89a not really an image")})
    assert_error(response, 400, "Bad image")
    assert run_async(db_rows(system_stack.settings, select(sites.c.id).where(sites.c.name == name))) == []
    assert run_async(db_rows(system_stack.settings, image_count)) == [(images_before,)]
    assert_error(client.get(f"/projects/{cast.project}/sites/{name}", headers=cast.contributor.headers), 404)
