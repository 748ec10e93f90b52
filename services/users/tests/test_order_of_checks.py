"""Which error wins: invalid parameters are 422 before a missing session is 401 (docs/contract.md,
"Order of checks")."""

import pytest

INVALID_WITHOUT_SESSION = [
    ("PATCH", "/me", {"json": {"country": "XX"}}, ["body", "country"]),
    ("POST", "/me/username", {"params": {"username": "a"}}, ["query", "username"]),
    ("POST", "/me/username", {}, ["query", "username"]),
    ("POST", "/me/email", {"params": {"email": "not-an-address"}}, ["query", "email"]),
    ("POST", "/me/email/confirm", {}, ["query", "token"]),
    ("PUT", "/me/password", {"params": {"password": "short"}}, ["query", "password"]),
    ("GET", "/me/sessions", {"params": {"limit": "0"}}, ["query", "limit"]),
    ("DELETE", "/me/sessions/" + "x" * 65, {}, ["path", "session_id"]),
    ("GET", "/me/memories", {"params": {"limit": "1000"}}, ["query", "limit"]),
    ("DELETE", "/me/account", {"params": {"token": "1"}}, ["query", "token"]),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "loc"), INVALID_WITHOUT_SESSION)
async def test_invalid_parameters_without_a_session_are_422_not_401(users, method, path, kwargs, loc):
    response = await users.request(method, path, **kwargs)
    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["error"]["errors"]]


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("PATCH", "/me", {"json": {"city": "Oulu"}}),
    ("POST", "/me/username", {"params": {"username": "Valid Name"}}),
    ("POST", "/me/email", {"params": {"email": "someone@example.com"}}),
    ("PUT", "/me/password", {"params": {"password": "long enough"}}),
    ("GET", "/me/sessions", {}),
])
async def test_valid_parameters_without_a_session_are_401(users, method, path, kwargs):
    response = await users.request(method, path, **kwargs)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": 401, "message": "Unauthorized"}}
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_bad_token_is_401_before_validation(users):
    """An invalid `Authorization` header is refused before anything else (step 1)."""
    response = await users.post("/me/username", params={"username": "a"}, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Wrong Scheme"
