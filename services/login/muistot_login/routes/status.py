"""`GET /auth/status` of the contract (docs/api.md); `GET /auth/oauth` is in `routes.oauth`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from muistot.deps import MaybeCaller

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/status", status_code=200, response_class=Response,
            responses={200: {"description": "The session is valid (empty body)"},
                       401: {"description": "No session, or an invalid one (empty body)"}})
async def session_status(caller: MaybeCaller) -> Response:
    """200 with an empty body while the session is valid; 401 with an empty body without a token."""
    if caller is None:
        return Response(status_code=401)
    return Response(status_code=200)

