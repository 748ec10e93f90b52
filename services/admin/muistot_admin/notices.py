"""Mail to a contributor whose site, memory or comment a moderator rejected with a reason.

The texts are in `muistot.mail.templates.TEXTS` ("moderation"); the reason is quoted as written.
"""

from __future__ import annotations

from muistot.mail import MailMessage
from muistot.mail.templates import CONTENT_NAMES, mail_language, render


def rejection_mail(*, to: str, user: str, kind: str, project: str, summary: str, reason: str,
                   lang: str) -> MailMessage:
    lang = mail_language(lang)
    return render("moderation", lang, to=to, quote=reason, user=user, project=project, summary=summary,
                  item=CONTENT_NAMES[lang][kind])
