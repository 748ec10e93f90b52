"""The functions that turn a request into the caller; routes take them as `muistot.deps.MaybeCaller`,
`Caller` and `Anonymous`.

Order: the gateway's signed identity header if present; otherwise a bearer token checked against
Redis (a service running alone); otherwise anonymous. Any header that is present but wrong is a
401 with the contract's messages and `WWW-Authenticate: Bearer`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from muistot import identity
from muistot.errors import ApiError
from muistot.identity import IDENTITY_HEADER, Principal
from muistot.sessions import well_formed


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when the header is absent."""
    return parse_bearer(request.headers.get("authorization"))


def parse_bearer(header: str | None) -> str | None:
    """The token of an `Authorization` header's value; None for no header, 401 for another scheme or shape."""
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        raise ApiError(401, "Wrong Scheme")
    if not well_formed(credentials.strip()):
        raise ApiError(401, "Invalid Token Format")
    return credentials.strip()


# Declares the scheme in every service's OpenAPI document (the Authorize button of /docs) for each route that
# takes the caller; it never refuses anything itself: `parse_bearer` gives the contract's 401s.
bearer_scheme = HTTPBearer(scheme_name="bearer", bearerFormat="opaque session token", auto_error=False,
                           description="The token from the `Authorization: bearer <token>` header of a sign-in "
                                       "answer (docs/sign-in.md).")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def optional_principal(request: Request, _: Bearer = None) -> Principal | None:
    cached = getattr(request.state, "principal", ...)
    if cached is not ...:
        return cached
    state = request.app.state
    signed = request.headers.get(IDENTITY_HEADER)
    principal: Principal | None
    if signed is not None:
        try:
            principal = identity.read(signed, state.settings.identity_secret)
        except identity.InvalidIdentity:
            raise ApiError(401, "Invalid Identity") from None
    else:
        token = bearer_token(request)
        if token is None:
            principal = None
        else:
            session = await state.sessions.validate(token)
            if session is None:
                raise ApiError(401, "Invalid Session")
            principal = identity.principal_of(session)
    request.state.principal = principal
    return principal


async def require_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise ApiError(401, "Unauthorized")
    return principal


def signed_in(user: Principal | None) -> Principal:
    """The caller, or 401 "Unauthorized". Call it first thing in an endpoint that takes parameters, with the
    caller from `muistot.deps.MaybeCaller`: FastAPI runs dependencies before it reports invalid parameters, so
    with `Caller` a 401 would win over the 422 the contract puts first (docs/contract.md, "Order of checks")."""
    if user is None:
        raise ApiError(401, "Unauthorized")
    return user


async def require_anonymous(principal: Annotated[Principal | None, Depends(optional_principal)]) -> None:
    if principal is not None:
        raise ApiError(403, "Already signed-in")
