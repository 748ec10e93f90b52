"""`/_internal/verify`: the gateway's ForwardAuth target. Never routed to clients.

No token → 200 anonymous; a bad or expired token → 401 with the contract's body; a valid one →
200 with `X-Muistot-Identity`. One Redis round trip (GETEX slides the idle expiry).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from muistot import identity
from muistot.auth import bearer_token
from muistot.errors import ApiError, error_response

router = APIRouter(include_in_schema=False)


@router.get("/_internal/verify")
async def verify(request: Request) -> Response:
    # X-Request-Id (the client's if valid, else a new one) is added by RequestContextMiddleware.
    headers: dict[str, str] = {}
    try:
        token = bearer_token(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message, headers=headers)
    if token is None:
        return Response(status_code=200, headers=headers)
    session = await request.app.state.sessions.validate(token)
    if session is None:
        return error_response(401, "Invalid Session", headers=headers)
    settings = request.app.state.settings
    headers[identity.IDENTITY_HEADER] = identity.mint(session, settings.identity_secret, settings.identity_ttl)
    return Response(status_code=200, headers=headers)
