"""The services under `MUISTOT_ROOT_PATH=/api` (in-process, as a service run alone): their routes stay
where they are, and every URL they hand out names the prefix the gateway serves them under."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from muistot.settings import SERVICES
from muistot_tooling.testing.factories import insert_signed_in_user
from muistot_tooling.testing.plugin import running

ROOT = "/api"


@pytest_asyncio.fixture(scope="module")
async def prefixed(service_app_with: Callable[[str], Callable[..., FastAPI]]) -> AsyncIterator[
        dict[str, httpx.AsyncClient]]:
    """One in-process client per service, each app configured with the root path."""
    clients: dict[str, httpx.AsyncClient] = {}
    contexts = []
    try:
        for name in SERVICES:
            app = service_app_with(name)(root_path=ROOT)
            context = running(app)
            clients[name] = await context.__aenter__()
            clients[name].app = app  # type: ignore[attr-defined]
            contexts.append(context)
        yield clients
    finally:
        for context in reversed(contexts):
            await context.__aexit__(None, None, None)


@pytest.fixture(scope="module")
def service_app_with(test_settings):  # module scope for the module-scoped clients above
    import importlib

    def for_service(name: str) -> Callable[..., FastAPI]:
        module = importlib.import_module(f"muistot_{name}.app")
        return lambda **overrides: module.create_app(test_settings.model_copy(update=overrides))

    return for_service


async def test_create_location_carries_the_prefix(prefixed) -> None:
    admin = prefixed["admin"]
    state = admin.app.state
    superuser = await insert_signed_in_user(state.db, state.sessions, superuser=True)
    project = f"rp-{secrets.token_hex(4)}"
    response = await admin.post("/projects", json={"id": project, "info": {"lang": "fi", "name": "Hanke"}},
                                headers=superuser.headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"http://testserver{ROOT}/projects/{project}"
    # The service itself still answers at the unprefixed path (the gateway strips the prefix).
    publish = await admin.post(f"/projects/{project}/publish?publish=true", headers=superuser.headers)
    assert publish.status_code == 204
    assert publish.headers["location"] == f"http://testserver{ROOT}/projects/{project}"
    assert (await prefixed["data"].get(f"/projects/{project}")).status_code == 200
    assert (await prefixed["data"].get(f"{ROOT}/projects/{project}")).status_code == 404


async def test_favicon_link_carries_the_prefix(prefixed) -> None:
    response = await prefixed["data"].get("/")
    assert response.status_code == 200
    assert f'href="http://testserver{ROOT}/images/favicon.ico"' in response.text


@pytest.mark.parametrize("service", SERVICES)
async def test_openapi_servers_name_the_prefix(prefixed, service) -> None:
    response = await prefixed[service].get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["servers"] == [{"url": ROOT}]


async def test_openapi_has_no_servers_without_a_prefix(service_client) -> None:
    for service in SERVICES:
        assert "servers" not in (await service_client(service).get("/openapi.json")).json()


async def test_gateway_docs_page_names_assets_and_specs_under_the_prefix(prefixed) -> None:
    login = prefixed["login"]
    page = await login.get("/docs")
    assert page.status_code == 200
    for name in SERVICES:
        assert f'"url": "{ROOT}/openapi/{name}.json"' in page.text
    assert f'href="{ROOT}/docs/swagger-ui.css"' in page.text
    assert f'src="{ROOT}/docs/swagger-ui-bundle.js"' in page.text
    assert '"/docs/' not in page.text and '"/openapi/' not in page.text
    own = await login.get("/openapi/login.json")
    assert own.status_code == 200 and own.json()["servers"] == [{"url": ROOT}]
    assert (await login.get("/docs/swagger-ui.css")).status_code == 200


async def test_docs_page_without_a_prefix_is_unchanged(service_client) -> None:
    page = await service_client("login").get("/docs")
    assert '"url": "/openapi/data.json"' in page.text and 'href="/docs/swagger-ui.css"' in page.text


@pytest.mark.parametrize(("service", "path", "target"), [
    ("data", "/projects/", "/projects"),
    ("data", "/projects/?lang=fi", "/projects?lang=fi"),
    ("login", "/docs/", "/docs"),
])
async def test_trailing_slash_redirects_stay_under_the_prefix(prefixed, service, path, target) -> None:
    response = await prefixed[service].get(path)
    assert response.status_code == 307
    assert response.headers["location"] == f"http://testserver{ROOT}{target}"


async def test_trailing_slash_redirect_without_a_prefix_is_unchanged(service_client) -> None:
    response = await service_client("data").get("/projects/")
    assert response.status_code == 307 and response.headers["location"] == "http://testserver/projects"


async def test_image_placeholder_redirect_carries_the_prefix(prefixed) -> None:
    response = await prefixed["data"].get(f"/images/{uuid.uuid4()}.jpg")
    assert response.status_code == 303
    assert response.headers["location"] == f"http://testserver{ROOT}/images/placeholder.jpg"
