"""Sign-in with a provider, in-process against a real provider process: the callback URL we give it,
and outages of our own Redis and database and of the provider's discovery document.

The whole flow through the gateway, with the linking rules and every refusal, is in
`tests/system/test_flow_oauth.py`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlalchemy import select

from muistot.db.tables import users
from muistot.providers import OidcProvider
from muistot_tooling.testing.oidc import ProviderProcess, TokenRelay
from muistot_tooling.testing.plugin import CLOSED_MYSQL_URL

from .conftest import free_port_url, from_ip

PUBLIC_URL = "https://kartta.example"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProviderProcess]:
    process = ProviderProcess(tmp_path_factory.mktemp("provider") / "provider.log").start()
    yield process
    process.stop()


def configured(issuer: str, name: str = "mock") -> list[OidcProvider]:
    return [OidcProvider(name=name, issuer=issuer, client_id="muistot-test", client_secret="k3y-7d1e")]


def fragment(response: httpx.Response) -> tuple[str, dict[str, str]]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(f"{PUBLIC_URL}#"), location
    action, _, query = location.split("#", 1)[1].partition(":")
    return action, dict(parse_qsl(query))


async def provider_callback(client: httpx.AsyncClient, provider: ProviderProcess, sub: str, ip: str) -> str:
    """Start at our app, sign in at the provider's form; the callback path with its code and state."""
    started = await client.get("/auth/oauth/mock", headers=from_ip(ip))
    assert started.status_code == 302, started.text
    callback = await asyncio.to_thread(provider.authorize, started.headers["location"], sub)
    parts = urlsplit(callback)
    return f"{parts.path}?{parts.query}"


async def test_the_callback_url_names_the_api_url_and_the_root_path(login_app_with: Callable[..., Any],
                                                                   provider: ProviderProcess) -> None:
    cases = [({}, "http://testserver/auth/oauth/mock/callback"),
             ({"root_path": "/api"}, "http://testserver/api/auth/oauth/mock/callback"),
             ({"root_path": "/api", "api_url": "https://muistot.example.org"},
              "https://muistot.example.org/api/auth/oauth/mock/callback")]
    for overrides, expected in cases:
        async with login_app_with(oidc_providers=configured(provider.url), **overrides) as client:
            started = await client.get("/auth/oauth/mock", headers=from_ip())
            assert started.status_code == 302, started.text
            assert started.headers["cache-control"] == "no-store"
            assert dict(parse_qsl(urlsplit(started.headers["location"]).query))["redirect_uri"] == expected


async def test_redis_out_of_reach_is_a_clean_error_at_every_step(login_app_with: Callable[..., Any],
                                                                provider: ProviderProcess) -> None:
    down = free_port_url("redis")
    async with login_app_with(oidc_providers=configured(provider.url), public_url=PUBLIC_URL, redis_url=down,
                              session_redis_url=down, cache_redis_url=down, redis_timeout=1.0) as client:
        started = await client.get("/auth/oauth/mock", headers=from_ip())
        assert started.status_code == 503 and started.json()["error"]["code"] == 503
        returned = await client.get("/auth/oauth/mock/callback?state=s&code=c", headers=from_ip())
        assert fragment(returned) == ("oauth-error", {"error": "unavailable", "provider": "mock"})
        exchanged = await client.post("/auth/oauth/exchange", json={"code": "c"}, headers=from_ip())
        assert exchanged.status_code == 503 and exchanged.json()["error"]["code"] == 503


async def test_a_database_out_of_reach_at_the_exchange_is_a_503_and_creates_nothing(
        login_app_with: Callable[..., Any], provider: ProviderProcess) -> None:
    sub = "database-down-person"
    provider.set_user(sub, {"email": "database-down@example.com", "email_verified": True})
    async with login_app_with(oidc_providers=configured(provider.url), public_url=PUBLIC_URL) as client:
        callback = await provider_callback(client, provider, sub, "198.18.7.7")
        action, params = fragment(await client.get(callback, headers=from_ip("198.18.7.7")))
        assert action == "oauth-login"
    async with login_app_with(oidc_providers=configured(provider.url), database_url=CLOSED_MYSQL_URL,
                              db_connect_timeout=1.0) as broken:
        exchanged = await broken.post("/auth/oauth/exchange", json={"code": params["code"]}, headers=from_ip())
        assert exchanged.status_code == 503, exchanged.text
        assert "authorization" not in exchanged.headers
    async with login_app_with() as client:
        async with client.app.state.db.connect() as conn:  # type: ignore[attr-defined]
            found = await conn.scalar(select(users.c.id).where(users.c.email_key == "database-down@example.com"))
        assert found is None


async def test_a_discovery_document_naming_another_issuer_is_refused(login_app_with: Callable[..., Any],
                                                                    provider: ProviderProcess) -> None:
    relay = TokenRelay(provider.url).start()
    try:
        # The relay's discovery document names the relay; configured under another spelling it does not match.
        async with login_app_with(oidc_providers=configured(relay.url + "/")) as client:
            started = await client.get("/auth/oauth/mock", headers=from_ip())
        assert started.status_code == 503
        assert started.json()["error"]["message"] == "Provider unavailable"
    finally:
        relay.stop()


async def test_the_exchange_body_is_validated(login_app_with: Callable[..., Any], provider: ProviderProcess) -> None:
    async with login_app_with(oidc_providers=configured(provider.url)) as client:
        too_long = await client.post("/auth/oauth/exchange", json={"code": "x" * 129}, headers=from_ip())
        assert too_long.status_code == 422
        assert too_long.json()["error"]["errors"][0]["loc"] == ["body", "code"]
        assert (await client.get("/auth/oauth")).json() == {"oauth_providers": ["mock"],
                                                           "providers": [{"name": "mock", "label": "mock"}]}
