"""A queued `MailMessage` as a multipart/alternative e-mail (plain text and HTML)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from muistot.mail.outbox import MailMessage


def to_email(message: MailMessage, sender: str) -> EmailMessage:
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(message.created_at, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    mime["Message-ID"] = make_msgid(idstring=message.id, domain=domain)
    mime["X-Muistot-Mail-Id"] = message.id
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    if message.lang:  # after the content: setting it clears every Content-* header
        mime["Content-Language"] = message.lang
    return mime
