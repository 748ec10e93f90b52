"""`DELETE /me/providers/{provider}`: unlink a sign-in provider (they are listed in `GET /me`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from muistot.auth import MaybeUser, signed_in
from muistot.openapi import errors
from muistot.validation import PlainText
from muistot_users import linked_providers

router = APIRouter(prefix="/me", tags=["me"])


@router.delete("/providers/{provider}", status_code=204, responses={
    204: {"description": "The provider no longer signs in to this account"},
    **errors(401, (404, "Provider not linked"), (409, "No other way to sign in")),
})
async def unlink_provider(request: Request, maybe_user: MaybeUser,
                          provider: Annotated[PlainText, Path(max_length=64)]) -> Response:
    user = signed_in(maybe_user)
    async with request.app.state.db.transaction() as conn:
        await linked_providers.unlink(conn, request.app.state.settings, user.user_id, provider)
    return Response(status_code=204)
