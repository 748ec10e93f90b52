"""The mails the `/me` flows send: e-mail change confirmation and notices, account deletion code.

Texts are in Finnish and English. Usernames and addresses are escaped in the HTML part. Links carry
their secret in the URL fragment, which browsers never send to a server.
"""

from __future__ import annotations

import html
import time

from muistot.mail import MailMessage


def _html(paragraphs: list[str], link: str | None = None) -> str:
    body = "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    if link:
        body += f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>'
    return f"<!doctype html><html><body>{body}</body></html>"


def mask_address(address: str) -> str:
    """`alice@example.com` → `a***@example.com`: enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def email_change_link(to: str, username: str, link: str, lifetime_hours: int) -> MailMessage:
    text = [
        f"Hei {username}! Vahvista, että haluat käyttää tätä osoitetta Muistotkartalla-tililläsi:",
        f"Hi {username}! Confirm that you want to use this address for your Muistotkartalla account:",
    ]
    footer = [
        f"Linkki on voimassa {lifetime_hours} tuntia. Jos et pyytänyt muutosta, voit jättää viestin huomiotta.",
        f"The link is valid for {lifetime_hours} hours. If you did not ask for this, ignore this message.",
    ]
    return MailMessage(
        to=to, subject="Vahvista sähköpostiosoite / Confirm your e-mail address",
        text="\n".join(text) + f"\n\n{link}\n\n" + "\n".join(footer), html=_html(text, link) + _html(footer),
        kind="email-change", expires_at=time.time() + lifetime_hours * 3600)


def email_change_notice(to: str, username: str, new_address: str) -> MailMessage:
    masked = mask_address(new_address)
    text = [
        f"Hei {username}! Tilisi sähköpostiosoitteeksi pyydettiin vaihtamaan {masked}. Muutos tulee voimaan vasta, "
        "kun se vahvistetaan uudesta osoitteesta.",
        f"Hi {username}! Someone asked to change your account's e-mail address to {masked}. The change takes effect "
        "only once it is confirmed from the new address.",
        "Jos et pyytänyt tätä, kirjaudu sisään ja vaihda salasanasi tai kirjaudu ulos kaikilta laitteilta.",
        "If this was not you, sign in and change your password or sign out on every device.",
    ]
    return MailMessage(to=to, subject="Sähköpostiosoitteen vaihto / E-mail address change",
                       text="\n\n".join(text), html=_html(text), kind="email-change-notice")


def email_in_use_notice(to: str) -> MailMessage:
    text = [
        "Joku pyysi liittämään tämän osoitteen toiseen Muistotkartalla-tiliin. Osoite on jo käytössä tililläsi, "
        "joten mitään ei muutettu.",
        "Someone asked to use this address for another Muistotkartalla account. The address already belongs to "
        "your account, so nothing was changed.",
    ]
    return MailMessage(to=to, subject="Sähköpostiosoite on jo käytössä / E-mail address already in use",
                       text="\n\n".join(text), html=_html(text), kind="email-change-in-use")


def account_deletion_code(to: str, username: str, code: str, link: str, lifetime_minutes: int) -> MailMessage:
    text = [
        f"Hei {username}! Vahvista tilisi poistaminen koodilla {code} tai avaamalla linkki:",
        f"Hi {username}! Confirm the deletion of your account with the code {code} or by opening the link:",
    ]
    footer = [
        f"Koodi on voimassa {lifetime_minutes} minuuttia. Jos et pyytänyt poistoa, voit jättää viestin huomiotta.",
        f"The code is valid for {lifetime_minutes} minutes. If you did not ask for this, ignore this message.",
    ]
    return MailMessage(
        to=to, subject="Tilin poistaminen / Account deletion",
        text="\n".join(text) + f"\n\n{link}\n\n" + "\n".join(footer), html=_html(text, link) + _html(footer),
        kind="account-delete", expires_at=time.time() + lifetime_minutes * 60)
