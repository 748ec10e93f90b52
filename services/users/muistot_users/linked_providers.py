"""The providers linked to the signed-in person's account, as `/me` shows them, and unlinking one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from muistot import identities
from muistot.errors import ApiError
from muistot.passwords import usable_password
from muistot.settings import Settings
from muistot_users.queries.profile import load_account


def shown(settings: Settings, linked: list[identities.Identity]) -> list[dict[str, Any]]:
    """Each identity with its provider's label (a provider no longer configured shows its name)."""
    labels = {provider.name: provider.label for provider in settings.oidc_providers}
    return [{"provider": identity.provider, "label": labels.get(identity.provider, identity.provider),
             "email": identity.email, "linked_at": identity.linked_at, "last_used_at": identity.last_used_at}
            for identity in linked]


async def unlink(conn: AsyncConnection, settings: Settings, user_id: int, provider: str) -> None:
    """Unlink `provider` from the account, unless it is the last way left to sign in (409)."""
    account = await load_account(conn, user_id, for_update=True)
    linked = await identities.linked(conn, user_id)
    if not any(identity.provider == provider for identity in linked):
        raise ApiError(404, "Provider not linked")
    has_password = usable_password(account["password_hash"], account["password_confirmed"]) \
        and bool(account["verified"])
    if not identities.other_way_to_sign_in(linked, provider, has_email=bool(account["email"]),
                                           has_password=has_password,
                                           configured=[configured.name for configured in settings.oidc_providers]):
        raise ApiError(409, "No other way to sign in", ["add an e-mail address, a password or another provider first"])
    await identities.unlink(conn, user_id, provider)
