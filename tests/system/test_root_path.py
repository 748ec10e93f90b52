"""The real stack with `MUISTOT_ROOT_PATH=/api` (docs/api.md, "Requests"): every route answers under
`/api` and nowhere else, services see the path without it, and every URL handed out carries it."""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest

from muistot.settings import SERVICES, Settings
from tests.system.conftest import RunningStack, create_user, run_async, stack_settings, start_stack

ROOT = "/api"


@pytest.fixture(scope="module")
def prefixed_stack(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with start_stack(stack_settings(test_settings, root_path=ROOT), tmp_path_factory.mktemp("root-path-logs"),
                     worker=False) as running:
        yield running


@pytest.fixture(scope="module")
def api(prefixed_stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=prefixed_stack.url, timeout=10) as client:
        yield client


def rid() -> str:
    return uuid.uuid4().hex


def assert_json_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == status


@pytest.mark.parametrize(("method", "path", "service"), [
    ("GET", "/languages?q=fi", "data"),
    ("GET", "/projects", "data"),
    ("GET", "/auth/status", "login"),
    ("GET", "/me", "users"),
    ("POST", "/report", "admin"),
])
def test_each_service_is_reached_under_the_prefix_and_sees_the_path_without_it(
        prefixed_stack, api, method, path, service) -> None:
    request_id = rid()
    response = api.request(method, ROOT + path, headers={"X-Request-Id": request_id})
    assert response.status_code < 500, response.text
    assert prefixed_stack.answered_by(request_id, path.split("?")[0]) == service


@pytest.mark.parametrize("path", ["/languages?q=fi", "/projects", "/me", "/auth/status", "/docs", "/ready", "/",
                                  "/openapi/data.json", "/apix", "/apix/projects", "/_internal/verify", "/metrics"])
def test_paths_outside_the_prefix_are_json_404(api, path) -> None:
    assert_json_error(api.get(path), 404)


def test_health_answers_with_and_without_the_prefix(api) -> None:
    for path in ("/health", f"{ROOT}/health"):
        response = api.get(path)
        assert response.status_code == 200 and response.text == "OK"


def test_ready_under_the_prefix(api) -> None:
    response = api.get(f"{ROOT}/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "services": dict.fromkeys(SERVICES, "ok")}


def test_internal_paths_under_the_prefix_are_json_404(api) -> None:
    for path in ("/_internal/verify", "/_internal/ready-all", "/metrics"):
        assert_json_error(api.get(ROOT + path), 404)


def test_create_location_carries_the_prefix_and_works(prefixed_stack, api) -> None:
    superuser = run_async(create_user(prefixed_stack.settings, superuser=True))
    project = f"root-{secrets.token_hex(4)}"
    created = api.post(f"{ROOT}/projects", json={"id": project, "info": {"lang": "fi", "name": "Hanke"}},
                       headers=superuser.headers)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{prefixed_stack.url}{ROOT}/projects/{project}"
    fetched = api.get(created.headers["location"], headers=superuser.headers)
    assert fetched.status_code == 200 and fetched.json()["id"] == project


def test_trailing_slash_redirect_stays_under_the_prefix(prefixed_stack, api) -> None:
    response = api.get(f"{ROOT}/projects/")
    assert response.status_code == 307
    assert response.headers["location"] == f"{prefixed_stack.url}{ROOT}/projects"
    assert api.get(response.headers["location"]).status_code == 200


@pytest.mark.parametrize("path", [ROOT, f"{ROOT}/"])
def test_index_and_its_icon_under_the_prefix(prefixed_stack, api, path) -> None:
    page = api.get(path)
    assert page.status_code == 200, page.text
    icon = f"{prefixed_stack.url}{ROOT}/images/favicon.ico"
    assert f'href="{icon}"' in page.text
    assert api.get(icon).status_code == 200


def test_docs_under_the_prefix_and_its_spec_urls_work(api) -> None:
    page = api.get(f"{ROOT}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    config = json.loads(re.search(r"const config = (\{.*\});", page.text).group(1))
    urls = {entry["name"]: entry["url"] for entry in config["urls"]}
    assert urls == {name: f"{ROOT}/openapi/{name}.json" for name in SERVICES}
    for name, url in urls.items():
        spec = api.get(url)
        assert spec.status_code == 200, spec.text
        assert spec.json()["info"]["title"] == f"Muistot {name}"
        assert spec.json()["servers"] == [{"url": ROOT}]
    for asset in re.findall(r'(?:href|src)="([^"]+)"', page.text):
        assert asset.startswith(f"{ROOT}/docs/")
        assert api.get(asset).status_code == 200, asset


def forged_identity(secret: str, user_id: int, username: str) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "name": username, "su": True, "sid": "forged", "iat": now, "exp": now + 60,
              "aud": "muistot"}
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize("header", ["X-Muistot-Identity", "X_Muistot_Identity", "X.Muistot.Identity"])
def test_forged_identity_headers_are_still_stripped(prefixed_stack, api, header) -> None:
    victim = run_async(create_user(prefixed_stack.settings))
    attacker = run_async(create_user(prefixed_stack.settings))
    forged = forged_identity(prefixed_stack.settings.identity_secret, victim.id, victim.username)
    assert_json_error(api.get(f"{ROOT}/me", headers={header: forged}), 401)
    response = api.get(f"{ROOT}/me", headers={**attacker.headers, header: forged})
    assert response.status_code == 200, response.text
    assert response.json()["username"] == attacker.username
