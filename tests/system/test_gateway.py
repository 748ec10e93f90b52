"""Through the real gateway: routing, health, sessions, identity-header spoofing, CORS, internal paths."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest

from muistot.settings import SERVICES
from muistot_tooling.gateway.routes import Sample, load

TABLE = load()
BACKEND_SAMPLES = [(route, sample) for route in TABLE if route.service in SERVICES for sample in route.samples]


def rid() -> str:
    return uuid.uuid4().hex


def forged_identity(secret: str, user_id: int, username: str, superuser: bool = True) -> str:
    """A well-formed identity header signed with the real secret: only the gateway may ever send one."""
    now = int(time.time())
    claims = {"sub": str(user_id), "name": username, "su": superuser, "sid": "forged", "iat": now, "exp": now + 60,
              "aud": "muistot"}
    return jwt.encode(claims, secret, algorithm="HS256")


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == status
    return body


# --- reachability ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "service"), [
    ("GET", "/languages?q=fi", "data"),
    ("GET", "/auth/oauth", "login"),
    ("GET", "/me", "users"),
    ("POST", "/report", "admin"),
])
def test_each_service_is_reachable_through_the_gateway(system_stack, gateway, method, path, service) -> None:
    request_id = rid()
    response = gateway.request(method, path, headers={"X-Request-Id": request_id})
    assert response.status_code < 500, response.text
    assert response.headers["x-request-id"] == request_id
    assert system_stack.answered_by(request_id, path.split("?")[0]) == service


def test_gateway_health_is_traefik_ping(gateway) -> None:
    response = gateway.get("/health")
    assert response.status_code == 200
    assert response.text == "OK"


def test_gateway_ready_checks_every_service(gateway) -> None:
    response = gateway.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "services": dict.fromkeys(SERVICES, "ok")}


@pytest.mark.parametrize(("route", "sample"), BACKEND_SAMPLES, ids=[f"{r.name}:{s}" for r, s in BACKEND_SAMPLES])
def test_route_table_sample_reaches_its_service(system_stack, gateway, make_gateway_user, route, sample: Sample):
    expected_path = route.replace_path or sample.path
    user = make_gateway_user()  # fresh: a sample may sign its user out or delete it
    for headers in ({}, user.headers):
        request_id = rid()
        response = gateway.request(sample.method, sample.path, headers={"X-Request-Id": request_id, **headers})
        assert response.status_code < 500 or route.name == "login-ready", response.text
        answered = system_stack.answered_by(request_id, expected_path)
        assert answered == route.service, (f"{sample} ({'token' if headers else 'anonymous'}) answered by "
                                           f"{answered}: {system_stack.logged(request_id)}")


# --- sessions through the gateway ---------------------------------------------------------------------

def test_session_authenticates_through_the_gateway(gateway, gateway_user) -> None:
    me = gateway.get("/me", headers=gateway_user.headers)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == gateway_user.username
    assert gateway.get("/auth/status", headers=gateway_user.headers).status_code == 200


@pytest.mark.parametrize("path", ["/projects", "/languages?q=fi", "/me"])
def test_head_through_the_gateway_answers_as_get_without_the_body(gateway, gateway_user, path) -> None:
    headers = gateway_user.headers if path == "/me" else {}
    got = gateway.get(path, headers=headers)
    head = gateway.head(path, headers=headers)
    assert got.status_code == head.status_code == 200, head.text
    assert head.content == b"" and int(head.headers["content-length"]) == len(got.content)
    assert head.headers["content-type"] == got.headers["content-type"]


def test_request_id_is_kept_through_verify(system_stack, gateway, gateway_user) -> None:
    request_id = rid()
    response = gateway.get("/me", headers={**gateway_user.headers, "X-Request-Id": request_id})
    assert response.status_code == 200
    assert response.headers.get_list("x-request-id") == [request_id]
    assert system_stack.answered_by(request_id, "/_internal/verify") == "login"
    assert system_stack.answered_by(request_id, "/me") == "users"


def test_one_request_id_minted_by_verify(system_stack, gateway, gateway_user) -> None:
    """Without a client id, verify mints one: the client sees exactly it, and so does the service."""
    response = gateway.get("/me", headers=gateway_user.headers)
    (request_id,) = response.headers.get_list("x-request-id")
    assert system_stack.answered_by(request_id, "/_internal/verify") == "login"
    assert system_stack.answered_by(request_id, "/me") == "users"
    rejected = gateway.get("/me", headers={"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz0123456789"})
    assert len(rejected.headers.get_list("x-request-id")) == 1


@pytest.mark.parametrize("token", ["abcdefghijklmnopqrstuvwxyz0123456789", "x" * 43])
def test_unknown_token_is_401_json(gateway, token) -> None:
    response = gateway.get("/me", headers={"Authorization": f"Bearer {token}"})
    body = assert_error(response, 401)
    assert body["error"]["message"] == "Invalid Session"
    assert response.headers["www-authenticate"] == "Bearer"
    # The same on a public read: a bad token is never silently anonymous.
    assert_error(gateway.get("/languages?q=fi", headers={"Authorization": f"Bearer {token}"}), 401)


def test_malformed_authorization_is_401(gateway) -> None:
    assert_error(gateway.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert_error(gateway.get("/me", headers={"Authorization": "Bearer short"}), 401)


# --- identity header spoofing (gateway/README.md, "What every router does") ----------------------------

IDENTITY_NAMES = ["X-Muistot-Identity", "x-muistot-identity", "X-MUISTOT-IDENTITY", "X_Muistot_Identity",
                  "x_muistot_identity", "X.Muistot.Identity", "X-Muistot_Identity"]


@pytest.mark.parametrize("header", IDENTITY_NAMES)
def test_forged_identity_header_is_not_trusted_anonymously(system_stack, gateway, gateway_user, header) -> None:
    forged = forged_identity(system_stack.settings.identity_secret, gateway_user.id, gateway_user.username)
    response = gateway.get("/me", headers={header: forged})
    assert_error(response, 401)
    assert gateway.get("/auth/status", headers={header: forged}).status_code == 401


@pytest.mark.parametrize("header", IDENTITY_NAMES)
def test_forged_identity_header_does_not_switch_user(system_stack, gateway, make_gateway_user, header) -> None:
    victim, attacker = make_gateway_user(), make_gateway_user()
    forged = forged_identity(system_stack.settings.identity_secret, victim.id, victim.username)
    response = gateway.get("/me", headers={**attacker.headers, header: forged})
    assert response.status_code == 200, response.text
    assert response.json()["username"] == attacker.username


def test_identity_header_sent_directly_at_a_service_is_401(system_stack, gateway_user) -> None:
    users = system_stack.services["users"]
    bogus = httpx.get(f"{users}/me", headers={"X-Muistot-Identity": "not-a-jwt"})
    assert_error(bogus, 401)
    wrong_key = forged_identity("another-secret-another-secret-0123456789", gateway_user.id, gateway_user.username)
    assert_error(httpx.get(f"{users}/me", headers={"X-Muistot-Identity": wrong_key}), 401)
    now = int(time.time())
    stale = jwt.encode({"sub": str(gateway_user.id), "name": gateway_user.username, "su": False, "sid": "s",
                        "iat": now - 600, "exp": now - 300, "aud": "muistot"},
                       system_stack.settings.identity_secret, algorithm="HS256")
    assert_error(httpx.get(f"{users}/me", headers={"X-Muistot-Identity": stale}), 401)


def test_tampered_minted_identity_is_401_at_a_service(system_stack, gateway_user) -> None:
    """A real identity from verify with one claim changed fails its signature."""
    login = system_stack.services["login"]
    verified = httpx.get(f"{login}/_internal/verify", headers=gateway_user.headers)
    assert verified.status_code == 200
    header, payload, signature = verified.headers["x-muistot-identity"].split(".")
    tampered = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    assert_error(httpx.get(f"{system_stack.services['users']}/me", headers={"X-Muistot-Identity": tampered}), 401)


# --- CORS ----------------------------------------------------------------------------------------------

def test_cors_preflight_from_an_allowed_origin(gateway) -> None:
    response = gateway.options("/me", headers={
        "Origin": "http://frontend.example", "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization,content-type,muistot-language"})
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == "http://frontend.example"
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "muistot-language"} <= allowed
    assert "PATCH" in response.headers["access-control-allow-methods"]


def test_cors_exposes_authorization_on_responses(gateway) -> None:
    response = gateway.get("/languages?q=fi", headers={"Origin": "http://frontend.example"})
    assert response.headers["access-control-allow-origin"] == "http://frontend.example"
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"authorization", "location", "x-request-id", "retry-after"} <= exposed


def test_cors_other_origin_is_not_allowed(gateway) -> None:
    response = gateway.get("/languages?q=fi", headers={"Origin": "http://evil.example"})
    assert response.headers.get("access-control-allow-origin") != "http://evil.example"


# --- what is never routed -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/_internal/verify", "/_internal/ready-all", "/_internal/error/500", "/metrics",
                                  "/metrics/", "/%5Finternal/verify", "/me/../_internal/verify",
                                  "//_internal/verify"])
def test_internal_paths_are_json_404(system_stack, path) -> None:
    # A raw request line: httpx would normalise the dot segments away before sending.
    with httpx.Client(base_url=system_stack.url) as client:
        request = client.build_request("GET", "/")
        request.url = request.url.copy_with(raw_path=path.encode())
        response = client.send(request)
    assert_error(response, 404)
    assert "x-muistot-identity" not in response.headers


@pytest.mark.parametrize("path", ["/_internal%2Fverify", "/x/..%2F_internal/verify", "/metrics%2F"])
def test_encoded_slashes_are_refused(system_stack, path) -> None:
    with httpx.Client(base_url=system_stack.url) as client:
        request = client.build_request("GET", "/")
        request.url = request.url.copy_with(raw_path=path.encode())
        response = client.send(request)
    assert response.status_code == 400


def test_verify_is_not_reachable_even_with_a_token(gateway, gateway_user) -> None:
    response = gateway.get("/_internal/verify", headers=gateway_user.headers)
    assert_error(response, 404)
    assert "x-muistot-identity" not in response.headers


# --- docs ----------------------------------------------------------------------------------------------

def test_docs_is_an_offline_swagger_ui(gateway) -> None:
    page = gateway.get("/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "https://" not in page.text and "//cdn" not in page.text
    for name in SERVICES:
        assert f"/openapi/{name}.json" in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert gateway.get(f"/docs/{asset}").status_code == 200
    assert_error(gateway.get("/docs/../../etc/passwd"), 404)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_spec_is_served(gateway, service) -> None:
    spec = gateway.get(f"/openapi/{service}.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == f"Muistot {service}"


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/projects/some-project", "GET, PATCH, DELETE"),  # data answers; admin has PATCH and DELETE
    ("POST", "/projects/some-project", "GET, PATCH, DELETE"),
    ("DELETE", "/projects", "GET, POST"),
    ("GET", "/projects/some-project/admins", "POST, DELETE"),
    ("POST", "/me", "GET, PATCH, DELETE"),
    ("PUT", "/projects/some-project/sites/a-site/memories/1", "GET, PATCH, DELETE"),
])
def test_a_405_through_the_gateway_allows_every_method_of_the_path(gateway, method, path, allow) -> None:
    response = gateway.request(method, path)
    assert_error(response, 405)
    assert response.headers["allow"] == allow


def test_a_localised_read_keeps_its_language_headers_through_the_gateway(gateway) -> None:
    """CORS adds `Origin` to `Vary`; the service's `Vary` and `Content-Language` stay (docs/api.md, "Languages")."""
    for _ in range(2):  # a miss, then a hit of the response cache
        response = gateway.get("/projects", headers={"Origin": "http://frontend.example", "Accept-Language": "en"})
        assert response.status_code == 200
        assert response.headers["content-language"]
        varies = {name.strip() for name in response.headers["vary"].split(",")}
        assert varies == {"Accept-Language", "Muistot-Language", "Authorization", "Origin"}
