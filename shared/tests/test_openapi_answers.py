"""What the services really answer is what their OpenAPI documents say: the status is listed for the operation,
the body is the documented envelope, and times carry their zone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from muistot.openapi import ErrorEnvelope


def operation_of(client: Any, method: str, path: str) -> dict[str, Any]:
    """The operation of the app's own document whose path template matches `path`."""
    spec = client.app.openapi()
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template.replace(".", r"\.")) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the {client.app.state.service} document")


async def answer(client: Any, method: str, url: str, **options: Any) -> Any:
    response = await client.request(method, url, **options)
    operation = operation_of(client, method, url.split("?")[0])
    assert str(response.status_code) in operation["responses"], (method, url, response.status_code)
    return response


@pytest.mark.parametrize(("service", "method", "url", "status"), [
    ("data", "GET", "/projects/nope-nope", 404),
    ("data", "GET", "/projects/ab", 422),
    ("data", "GET", "/projects/nope-nope/sites/olympiastadion/memories/1", 404),
    ("data", "POST", "/projects/nope-nope/sites", 422),
    ("data", "GET", "/languages?q=zz", 404),
    ("users", "GET", "/me", 401),
    ("users", "GET", "/me/sessions", 401),
    ("login", "POST", "/auth/email/exchange?user=Nobody&token=nothing", 404),
    ("admin", "POST", "/admin/publish", 422),
])
async def test_errors_are_documented_envelopes(service_client, service, method, url, status):
    body = {"id": "x"} if method == "POST" else None
    response = await answer(service_client(service), method, url, json=body)
    assert response.status_code == status
    ErrorEnvelope.model_validate(response.json())


async def test_a_bad_token_and_missing_rights_are_documented(service_client, make_user):
    bad = {"Authorization": "Bearer " + "x" * 43}
    response = await answer(service_client("data"), "GET", "/projects", headers=bad)
    assert response.status_code == 401 and ErrorEnvelope.model_validate(response.json()).error.message
    user = await make_user()
    body = {"id": "museo-1952", "info": {"lang": "fi", "name": "Kisakesä"}}
    response = await answer(service_client("admin"), "POST", "/projects", json=body, headers=user.headers)
    assert response.status_code == 403
    assert ErrorEnvelope.model_validate(response.json()).error.details == ["superuser required"]


async def test_times_are_rfc3339_with_a_zone(service_client, make_user):
    admin = await make_user(superuser=True)
    body = {"id": "zone-test-" + admin.username[-8:], "info": {"lang": "fi", "name": "Aikavyöhyke"},
            "starts": "2026-05-01T00:00:00+03:00", "ends": "2026-09-30T23:59:59"}
    created = await service_client("admin").post("/projects", json=body, headers=admin.headers)
    assert created.status_code == 201
    shown = (await answer(service_client("data"), "GET", f"/projects/{body['id']}", headers=admin.headers)).json()
    assert (shown["starts"], shown["ends"]) == ("2026-04-30T21:00:00Z", "2026-09-30T23:59:59Z")
    sessions = (await service_client("users").get("/me/sessions", headers=admin.headers)).json()["items"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item[key])
               for item in sessions for key in ("created", "last_seen", "expires"))
