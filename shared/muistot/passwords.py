"""Password hashing (bcrypt) and the password policy, shared by password login and `/me/password`.

bcrypt is deliberately slow, so hashing and checking run in a worker thread, never on the event
loop. bcrypt only reads the first 72 bytes of a password (and bcrypt ≥ 5 refuses longer input), so
the policy rejects longer passwords instead of silently ignoring their tail.
"""

from __future__ import annotations

import asyncio
import hmac
from functools import lru_cache

import bcrypt

MAX_PASSWORD_BYTES = 72


def policy_error(password: str, min_length: int) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < min_length:
        return f"Password must be at least {min_length} characters long"
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return f"Password must be at most {MAX_PASSWORD_BYTES} bytes long"
    return None


def _hash(password: str, cost: int) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=cost)).decode("ascii")


@lru_cache(maxsize=4)
def _dummy_hash(cost: int) -> bytes:
    # Checked against when there is no stored hash, so "no such user / no password" costs as much time.
    return _hash("not a real password", cost).encode("ascii")


def _check(password: str, stored: str | None, cost: int) -> bool:
    candidate = password.encode("utf-8")
    if len(candidate) > MAX_PASSWORD_BYTES:
        candidate = candidate[:MAX_PASSWORD_BYTES]
        stored = None  # cannot have been set through the policy; still spend the time
    target = stored.encode("ascii") if stored else _dummy_hash(cost)
    try:
        ok = bcrypt.checkpw(candidate, target)
    except ValueError:  # a malformed stored hash counts as a wrong password
        ok = False
    return ok and stored is not None


async def hash_password(password: str, cost: int) -> str:
    return await asyncio.to_thread(_hash, password, cost)


async def verify_password(password: str, stored: str | None, cost: int) -> bool:
    """True when `password` matches `stored`; with no stored hash, spends the same time and says False."""
    return await asyncio.to_thread(_check, password, stored, cost)


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of two digests or codes."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def usable_password(password_hash: str | None, confirmed: bool) -> bool:
    """A password counts once its address was confirmed; an unconfirmed one (a registration nobody
    confirmed, possibly by someone else: docs/sign-in.md) neither signs in nor has to be known to replace it."""
    return password_hash is not None and bool(confirmed)
