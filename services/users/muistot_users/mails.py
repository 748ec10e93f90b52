"""The mails the `/me` flows send: e-mail change link and notices, account deletion code.

The texts are in `muistot.mail.templates.TEXTS`; `lang` is the recipient's language (fi or en). Links
carry their secret in the URL fragment, which browsers never send to a server.
"""

from __future__ import annotations

import time

from muistot.mail import MailMessage
from muistot.mail.templates import render


def mask_address(address: str) -> str:
    """`alice@example.com` → `a***@example.com`: enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def email_change_link(to: str, username: str, link: str, lifetime_hours: int, lang: str) -> MailMessage:
    return render("email-change", lang, to=to, url=link, expires_at=time.time() + lifetime_hours * 3600,
                  user=username, hours=lifetime_hours)


def email_change_notice(to: str, username: str, new_address: str, lang: str) -> MailMessage:
    return render("email-change-notice", lang, to=to, user=username, address=mask_address(new_address))


def email_in_use_notice(to: str, lang: str) -> MailMessage:
    return render("email-change-in-use", lang, to=to)


def account_deletion_code(to: str, username: str, code: str, link: str, lifetime_minutes: int,
                          lang: str) -> MailMessage:
    return render("account-delete", lang, to=to, url=link, code=code,
                  expires_at=time.time() + lifetime_minutes * 60, user=username, minutes=lifetime_minutes)
