"""Accounts the sign-in flows create and find: one path for a new account (a generated username),
used by the e-mail link exchange and by sign-in with a provider."""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot import identities
from muistot_login import queries, usernames
from muistot_login.oauth_flow import ProvenSignIn

log = logging.getLogger("muistot.login")


async def new_account(request: Request, conn: AsyncConnection, *, email: str | None, how: str,
                      username: str | None = None) -> int:
    """A verified account under `username` (a generated one if none is given or it was taken meanwhile)."""
    if username is None or await queries.username_taken(conn, username):
        username = await usernames.unique_username(request)
    user_id = await queries.insert_user(conn, username=username, email=email, verified=True)
    log.info("account %s created by %s", user_id, how)
    return user_id


async def account_for_identity(request: Request, conn: AsyncConnection, proven: ProvenSignIn) -> int:
    """The account a proven provider identity signs into.

    An identity linked before signs into its account. A first sign-in links to the account whose
    address the provider asserts as verified; with no such assertion (or no such account) it gets a
    new account, which keeps the address only when it is verified. An unverified address never
    joins or claims anything: whoever owns it could otherwise be signed into a stranger's account.
    """
    user_id = await identities.account_of(conn, proven.issuer, proven.subject)
    if user_id is not None:
        await identities.signed_in_with(conn, proven.issuer, proven.subject)
        return user_id
    verified_email = proven.email if proven.email_verified else None
    existing = await queries.user_by_email(conn, verified_email) if verified_email else None
    if existing is not None:
        user_id = int(existing["id"])
        # The provider proved the address, as an exchanged e-mail link would: the same consequences.
        await queries.email_login_confirmed(conn, user_id)
        log.info("identity at %s linked to account %s by its verified address", proven.provider, user_id)
    else:
        user_id = await new_account(request, conn, email=verified_email, how=f"sign-in with {proven.provider}")
    await identities.link(conn, user_id, provider=proven.provider, issuer=proven.issuer, subject=proven.subject,
                          email=proven.email)
    return user_id
