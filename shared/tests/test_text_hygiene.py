"""Control characters: every text a client sends, in any service, is refused with the same 422 when it
holds a C0 or C1 control character other than tab and line breaks; those three are kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic_core import PydanticCustomError

from muistot.validation import CONTROL_MESSAGE, no_control_characters

ESC = "\x1b[31mred"
REFUSED = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x9b", "\x9f"]
KEPT = ["\t", "\n", "\r\n", "ä", "\u00a0", "\u2028", "😀"]

INFO = {"lang": "fi", "name": "Nimi", "abstract": "Tiivistelmä", "description": "Kuvaus"}
SITE = {"id": "hygiene-site", "info": INFO, "location": {"lat": 60, "lon": 25}}
PROJECT = "/projects/some-project"
SITES = f"{PROJECT}/sites"
BASE = f"{SITES}/some-site/memories/1"

# (service, method, path, body or query, the field's location): one case for every text a client sends.
CASES: list[tuple[str, str, str, dict[str, Any], list[str]]] = [
    ("data", "POST", SITES, {"json": {**SITE, "info": {**INFO, "name": ESC}}}, ["info", "name"]),
    ("data", "POST", SITES, {"json": {**SITE, "info": {**INFO, "abstract": ESC}}}, ["info", "abstract"]),
    ("data", "PATCH", f"{SITES}/some-site", {"json": {"info": {**INFO, "description": ESC}}},
     ["info", "description"]),
    ("data", "POST", f"{SITES}/some-site/memories", {"json": {"title": ESC}}, ["title"]),
    ("data", "PATCH", BASE, {"json": {"story": ESC}}, ["story"]),
    ("data", "POST", f"{BASE}/comments", {"json": {"comment": ESC}}, ["comment"]),
    ("data", "PATCH", f"{BASE}/comments/1", {"json": {"comment": ESC}}, ["comment"]),
    ("admin", "POST", "/projects", {"json": {"id": "hygiene", "info": {**INFO, "name": ESC}}}, ["info", "name"]),
    ("admin", "PATCH", PROJECT, {"json": {"info": {**INFO, "abstract": ESC}}}, ["info", "abstract"]),
    ("admin", "PUT", f"{SITES}/some-site/report", {"json": {"reason": ESC}}, ["reason"]),
    ("admin", "POST", "/report", {"json": {"type": "project", "identifier": "some-project", "reason": ESC}},
     ["reason"]),
    ("admin", "POST", "/admin/queue/memory/1/decision", {"json": {"action": "reject", "reason": ESC}}, ["reason"]),
    ("users", "PATCH", "/me", {"json": {"first_name": ESC}}, ["first_name"]),
    ("users", "PATCH", "/me", {"json": {"last_name": ESC}}, ["last_name"]),
    ("users", "PATCH", "/me", {"json": {"city": ESC}}, ["city"]),
    ("users", "PUT", "/me/password", {"json": {"password": f"long {ESC} password", "current_password": "x"}},
     ["password"]),
    ("users", "PUT", "/me/password", {"params": {"password": f"long {ESC} password"}}, ["password"]),
    ("users", "POST", "/me/email/confirm", {"params": {"token": ESC}}, ["token"]),
    ("users", "DELETE", "/me/account", {"params": {"token": f"123{ESC}456"}}, ["token"]),
    ("users", "DELETE", "/me/sessions/x%1By", {}, ["session_id"]),
    ("users", "DELETE", "/me/providers/x%1By", {}, ["provider"]),
]
ANONYMOUS_CASES: list[tuple[str, str, str, dict[str, Any], list[str]]] = [
    ("login", "POST", "/auth/password", {"json": {"username": f"Some{ESC}", "password": "guess"}}, ["username"]),
    ("login", "POST", "/auth/password", {"json": {"username": "Someone", "password": ESC}}, ["password"]),
    ("login", "POST", "/auth/register", {"json": {"username": "Someone", "email": "a@example.com",
                                                  "password": f"long {ESC} password"}}, ["password"]),
    ("login", "POST", "/auth/email/exchange", {"params": {"user": ESC, "token": "t"}}, ["user"]),
    ("login", "POST", "/auth/email/exchange", {"params": {"user": "Someone", "token": ESC}}, ["token"]),
    ("login", "POST", "/auth/confirm", {"params": {"user": "Someone", "token": f"12{ESC}"}}, ["token"]),
    ("login", "GET", "/auth/oauth/x%1By", {}, ["provider"]),
    ("login", "POST", "/auth/oauth/exchange", {"json": {"code": f"code{ESC}"}}, ["code"]),
]


@pytest.mark.parametrize(("character"), REFUSED)
def test_the_rule_refuses_controls(character: str) -> None:
    with pytest.raises(PydanticCustomError):
        no_control_characters(f"a{character}b")


@pytest.mark.parametrize(("character"), KEPT)
def test_the_rule_keeps_tab_line_breaks_and_all_other_text(character: str) -> None:
    assert no_control_characters(f"a{character}b") == f"a{character}b"


def assert_refused(response: httpx.Response, loc: list[str]) -> None:
    assert response.status_code == 422, response.text
    errors = response.json()["error"]["errors"]
    assert errors == [{"loc": loc, "msg": CONTROL_MESSAGE, "type": "value_error.control_character"}]


def part_of(request_part: dict[str, Any]) -> str:
    return "body" if "json" in request_part else "query" if "params" in request_part else "path"


@pytest.mark.parametrize(("service", "method", "path", "request_part", "loc"), CASES,
                         ids=[f"{c[0]} {c[1]} {c[2]} {'.'.join(c[4])}" for c in CASES])
async def test_every_text_field_refuses_control_characters(service_client: Callable[[str], httpx.AsyncClient],
                                                           make_user: Callable[..., Any], service: str, method: str,
                                                           path: str, request_part: dict[str, Any],
                                                           loc: list[str]) -> None:
    user = await make_user()
    response = await service_client(service).request(method, path, headers=user.headers, **request_part)
    assert_refused(response, [part_of(request_part), *loc])


@pytest.mark.parametrize(("service", "method", "path", "request_part", "loc"), ANONYMOUS_CASES,
                         ids=[f"{c[0]} {c[1]} {c[2]} {'.'.join(c[4])}" for c in ANONYMOUS_CASES])
async def test_every_sign_in_text_refuses_control_characters(service_client: Callable[[str], httpx.AsyncClient],
                                                             service: str, method: str, path: str,
                                                             request_part: dict[str, Any], loc: list[str]) -> None:
    response = await service_client(service).request(method, path, **request_part)
    assert_refused(response, [part_of(request_part), *loc])


async def test_a_title_with_a_line_break_and_a_tab_is_stored_as_sent(service_client: Callable[[str], httpx.AsyncClient],
                                                                     make_user: Callable[..., Any]) -> None:
    from muistot_tooling.testing import factories

    data = service_client("data")
    owner = await make_user()
    project = await factories.insert_project(data.app.state.db)  # type: ignore[attr-defined]
    site = await factories.insert_site(data.app.state.db, project.id)  # type: ignore[attr-defined]
    path = f"/projects/{project.name}/sites/{site.name}/memories"
    created = await data.post(path, json={"title": "Kaksi\triviä\nja 😀", "story": "a\r\nb"}, headers=owner.headers)
    assert created.status_code == 201, created.text
    stored = (await data.get(created.headers["location"], headers=owner.headers)).json()
    assert (stored["title"], stored["story"]) == ("Kaksi\triviä\nja 😀", "a\r\nb")
    refused = await data.post(path, json={"title": "ESC \x1b[2J clears a terminal"}, headers=owner.headers)
    assert_refused(refused, ["body", "title"])
    listed = (await data.get(path, headers=owner.headers)).json()["items"]
    assert [item["title"] for item in listed] == ["Kaksi\triviä\nja 😀"]
