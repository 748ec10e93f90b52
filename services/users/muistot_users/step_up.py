"""Proof beyond the session for sensitive changes (CHANGELOG.md, docs/sign-in.md).

A stolen session must not become a permanent takeover. So the password changes only with the current
one, and a first password or a new e-mail address needs either the current password or a recent
sign-in (a link, code or password proved at most MUISTOT_REAUTH_SECONDS ago; sessions issued after a
rename keep the time of the sign-in they replace).
"""

from __future__ import annotations

from typing import Any

from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.passwords import usable_password, verify_password
from muistot.ratelimit import ClientLimits
from muistot.settings import Settings
from muistot_users import limits

RECENT_SIGN_IN_REQUIRED = "Recent sign-in required"


async def check_current_password(request_limits: ClientLimits, settings: Settings, caller: Principal,
                                 stored: str | None, given: str | None) -> None:
    """403 unless `given` is the current password; wrong guesses are rate limited (429)."""
    limiter = request_limits.limiter
    checks = ((limits.PASSWORD_FAILURES_PER_USER, str(caller.user_id)),
              (limits.PASSWORD_FAILURES_PER_IP, request_limits.ip))
    await limiter.check(*checks)
    if given is None:
        raise ApiError(403, "Current password required")
    if not await verify_password(given, stored, settings.bcrypt_cost):
        await limiter.hit(*checks)
        raise ApiError(403, "Wrong password")


def require_recent_sign_in(settings: Settings, caller: Principal, *, has_password: bool) -> None:
    """403 "Recent sign-in required" for a session whose sign-in is older than MUISTOT_REAUTH_SECONDS; the
    details name `current_password` when the account has one it could give instead."""
    if not caller.signed_in_within(settings.reauth_seconds):
        raise ApiError(403, RECENT_SIGN_IN_REQUIRED, ["current_password"] if has_password else ())


async def require_step_up(request_limits: ClientLimits, settings: Settings, caller: Principal, account: dict[str, Any],
                          current_password: str | None) -> None:
    """The current password when the account has one and it was given, otherwise a recent sign-in."""
    has_password = usable_password(account["password_hash"], account["password_confirmed"])
    if has_password and current_password is not None:
        await check_current_password(request_limits, settings, caller, account["password_hash"], current_password)
    else:
        require_recent_sign_in(settings, caller, has_password=has_password)

