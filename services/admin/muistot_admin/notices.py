"""Mail to a contributor whose site, memory or comment a moderator rejected with a reason."""

from __future__ import annotations

from html import escape

from muistot.mail import MailMessage

KIND_NAMES = {
    "en": {"site": "place", "memory": "memory", "comment": "comment"},
    "fi": {"site": "paikka", "memory": "muisto", "comment": "kommentti"},
}
TEXTS = {
    "en": ("Muistotkartalla: your {kind} was not published",
           "Hi {user}! A moderator of the project {project} did not publish your {kind} ({summary}).",
           "Reason given:"),
    "fi": ("Muistotkartalla: {kind} ei julkaistu",
           "Hei {user}! Hankkeen {project} moderaattori ei julkaissut lisäämääsi sisältöä: {kind} ({summary}).",
           "Perustelu:"),
}
SIGNATURE = "— Muistotkartalla"


def rejection_mail(*, to: str, user: str, kind: str, project: str, summary: str, reason: str,
                   lang: str) -> MailMessage:
    lang = "fi" if lang == "fi" else "en"
    subject, intro, reason_label = TEXTS[lang]
    values = {"user": user, "project": project, "kind": KIND_NAMES[lang][kind], "summary": summary}
    subject = subject.format(**values)
    text = f"{intro.format(**values)}\n\n{reason_label}\n{reason}\n\n{SIGNATURE}\n"
    safe = {key: escape(value) for key, value in values.items()}
    html = (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(subject)}</title>'
            f"</head><body><p>{intro.format(**safe)}</p><p>{escape(reason_label)}</p>"
            f"<blockquote>{escape(reason)}</blockquote><p>{escape(SIGNATURE)}</p></body></html>\n")
    return MailMessage(to=to, subject=subject, text=text, html=html, kind="moderation", lang=lang)
