"""The mails the login flows send, in Finnish or English (spec/api-auth-admin.md §6.3, §6.4, §9).

Every mail has a plain-text part and an HTML card (title, one button, signature); the subject is
also the HTML `<title>`. Values are HTML-escaped. Links put their parameters after a fragment
(`#email-login:user=…&token=…&verified=…`, form-urlencoded), so tokens never reach a web server.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from muistot.mail.outbox import MailMessage

SIGNATURE = "— Muistotkartalla"


@dataclass(frozen=True)
class Texts:
    subject: str
    title: str
    button: str
    plain: str


TEXTS: dict[str, dict[str, Texts]] = {
    "login": {
        "en": Texts("Muistotkartalla Login", "Hi {user}! Here is your login link", "Log In", "Login link: {url}"),
        "fi": Texts("Muistotkartalla Kirjautuminen", "Hei {user}! Tässä kirjautumislinkkisi palveluun",
                    "Kirjaudu Sisään", "Linkki kirjautumiseen: {url}"),
    },
    "register": {
        "en": Texts("Muistotkartalla Verification",
                    "Welcome {user}! Please take a moment to verify your account to start using muistotkartalla. "
                    "Click the button below or enter the code: {code}.",
                    "Verify Account", "Verify link: {url}"),
        "fi": Texts("Muistotkartalla Tilin Vahvistus",
                    "Tervetuloa {user}! Vahvista vielä muistotkartalla tilisi klikkaamalla alla olevaa painiketta "
                    "tai koodilla {code}.",
                    "Vahvista Tilisi", "Linkki tilin vahvistamiseen: {url}"),
    },
    # Sent instead of a registration mail when the address already has an account (no new account is made).
    "account-exists": {
        "en": Texts("Muistotkartalla Login",
                    "Hi {user}! Someone, hopefully you, tried to register with this address. It already has an "
                    "account, so no new one was made and nothing was changed. Here is your login link",
                    "Log In", "This address already has an account, so no new one was made. Login link: {url}"),
        "fi": Texts("Muistotkartalla Kirjautuminen",
                    "Hei {user}! Joku, toivottavasti sinä, yritti rekisteröityä tällä osoitteella. Osoitteella on "
                    "jo tili, joten uutta tiliä ei luotu eikä mitään muutettu. Tässä kirjautumislinkkisi palveluun",
                    "Kirjaudu Sisään",
                    "Osoitteella on jo tili, joten uutta tiliä ei luotu. Linkki kirjautumiseen: {url}"),
    },
}

HTML = """<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{subject}</title></head>
<body style="margin:0;padding:24px;background:#f3f3f3;font-family:Arial,Helvetica,sans-serif;color:#222">
<div style="max-width:480px;margin:0 auto;padding:24px;background:#fff;border-radius:8px">
<p style="font-size:18px;line-height:1.4">{title}</p>
<p style="text-align:center;margin:28px 0">\
<a href="{url}" style="display:inline-block;padding:12px 24px;background:#2b5f8a;color:#fff;\
text-decoration:none;border-radius:4px;font-weight:bold">{button}</a></p>
<p style="color:#666">{signature}</p>
</div>
</body>
</html>
"""


def mail_language(lang: str) -> str:
    return "fi" if lang == "fi" else "en"


def fragment_link(public_url: str, action: str, **params: str) -> str:
    """`<public url>#<action>:<form-urlencoded params>` (spaces → `+`, `#` → `%23`, UTF-8 escapes)."""
    base = public_url.split("#", 1)[0]
    return f"{base}#{action}:{urlencode(params)}"


def render(kind: str, lang: str, *, to: str, url: str, expires_at: float, **values: str) -> MailMessage:
    lang = mail_language(lang)
    texts = TEXTS[kind][lang]
    title = texts.title.format(**values)
    html = HTML.format(lang=lang, subject=escape(texts.subject), title=escape(title), url=escape(url, quote=True),
                       button=escape(texts.button), signature=escape(SIGNATURE))
    return MailMessage(to=to, subject=texts.subject, text=texts.plain.format(url=url, **values) + "\n", html=html,
                       kind=kind, expires_at=expires_at, lang=lang)


def login_mail(*, to: str, user: str, token: str, verified: bool, lang: str, public_url: str,
               expires_at: float, kind: str = "login") -> MailMessage:
    url = fragment_link(public_url, "email-login", user=user, token=token, verified="true" if verified else "false")
    return render(kind, lang, to=to, url=url, expires_at=expires_at, user=user)


def register_mail(*, to: str, user: str, code: str, lang: str, public_url: str, expires_at: float) -> MailMessage:
    url = fragment_link(public_url, "verify-user", user=user, token=code, verified="false")
    return render("register", lang, to=to, url=url, expires_at=expires_at, user=user, code=code)
