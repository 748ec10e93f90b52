"""`DELETE /me/providers/{provider}`: unlink a sign-in provider (they are listed in `GET /me`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from muistot.deps import MaybeCaller, signed_in
from muistot.openapi import errors
from muistot.validation import PlainText
from muistot.write import WriteDep
from muistot_users import linked_providers

router = APIRouter(prefix="/me", tags=["me"])


@router.delete("/providers/{provider}", status_code=204, responses={
    204: {"description": "The provider no longer signs in to this account"},
    **errors(401, (404, "Provider not linked"), (409, "No other way to sign in")),
})
async def unlink_provider(caller: MaybeCaller, write: WriteDep,
                          provider: Annotated[PlainText, Path(max_length=64)]) -> Response:
    caller = signed_in(caller)
    async with write.unit(caller) as unit:
        await linked_providers.unlink(unit.conn, unit.settings, caller.user_id, provider)
    return Response(status_code=204)
