"""`GET /me` and `PATCH /me`: the profile (docs/api.md)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from muistot.deps import Caller, DatabaseDep, MaybeCaller, SettingsDep, signed_in
from muistot.encoding import json_bytes
from muistot.openapi import errors
from muistot.write import WriteDep
from muistot_users import linked_providers
from muistot_users.models import PatchUser, UserData
from muistot_users.queries.profile import load_account, load_profile, patch_personal_data

router = APIRouter(prefix="/me", tags=["me"])


@router.get("", response_model=UserData, response_model_exclude_none=True)
async def get_me(caller: Caller, db: DatabaseDep, settings: SettingsDep) -> Response:
    """The profile: username, e-mail, the personal data that is set (absent fields are omitted) and the
    sign-in providers linked to the account."""
    async with db.connect() as conn:
        found, linked = await load_profile(conn, caller.user_id)
    profile = UserData(**found, providers=linked_providers.shown(settings, linked) or None)
    return Response(json_bytes(profile), media_type="application/json")


@router.patch("", status_code=204, responses=errors(401))
async def patch_me(caller: MaybeCaller, write: WriteDep, body: PatchUser | None = None) -> Response:
    """Write the fields sent; `null` clears one; absent fields stay. An empty object changes nothing (still 204,
    as the contract recommends: a 304 is not `ok` to a browser's fetch)."""
    caller = signed_in(caller)
    changes = body.changes() if body is not None else {}
    if not changes:
        return Response(status_code=204)
    async with write.unit(caller) as unit:
        await load_account(unit.conn, caller.user_id, for_update=True)
        await patch_personal_data(unit.conn, caller.user_id, changes)
    return Response(status_code=204)
