"""`muistot-dev mail last`: the newest mail of the file mailbox (`MUISTOT_MAIL_URL=file://…`), readable.

The `.eml` files are MIME with quoted-printable parts, so a link in them is broken across lines and its `=`
signs are escaped; this prints the recipient, the subject and every link of the plain-text part decoded, so a
developer can copy the sign-in link (docs/sign-in.md).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Mail:
    path: Path
    to: str
    subject: str
    text: str

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.text)


def link_fields(link: str) -> dict[str, Any]:
    """A link and, for the frontend links of our mails (`…#email-login:user=…&token=…`), its action and
    parameters decoded: what the frontend reads from the fragment."""
    fragment = urlsplit(link).fragment
    action, colon, params = fragment.partition(":")
    if not colon:
        return {"url": link}
    return {"url": link, "action": action, "params": dict(parse_qsl(params, keep_blank_values=True))}


def read_mail(path: Path) -> Mail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    text = body.get_content() if body is not None else ""
    return Mail(path=path, to=str(message["To"]), subject=str(message["Subject"]), text=text)


def newest_mail(directory: Path, to: str | None = None) -> Mail | None:
    """The newest mail in `directory` (names start with the time they were written), or the newest to `to`."""
    for path in sorted(directory.glob("*.eml"), reverse=True):
        mail = read_mail(path)
        if to is None or to.lower() in mail.to.lower():
            return mail
    return None


def cmd_mail_last(args: argparse.Namespace) -> int:
    from muistot.commands import load_settings

    url = urlsplit(load_settings().mail_url)
    if url.scheme != "file":
        print("muistot: MUISTOT_MAIL_URL is not a file:// mailbox", file=sys.stderr)
        return 2
    mail = newest_mail(Path(url.path), args.to)
    if mail is None:
        print(f"muistot: no mail{' to ' + args.to if args.to else ''} in {url.path}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"to": mail.to, "subject": mail.subject, "file": str(mail.path),
                          "links": [link_fields(link) for link in mail.links]}, ensure_ascii=False))
        return 0
    print(f"to:      {mail.to}\nsubject: {mail.subject}\nfile:    {mail.path}")
    for link in mail.links:
        print(f"link:    {link}")
        for name, value in link_fields(link).get("params", {}).items():
            print(f"         {name} = {value}")
    if args.text:
        print("\n" + mail.text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mail", help="the file mailbox of development (MUISTOT_MAIL_URL=file://…)")
    mail_sub = p.add_subparsers(dest="action", required=True)
    last = mail_sub.add_parser("last", help="print the newest mail's recipient, subject and links, decoded")
    last.add_argument("--to", help="the newest mail to this address")
    last.add_argument("--text", action="store_true", help="also print the whole plain-text part")
    last.add_argument("--json", action="store_true", help="one JSON object: to, subject, links with their "
                                                           "fragment parameters decoded")
    last.set_defaults(func=cmd_mail_last)
