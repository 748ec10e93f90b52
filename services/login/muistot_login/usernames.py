"""Generated usernames for accounts made by e-mail login: unique, valid, never a reason to fail.

The built-in generator (`muistot.names`) is used unless MUISTOT_NAMEGEN_URL names a compatible
external one (`GET <url>/` → `{"value": name}`); whatever goes wrong there, the built-in one steps in.
"""

from __future__ import annotations

import logging

import httpx

from muistot.accounts import username_taken
from muistot.db.engine import Database
from muistot.errors import ApiError
from muistot.names import generate_username
from muistot.redis import RedisClients
from muistot.settings import Settings
from muistot.validation import is_valid_username
from muistot_login import links

log = logging.getLogger("muistot.login.names")
ATTEMPTS = 10


async def _external(url: str) -> str | None:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            response = await client.get(url.rstrip("/") + "/")
        value = response.json().get("value") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.warning("username generator unavailable (%s); using the built-in one", type(exc).__name__)
        return None
    if isinstance(value, str) and is_valid_username(value):
        return value.strip()
    log.warning("username generator answered %s without a valid name; using the built-in one",
                response.status_code)
    return None


async def candidate(settings: Settings) -> str:
    if settings.namegen_url:
        name = await _external(settings.namegen_url)
        if name:
            return name
    return generate_username()


async def unique_username(db: Database, redis: RedisClients, settings: Settings) -> str:
    """A name no account has and no pending e-mail signup has reserved. No connection is held while an
    external generator is asked."""
    for _ in range(ATTEMPTS):
        name = await candidate(settings)
        async with db.connect() as conn:
            if await username_taken(conn, name):
                continue
        if not await links.name_reserved(redis, name):
            return name
    raise ApiError(503, "Service Unavailable", ["no free username found"])
