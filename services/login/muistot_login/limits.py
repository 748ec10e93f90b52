"""The login service's abuse limits (MUISTOT_LOGIN_* settings), on top of `muistot.ratelimit`.

Windows are short on purpose: anyone can spend a victim's per-address allowance, so it must come
back within a minute; per-IP limits carry the real weight (the IP comes from X-Forwarded-For only
behind our own proxies).
"""

from __future__ import annotations

from fastapi import Request

from muistot.client_ip import client_ip
from muistot.ratelimit import Check, Limit, RateLimiter
from muistot.settings import Settings
from muistot.text import fold

PASSWORD_FAILURE_WINDOW = 15 * 60


def limiter(request: Request) -> RateLimiter:
    return RateLimiter(request.app.state.redis)


def ip_of(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return client_ip(request, settings.trusted_proxy_networks)


def mail_requests(request: Request, email: str) -> tuple[Check, Check]:
    """Requests that send mail (/auth/email, /auth/register): per client IP and per address, per minute."""
    settings: Settings = request.app.state.settings
    return ((Limit("login-mail-ip", settings.login_limit_per_ip), ip_of(request)),
            (Limit("login-mail-address", settings.login_limit_per_address), fold(email)))


def attempts(request: Request) -> Check:
    """Secret-checking attempts (exchange, confirm, password) per client IP, per minute."""
    settings: Settings = request.app.state.settings
    return Limit("login-attempt-ip", settings.login_attempts_per_ip), ip_of(request)


def password_failures(request: Request, account: str) -> Check:
    """Failed password logins for one account (or one unknown identifier) per 15 minutes."""
    settings: Settings = request.app.state.settings
    return Limit("login-password-fail", settings.login_password_failures, PASSWORD_FAILURE_WINDOW), account
