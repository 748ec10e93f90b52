"""The login service's abuse limits (MUISTOT_LOGIN_* settings), on top of `muistot.ratelimit`.

They ban the client, never the victim: whatever a stranger does from elsewhere, the owner of an
account can still sign in from their own network.

- Requests that send mail count per client IP and per address, per minute. Anyone can spend a
  victim's per-address allowance, so it comes back within a minute.
- Secret-checking attempts (link exchange, code confirmation, password login) count their failures
  per client IP, per minute; successes never count, so a school or library behind one address can
  sign in together.
- Wrong passwords count per account *and* client, per 15 minutes: a guesser is stopped on that
  account, its owner elsewhere is not.
- Wrong guesses at one login link or registration code count per client; the link itself stays
  valid for its owner (a registration code, only 6 digits, still dies after
  MUISTOT_LOGIN_CODE_MAX_GUESSES wrong guesses from anyone).

The client IP comes from X-Forwarded-For only behind our own proxies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from muistot.deps import SettingsDep
from muistot.ratelimit import Check, ClientLimitsDep, Limit, RateLimiter
from muistot.settings import Settings
from muistot.text import fold

PASSWORD_FAILURE_WINDOW = 15 * 60
GUESS_WINDOW = 10 * 60  # as long as a link or a code lives


@dataclass(frozen=True)
class LoginLimits:
    """The limits as one request meets them: its client's address and the configured allowances."""

    limiter: RateLimiter
    settings: Settings
    ip: str

    def mail_requests(self, email: str) -> tuple[Check, Check]:
        """Requests that send mail (/auth/email, /auth/register): per client IP and per address, per minute."""
        return ((Limit("login-mail-ip", self.settings.login_limit_per_ip), self.ip),
                (Limit("login-mail-address", self.settings.login_limit_per_address), fold(email)))

    def failed_attempts(self) -> Check:
        """Failed secret-checking attempts (exchange, confirm, password) per client IP, per minute."""
        return Limit("login-fail-ip", self.settings.login_attempts_per_ip), self.ip

    def password_failures(self, account: str) -> Check:
        """Failed password logins for one account (or one unknown identifier) from one client, per 15 minutes."""
        limit = Limit("login-password-fail", self.settings.login_password_failures, PASSWORD_FAILURE_WINDOW)
        return limit, f"{account}\n{self.ip}"

    def wrong_guesses(self, secret_key: str) -> Check:
        """Wrong guesses at one link or code (named by its storage key) from one client."""
        return Limit("login-guess", self.settings.login_token_attempts, GUESS_WINDOW), f"{secret_key}\n{self.ip}"


async def request_limits(client: ClientLimitsDep, settings: SettingsDep) -> LoginLimits:
    return LoginLimits(client.limiter, settings, client.ip)


LimitsDep = Annotated[LoginLimits, Depends(request_limits)]
