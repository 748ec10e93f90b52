"""Moderation through the gateway: project admins add and remove moderators (rights are read live),
reports hide an item past the threshold, the queue lists it, a decision settles it, and the audit
log records every step.

This module runs its own stack with `MUISTOT_REPORT_HIDE_THRESHOLD=2`, so three reports hide an item.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from muistot.settings import Settings
from tests.system.conftest import GatewayUser, RunningStack, create_user, run_async, stack_settings, start_stack
from tests.system.flows import (
    Mailbox,
    Session,
    assert_error,
    create_memory,
    create_project,
    create_site,
    plain_text,
    sign_in,
    site_ids,
    username_of,
)

THRESHOLD = 2


@pytest.fixture(scope="module")
def stack(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    settings = stack_settings(test_settings, report_hide_threshold=THRESHOLD)
    with start_stack(settings, tmp_path_factory.mktemp("moderation-stack-logs")) as running:
        yield running


@pytest.fixture(scope="module")
def client(stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        yield client


@dataclass
class Staff:
    admin: Session
    admin_name: str
    moderator: Session
    moderator_name: str
    contributor: GatewayUser
    project: str


@pytest.fixture(scope="module")
def staff(stack: RunningStack, client: httpx.Client) -> Staff:
    """A project with an admin and a would-be moderator (both signed in by e-mail link)."""
    mailbox = Mailbox(stack.settings)
    admin, moderator = sign_in(client, mailbox), sign_in(client, mailbox)
    admin_name, moderator_name = username_of(client, admin), username_of(client, moderator)
    superuser = run_async(create_user(stack.settings, superuser=True))
    project = create_project(client, superuser, admins=[admin_name])
    contributor = run_async(create_user(stack.settings))
    return Staff(admin, admin_name, moderator, moderator_name, contributor, project)


def audit_entries(client: httpx.Client, viewer: Session, project: str) -> list[dict[str, Any]]:
    response = client.get("/admin/audit", params={"project": project, "limit": 200}, headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def audited(entries: list[dict[str, Any]], action: str, target_type: str, target_id: object) -> dict[str, Any]:
    found = [entry for entry in entries if entry["action"] == action and entry["target"] == {
        "type": target_type, "id": str(target_id)}]
    assert len(found) == 1, f"{action} {target_type} {target_id} not audited once: {entries}"
    return found[0]


def queue_items(client: httpx.Client, viewer: Session, project: str) -> list[dict[str, Any]]:
    response = client.get("/admin/queue", params={"project": project}, headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def publish(client: httpx.Client, who: Session | GatewayUser, url: str) -> httpx.Response:
    return client.post(f"{url}/publish", params={"publish": "true"}, headers=who.headers)


def test_moderator_rights_end_with_the_very_next_request(client: httpx.Client, staff: Staff) -> None:
    project, moderator = staff.project, staff.moderator
    sites_url = f"/projects/{project}/sites"
    added = client.post(f"/projects/{project}/moderators", params={"username": staff.moderator_name},
                        headers=staff.admin.headers)
    assert added.status_code == 201, added.text
    assert added.headers["location"].endswith(f"/projects/{project}")

    first = create_site(client, staff.contributor, project)
    assert first not in site_ids(client.get(sites_url))
    published = publish(client, moderator, f"{sites_url}/{first}")
    assert published.status_code == 204, published.text
    assert first in site_ids(client.get(sites_url))
    # Moderators review content; roles and project settings stay with the admins.
    assert_error(client.post(f"/projects/{project}/moderators", params={"username": staff.admin_name},
                             headers=moderator.headers), 403)
    assert_error(client.patch(f"/projects/{project}", json={"auto_publish": True}, headers=moderator.headers), 403)

    second = create_site(client, staff.contributor, project)
    removed = client.delete(f"/projects/{project}/moderators", params={"username": staff.moderator_name},
                            headers=staff.admin.headers)
    assert removed.status_code == 204, removed.text
    # The session is still valid, but its very next request has no moderator rights.
    unpublish = client.post(f"{sites_url}/{first}/publish", params={"publish": "false"}, headers=moderator.headers)
    assert_error(unpublish, 403)
    assert client.get("/me", headers=moderator.headers).status_code == 200
    assert_error(client.get("/admin/queue", params={"project": project}, headers=moderator.headers), 403)
    assert_error(client.get("/admin/queue", headers=moderator.headers), 403)
    # Managing no project any more, they lack the admin scope: 403 before any look-up (docs/contract.md,
    # "Order of checks").
    assert_error(publish(client, moderator, f"{sites_url}/{second}"), 403, "Unauthorized")
    assert first in site_ids(client.get(sites_url))
    assert second not in site_ids(client.get(sites_url))

    entries = audit_entries(client, staff.admin, project)
    assert audited(entries, "add_moderator", "user", staff.moderator_name)["actor"] == staff.admin_name
    assert audited(entries, "publish", "site", first)["actor"] == staff.moderator_name
    assert audited(entries, "remove_moderator", "user", staff.moderator_name)["actor"] == staff.admin_name
    assert not [entry for entry in entries if entry["target"] == {"type": "site", "id": second}]


def test_reports_hide_a_memory_until_a_moderator_clears_them(stack: RunningStack, client: httpx.Client,
                                                             staff: Staff) -> None:
    project, admin = staff.project, staff.admin
    site = create_site(client, staff.contributor, project)
    assert publish(client, admin, f"/projects/{project}/sites/{site}").status_code == 204
    memory = create_memory(client, staff.contributor, project, site, title="Kylän tanssit")
    memories_url = f"/projects/{project}/sites/{site}/memories"
    memory_url = f"{memories_url}/{memory}"
    assert publish(client, admin, memory_url).status_code == 204
    assert [item["id"] for item in client.get(memories_url).json()["items"]] == [memory]  # now cached

    reporters = [run_async(create_user(stack.settings)) for _ in range(THRESHOLD + 1)]
    assert_error(client.put(f"{memory_url}/report", json={"reason": "no"}), 401)
    for number, reporter in enumerate(reporters, start=1):
        reported = client.put(f"{memory_url}/report", json={"reason": f"asiaton {number}"}, headers=reporter.headers)
        assert reported.status_code == 204, reported.text
        assert reported.headers["location"].endswith(memory_url)
        if number == 1:  # a repeat by the same person is not another report
            assert client.put(f"{memory_url}/report", headers=reporter.headers).status_code == 204
        visible = client.get(memory_url)
        assert visible.status_code == (200 if number <= THRESHOLD else 404), visible.text
    assert client.get(memories_url).json()["items"] == []
    # Hidden from everyone but its author and the staff, so no one else can report it any more.
    assert_error(client.put(f"{memory_url}/report", headers=reporters[0].headers), 404)
    assert client.get(memory_url, headers=staff.contributor.headers).status_code == 200

    [queued] = [item for item in queue_items(client, admin, project) if item["type"] == "memory"
                and item["id"] == memory]
    assert queued["state"] == "hidden"
    assert queued["report_count"] == THRESHOLD + 1
    assert queued["parents"] == {"project": project, "site": site}
    assert sorted(queued["reasons"]) == [f"asiaton {n}" for n in range(1, THRESHOLD + 2)]

    decision_url = f"/admin/queue/memory/{memory}/decision"
    assert_error(client.post(decision_url, json={"action": "shrug"}, headers=admin.headers), 422)
    # Outside the staff, the hidden memory is not even found.
    assert_error(client.post(decision_url, json={"action": "clear_reports"}, headers=reporters[0].headers), 404)
    decided = client.post(decision_url, json={"action": "clear_reports", "reason": "ok"}, headers=admin.headers)
    assert decided.status_code == 204, decided.text
    assert client.post(decision_url, json={"action": "clear_reports"}, headers=admin.headers).status_code == 304
    assert client.get(memory_url).status_code == 200
    assert [item["id"] for item in client.get(memories_url).json()["items"]] == [memory]
    assert not [item for item in queue_items(client, admin, project) if item["id"] == memory
                and item["type"] == "memory"]

    entries = audit_entries(client, admin, project)
    hidden = audited(entries, "auto_hide", "memory", memory)
    assert "actor" not in hidden  # the system, not a person
    assert hidden["before"] == {"state": "published"} and hidden["after"] == {"state": "hidden"}
    cleared = audited(entries, "clear_reports", "memory", memory)
    assert cleared["actor"] == staff.admin_name
    assert cleared["after"]["state"] == "published"


def test_rejecting_a_reported_site_mails_its_author(stack: RunningStack, client: httpx.Client, staff: Staff) -> None:
    project, admin = staff.project, staff.admin
    author = sign_in(client, Mailbox(stack.settings))
    site = create_site(client, author, project)
    site_url = f"/projects/{project}/sites/{site}"
    assert publish(client, admin, site_url).status_code == 204
    reporter = run_async(create_user(stack.settings))
    assert client.put(f"{site_url}/report", headers=reporter.headers).status_code == 204
    assert client.get(site_url).status_code == 200  # one report is below the threshold

    [queued] = [item for item in queue_items(client, admin, project) if item["type"] == "site"
                and item["identifier"] == site]
    assert queued["state"] == "published" and queued["report_count"] == 1
    decision_url = f"/admin/queue/site/{queued['id']}/decision"
    # Visible, but not the reporter's to decide.
    assert_error(client.post(decision_url, json={"action": "reject"}, headers=reporter.headers), 403)
    mailbox = Mailbox(stack.settings)
    before = mailbox.snapshot()
    decided = client.post(decision_url,
                          json={"action": "reject", "reason": "Paikka on jo kartalla"}, headers=admin.headers)
    assert decided.status_code == 204, decided.text
    assert_error(client.get(site_url), 404)
    assert client.get(site_url, headers=author.headers).status_code == 200  # the author still sees their own
    assert "Paikka on jo kartalla" in plain_text(mailbox.wait_for(author.email, "Paikka on jo kartalla", before))

    rejected = audited(audit_entries(client, admin, project), "reject", "site", site)
    assert rejected["actor"] == staff.admin_name
    assert rejected["after"] == {"state": "rejected", "reason": "Paikka on jo kartalla", "reports_cleared": 1}
