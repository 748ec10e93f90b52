"""The signed identity header and the shared auth dependency, in-process against real DB and Redis."""

import time

import jwt

from muistot import identity
from muistot.sessions import Session

SECRET = "x" * 40


def _session(**overrides):
    values = {"id": "sid1", "user_id": 7, "username": "Eve", "superuser": False, "created": 0,
              "expires": int(time.time()) + 60}
    values.update(overrides)
    return Session(**values)


def test_minted_identity_reads_back():
    principal = identity.read(identity.mint(_session(), SECRET, 30), SECRET)
    assert (principal.user_id, principal.username, principal.superuser, principal.session_id) == (7, "Eve", False,
                                                                                                  "sid1")


def test_forged_expired_and_unsigned_headers_are_refused():
    other = identity.mint(_session(), "y" * 40, 30)
    expired = jwt.encode({"sub": "7", "name": "Eve", "su": True, "sid": "s", "iat": 1, "exp": 2, "aud": "muistot"},
                         SECRET, algorithm="HS256")
    unsigned = jwt.encode({"sub": "7", "name": "Eve", "su": True, "sid": "s", "iat": int(time.time()),
                           "exp": int(time.time()) + 60, "aud": "muistot"}, None, algorithm="none")
    for header in (other, expired, unsigned, "garbage", ""):
        try:
            identity.read(header, SECRET)
        except identity.InvalidIdentity:
            continue
        raise AssertionError(f"accepted {header!r}")


async def test_services_accept_bearer_or_signed_identity_and_refuse_forgeries(service_client, make_user):
    users = service_client("users")
    alice = await make_user()
    me = await users.get("/me", headers=alice.headers)
    assert me.status_code == 200 and me.json()["username"] == alice.username

    anonymous = await users.get("/me")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json() == {"error": {"code": 401, "message": "Unauthorized"}}

    forged = jwt.encode({"sub": str(alice.id), "name": alice.username, "su": True, "sid": "x",
                         "iat": int(time.time()), "exp": int(time.time()) + 60, "aud": "muistot"},
                        "not-the-secret-" * 3, algorithm="HS256")
    refused = await users.get("/me", headers={identity.IDENTITY_HEADER: forged})
    assert refused.status_code == 401 and refused.json()["error"]["message"] == "Invalid Identity"

    unknown = await users.get("/me", headers={"Authorization": "Bearer " + "A" * 43})
    assert unknown.status_code == 401 and unknown.json()["error"]["message"] == "Invalid Session"
    scheme = await users.get("/me", headers={"Authorization": "Basic abc"})
    assert scheme.json()["error"]["message"] == "Wrong Scheme"
    shape = await users.get("/me", headers={"Authorization": "Bearer ä!".encode()})
    assert shape.json()["error"]["message"] == "Invalid Token Format"


async def test_verify_endpoint(service_client, make_user):
    login = service_client("login")
    bob = await make_user(superuser=True)

    anonymous = await login.get("/_internal/verify")
    assert anonymous.status_code == 200 and identity.IDENTITY_HEADER.lower() not in anonymous.headers
    assert anonymous.headers["x-request-id"]

    valid = await login.get("/_internal/verify", headers=bob.headers)
    assert valid.status_code == 200
    settings = login.app.state.settings
    principal = identity.read(valid.headers[identity.IDENTITY_HEADER], settings.identity_secret)
    assert (principal.user_id, principal.username, principal.superuser) == (bob.id, bob.username, True)

    bad = await login.get("/_internal/verify", headers={"Authorization": "Bearer " + "B" * 43})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert bad.json() == {"error": {"code": 401, "message": "Invalid Session"}}

    await login.app.state.sessions.revoke(bob.token)
    revoked = await login.get("/_internal/verify", headers=bob.headers)
    assert revoked.status_code == 401
