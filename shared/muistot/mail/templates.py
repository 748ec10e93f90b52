"""Every mail the services send, in Finnish or English, from one table of texts (docs/sign-in.md).

A mail is a plain-text part and an HTML card: paragraphs (the first is the title), then optionally a code in
large type, a quoted text (someone else's words, e.g. a moderator's reason) and a button to a link, then
closing paragraphs and the signature. The subject is also the HTML `<title>`. Every value is HTML-escaped.
Notices without a link have no button.

The plain-text part repeats the card (the link as `<button label>: <url>`), except for the login mails,
whose plain text is the contract's single line (`Login link: {url}`).

Links put their parameters after a fragment (`#email-login:user=…&token=…&verified=…`,
form-urlencoded), so tokens never reach a web server.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from muistot.mail.outbox import MailMessage

SIGNATURE = "— Muistotkartalla"
LANGUAGES = ("fi", "en")


@dataclass(frozen=True)
class Texts:
    subject: str
    # `{name}` placeholders take the values given to `render` (and `{url}`).
    paragraphs: tuple[str, ...]
    button: str = ""  # the label of the button to the mail's link; empty for a notice without one
    closing: tuple[str, ...] = ()  # after the code, quote and button: validity, "ignore this if…"
    plain: str = ""  # the whole plain-text part, when it is not the card's text


TEXTS: dict[str, dict[str, Texts]] = {
    "login": {
        "en": Texts("Muistotkartalla Login", ("Hi {user}! Here is your login link",), "Log In",
                    plain="Login link: {url}"),
        "fi": Texts("Muistotkartalla Kirjautuminen", ("Hei {user}! Tässä kirjautumislinkkisi palveluun",),
                    "Kirjaudu Sisään", plain="Linkki kirjautumiseen: {url}"),
    },
    "register": {
        "en": Texts("Muistotkartalla Verification",
                    ("Welcome {user}! Please take a moment to verify your account to start using muistotkartalla. "
                     "Click the button below or enter the code: {digits}.",),
                    "Verify Account", plain="Verify link: {url}"),
        "fi": Texts("Muistotkartalla Tilin Vahvistus",
                    ("Tervetuloa {user}! Vahvista vielä muistotkartalla tilisi klikkaamalla alla olevaa painiketta "
                     "tai koodilla {digits}.",),
                    "Vahvista Tilisi", plain="Linkki tilin vahvistamiseen: {url}"),
    },
    # Sent instead of a registration mail when the address already has an account (no new account is made).
    "account-exists": {
        "en": Texts("Muistotkartalla Login",
                    ("Hi {user}! Someone, hopefully you, tried to register with this address. It already has an "
                     "account, so no new one was made and nothing was changed. Here is your login link",),
                    "Log In", plain="This address already has an account, so no new one was made. Login link: {url}"),
        "fi": Texts("Muistotkartalla Kirjautuminen",
                    ("Hei {user}! Joku, toivottavasti sinä, yritti rekisteröityä tällä osoitteella. Osoitteella on "
                     "jo tili, joten uutta tiliä ei luotu eikä mitään muutettu. Tässä kirjautumislinkkisi palveluun",),
                    "Kirjaudu Sisään",
                    plain="Osoitteella on jo tili, joten uutta tiliä ei luotu. Linkki kirjautumiseen: {url}"),
    },
    # To the new address of `POST /me/email`.
    "email-change": {
        "en": Texts("Muistotkartalla: confirm your new e-mail address",
                    ("Hi {user}! Confirm that you want to use this address for your Muistotkartalla account.",),
                    "Confirm Address",
                    ("The link is valid for {hours} hours. If you did not ask for this change, you can ignore "
                     "this message.",)),
        "fi": Texts("Muistotkartalla: vahvista uusi sähköpostiosoitteesi",
                    ("Hei {user}! Vahvista, että haluat käyttää tätä osoitetta Muistotkartalla-tililläsi.",),
                    "Vahvista Osoite",
                    ("Linkki on voimassa {hours} tuntia. Jos et pyytänyt muutosta, voit jättää tämän viestin "
                     "huomiotta.",)),
    },
    # To the old address of `POST /me/email`; `{address}` is the new one, masked.
    "email-change-notice": {
        "en": Texts("Muistotkartalla: change of e-mail address",
                    ("Hi {user}! Someone asked to change your account's e-mail address to {address}. The change "
                     "takes effect only once it is confirmed from the new address.",
                     "If this was not you, sign in and change your password, or sign out on every device."),),
        "fi": Texts("Muistotkartalla: sähköpostiosoitteen vaihto",
                    ("Hei {user}! Tilisi sähköpostiosoitteeksi pyydettiin vaihtamaan {address}. Muutos tulee "
                     "voimaan vasta, kun se vahvistetaan uudesta osoitteesta.",
                     "Jos et itse pyytänyt tätä, kirjaudu sisään ja vaihda salasanasi tai kirjaudu ulos kaikilta "
                     "laitteilta."),),
    },
    # To the owner of an address that `POST /me/email` asked for (instead of a link, so no enumeration).
    "email-change-in-use": {
        "en": Texts("Muistotkartalla: e-mail address already in use",
                    ("Hi! Someone asked to use this address for another Muistotkartalla account. The address "
                     "already belongs to your account, so nothing was changed.",
                     "You do not need to do anything.")),
        "fi": Texts("Muistotkartalla: sähköpostiosoite on jo käytössä",
                    ("Hei! Joku pyysi liittämään tämän osoitteen toiseen Muistotkartalla-tiliin. Osoite kuuluu jo "
                     "sinun tilillesi, joten mitään ei muutettu.",
                     "Sinun ei tarvitse tehdä mitään.")),
    },
    # `POST /me/account/delete-request`: the code is shown and carried by the link.
    "account-delete": {
        "en": Texts("Muistotkartalla: confirm the deletion of your account",
                    ("Hi {user}! Confirm the deletion of your Muistotkartalla account with this code or by opening "
                     "the link below:",),
                    "Confirm Deletion",
                    ("The code is valid for {minutes} minutes. If you did not ask for this, ignore this message: "
                     "your account stays as it is.",)),
        "fi": Texts("Muistotkartalla: vahvista tilisi poistaminen",
                    ("Hei {user}! Vahvista Muistotkartalla-tilisi poistaminen tällä koodilla tai avaamalla alla "
                     "olevan linkin:",),
                    "Vahvista Poisto",
                    ("Koodi on voimassa {minutes} minuuttia. Jos et pyytänyt tilisi poistamista, voit jättää tämän "
                     "viestin huomiotta: tilisi säilyy ennallaan.",)),
    },
    # A moderator rejected a site, memory or comment with a reason (the quote); `{item}` from CONTENT_NAMES.
    "moderation": {
        "en": Texts("Muistotkartalla: your {item} was not published",
                    ("Hi {user}! A moderator of the project {project} did not publish your {item} ({summary}).",
                     "Reason given:")),
        "fi": Texts("Muistotkartalla: {item} ei julkaistu",
                    ("Hei {user}! Hankkeen {project} moderaattori ei julkaissut {item} ({summary}).",
                     "Perustelu:")),
    },
}

# Content types as the moderation mail names them: the Finnish ones are objects ("your comment").
CONTENT_NAMES: dict[str, dict[str, str]] = {
    "en": {"site": "place", "memory": "memory", "comment": "comment"},
    "fi": {"site": "paikkaasi", "memory": "muistoasi", "comment": "kommenttiasi"},
}

HTML = """<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{subject}</title></head>
<body style="margin:0;padding:24px;background:#f3f3f3;font-family:Arial,Helvetica,sans-serif;color:#222">
<div style="max-width:480px;margin:0 auto;padding:24px;background:#fff;border-radius:8px">
{content}
<p style="color:#666">{signature}</p>
</div>
</body>
</html>
"""
TITLE = '<p style="font-size:18px;line-height:1.4">{}</p>'
PARAGRAPH = '<p style="line-height:1.4">{}</p>'
CODE = ('<p style="text-align:center;margin:24px 0;font-family:monospace;font-size:28px;font-weight:bold;'
        'letter-spacing:4px">{}</p>')
QUOTE = ('<blockquote style="margin:16px 0;padding:8px 16px;border-left:4px solid #ccc;white-space:pre-wrap">'
         '{}</blockquote>')
BUTTON = ('<p style="text-align:center;margin:28px 0">'
          '<a href="{url}" style="display:inline-block;padding:12px 24px;background:#2b5f8a;color:#fff;'
          'text-decoration:none;border-radius:4px;font-weight:bold">{label}</a></p>')
CLOSING = '<p style="color:#666;font-size:14px;line-height:1.4">{}</p>'


def mail_language(lang: str | None) -> str:
    """Mails are written in Finnish and English: any other language gets English."""
    return "fi" if lang == "fi" else "en"


def fragment_link(public_url: str, action: str, **params: str) -> str:
    """`<public url>#<action>:<form-urlencoded params>` (spaces → `+`, `#` → `%23`, UTF-8 escapes)."""
    base = public_url.split("#", 1)[0]
    return f"{base}#{action}:{urlencode(params)}"


def render(kind: str, lang: str | None, *, to: str, url: str | None = None, code: str | None = None,
           quote: str | None = None, expires_at: float = 0.0, **values: object) -> MailMessage:
    """The `kind` mail of TEXTS in `lang` (fi, else en), with `values` filled in.

    `url` is the button's link (required exactly when the texts have a button), `code` is shown in large
    type, `quote` is shown as a quotation. `expires_at` (Unix time) is when the mail becomes worthless.
    """
    lang = mail_language(lang)
    texts = TEXTS[kind][lang]
    if bool(url) != bool(texts.button):
        raise ValueError(f"mail {kind!r}: a link is needed exactly when the texts have a button")
    fill = {**values, "url": url or ""}
    subject = texts.subject.format(**fill)
    paragraphs = [text.format(**fill) for text in texts.paragraphs]
    closing = [text.format(**fill) for text in texts.closing]

    html = [TITLE.format(escape(paragraphs[0]))] + [PARAGRAPH.format(escape(text)) for text in paragraphs[1:]]
    plain = list(paragraphs)
    if code:
        html.append(CODE.format(escape(code)))
        plain.append(code)
    if quote:
        html.append(QUOTE.format(escape(quote)))
        plain.append("\n".join(f"> {line}" for line in quote.splitlines()))
    if url:
        html.append(BUTTON.format(url=escape(url, quote=True), label=escape(texts.button)))
        plain.append(f"{texts.button}: {url}")
    html += [CLOSING.format(escape(text)) for text in closing]
    plain += closing
    text = texts.plain.format(**fill) if texts.plain else "\n\n".join([*plain, SIGNATURE])
    return MailMessage(
        to=to, subject=subject, text=text + "\n", kind=kind, expires_at=expires_at, lang=lang,
        html=HTML.format(lang=lang, subject=escape(subject), content="\n".join(html), signature=escape(SIGNATURE)))


def login_mail(*, to: str, user: str, token: str, verified: bool, lang: str, public_url: str,
               expires_at: float, kind: str = "login") -> MailMessage:
    url = fragment_link(public_url, "email-login", user=user, token=token, verified="true" if verified else "false")
    return render(kind, lang, to=to, url=url, expires_at=expires_at, user=user)


def register_mail(*, to: str, user: str, code: str, lang: str, public_url: str, expires_at: float) -> MailMessage:
    url = fragment_link(public_url, "verify-user", user=user, token=code, verified="false")
    # The contract's verification mail has the code in its title, not in a box of its own.
    return render("register", lang, to=to, url=url, expires_at=expires_at, user=user, digits=code)
