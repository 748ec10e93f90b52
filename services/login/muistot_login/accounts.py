"""Accounts the sign-in flows create and find: one path for a new account (a generated username),
used by the e-mail link exchange and by sign-in with a provider."""

from __future__ import annotations

import logging

from muistot import accounts, identities
from muistot.db.engine import Database
from muistot.errors import ApiError
from muistot.text import fold
from muistot.write import Unit
from muistot_login import links, usernames
from muistot_login.oauth_flow import ProvenSignIn
from muistot_login.queries.accounts import email_login_confirmed

log = logging.getLogger("muistot.login")


async def new_account(unit: Unit, db: Database, *, email: str | None, how: str, username: str | None = None) -> int:
    """A verified account under `username` (a generated one, checked on `db`, if none is given or it was
    taken meanwhile)."""
    if username is None or await accounts.username_taken(unit.conn, username):
        username = await usernames.unique_username(db, unit.redis, unit.settings)
    user_id = await accounts.insert_user(unit.conn, username=username, email=email, verified=True)
    log.info("account %s created by %s", user_id, how)
    return user_id


async def account_for_link(unit: Unit, db: Database, link: links.Link) -> int:
    """The account a valid e-mail link signs into, created now for a pending signup; 404 for a void link."""
    if link.user_id is not None:
        row = await accounts.user_by_id(unit.conn, link.user_id)
        # The link was mailed to the address the account had then; if it moved since, it is void.
        if row is None or row["email_key"] is None or row["email_key"] != fold(link.email):
            raise ApiError(404, "Not found")
        return int(row["id"])
    existing = await accounts.user_by_email(unit.conn, link.email)
    if existing is not None:  # the address got an account meanwhile (another link, a registration)
        return int(existing["id"])
    return await new_account(unit, db, email=link.email, username=link.username, how="e-mail login")


async def account_for_identity(unit: Unit, db: Database, proven: ProvenSignIn) -> int:
    """The account a proven provider identity signs into.

    An identity linked before signs into its account. A first sign-in links to the account whose
    address the provider asserts as verified; with no such assertion (or no such account) it gets a
    new account, which keeps the address only when it is verified. An unverified address never
    joins or claims anything: whoever owns it could otherwise be signed into a stranger's account.
    """
    conn = unit.conn
    user_id = await identities.account_of(conn, proven.issuer, proven.subject)
    if user_id is not None:
        await identities.signed_in_with(conn, proven.issuer, proven.subject)
        return user_id
    verified_email = proven.email if proven.email_verified else None
    existing = await accounts.user_by_email(conn, verified_email) if verified_email else None
    if existing is not None:
        user_id = int(existing["id"])
        # The provider proved the address, as an exchanged e-mail link would: the same consequences.
        await email_login_confirmed(conn, user_id)
        log.info("identity at %s linked to account %s by its verified address", proven.provider, user_id)
    else:
        user_id = await new_account(unit, db, email=verified_email, how=f"sign-in with {proven.provider}")
    await identities.link(conn, user_id, provider=proven.provider, issuer=proven.issuer, subject=proven.subject,
                          email=proven.email)
    return user_id
