"""Abuse limits of the `/me` endpoints that send mail or check a secret (counted in Redis)."""

from __future__ import annotations

from muistot.ratelimit import Limit

HOUR = 3600

# Mail-sending requests, per account, per client address, and per target address (so nobody can
# flood someone else's mailbox through their own account).
MAIL_PER_USER = Limit("me-mail-user", 5, HOUR)
MAIL_PER_IP = Limit("me-mail-ip", 50, HOUR)
MAIL_PER_ADDRESS = Limit("me-mail-address", 3, HOUR)

# Attempts at a one-time secret (e-mail change link, account deletion code).
CODE_ATTEMPTS_PER_USER = Limit("me-code-user", 10, 15 * 60)

# Wrong current passwords (counted only when the password was wrong).
PASSWORD_FAILURES_PER_USER = Limit("me-password-user", 5, 15 * 60)
PASSWORD_FAILURES_PER_IP = Limit("me-password-ip", 30, 15 * 60)

