"""The one mail template: every kind in Finnish and English, escaped values, buttons only with links."""

from __future__ import annotations

import re
from string import Formatter

import pytest

from muistot.mail.templates import CONTENT_NAMES, LANGUAGES, SIGNATURE, TEXTS, Texts, fragment_link, render

# Values for every placeholder the texts use, each with markup that must come out escaped.
VALUES = {"user": "<b>Kettu</b>", "address": "a***@example.com", "hours": 24, "minutes": 30, "project": "P&Q",
          "summary": "<i>7</i>", "item": "<memo>", "digits": "123456"}
URL = "https://muistot.example/#email-change:token=abc&x=<y>"


def placeholders(texts: Texts) -> set[str]:
    parts = [texts.subject, *texts.paragraphs, *texts.closing, texts.plain]
    return {name for part in parts for _, name, _, _ in Formatter().parse(part) if name}


def example(kind: str, lang: str, **extra: object):
    texts = TEXTS[kind]["en"]
    return render(kind, lang, to="a@example.com", url=URL if texts.button else None, **VALUES, **extra)


def test_every_mail_exists_in_finnish_and_english_with_the_same_placeholders_and_button() -> None:
    for kind, by_language in TEXTS.items():
        assert set(by_language) == set(LANGUAGES), kind
        fi, en = by_language["fi"], by_language["en"]
        assert placeholders(fi) == placeholders(en), kind
        assert bool(fi.button) == bool(en.button), kind
        assert fi.subject != en.subject, kind


@pytest.mark.parametrize("kind", sorted(TEXTS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_mail_has_a_plain_part_and_an_html_card_with_escaped_values(kind: str, lang: str) -> None:
    mail = example(kind, lang)
    assert mail.kind == kind and mail.lang == lang
    assert f'<html lang="{lang}">' in mail.html
    assert f"<title>{mail.subject.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</title>" \
        in mail.html
    assert "<b>" not in mail.html and "<i>" not in mail.html and "<memo>" not in mail.html
    assert "{" not in mail.text and "{" not in mail.html  # every placeholder was filled
    if "user" in placeholders(TEXTS[kind][lang]):
        assert "&lt;b&gt;Kettu&lt;/b&gt;" in mail.html
        if not TEXTS[kind][lang].plain:  # the card's text: values stay as written, it is not HTML
            assert "<b>Kettu</b>" in mail.text
    if TEXTS[kind][lang].button:
        assert 'href="https://muistot.example/#email-change:token=abc&amp;x=&lt;y&gt;"' in mail.html
        assert URL in mail.text
    else:
        assert "<a " not in mail.html and "http" not in mail.text


def test_language_other_than_finnish_gets_english() -> None:
    assert example("email-change", "sv").lang == "en"
    assert example("email-change", None).subject == TEXTS["email-change"]["en"].subject  # type: ignore[arg-type]
    assert example("email-change", "fi").subject == "Muistotkartalla: vahvista uusi sähköpostiosoitteesi"


def test_a_notice_has_no_button_and_a_mail_with_a_button_needs_its_link() -> None:
    with pytest.raises(ValueError):
        render("email-change-notice", "en", to="a@example.com", url=URL, **VALUES)
    with pytest.raises(ValueError):
        render("email-change", "en", to="a@example.com", **VALUES)


def test_card_text_layout_code_quote_and_link() -> None:
    mail = render("account-delete", "en", to="a@example.com", url=URL, code="12345678", user="Kettu", minutes=30)
    blocks = mail.text.rstrip("\n").split("\n\n")
    assert blocks == [
        "Hi Kettu! Confirm the deletion of your Muistotkartalla account with this code or by opening the link below:",
        "12345678",
        f"Confirm Deletion: {URL}",
        "The code is valid for 30 minutes. If you did not ask for this, ignore this message: your account stays "
        "as it is.",
        SIGNATURE,
    ]
    assert re.search(r'<p style="[^"]*monospace[^"]*">12345678</p>', mail.html)
    assert ">Confirm Deletion</a>" in mail.html

    quoted = render("moderation", "fi", to="a@example.com", quote="Ei <b>mainoksia</b>\ntäällä", user="U",
                    project="P", summary="7", item=CONTENT_NAMES["fi"]["comment"])
    assert quoted.subject == "Muistotkartalla: kommenttiasi ei julkaistu"
    assert "Hei U! Hankkeen P moderaattori ei julkaissut kommenttiasi (7)." in quoted.text
    assert "Perustelu:\n\n> Ei <b>mainoksia</b>\n> täällä" in quoted.text
    assert "Ei &lt;b&gt;mainoksia&lt;/b&gt;\ntäällä</blockquote>" in quoted.html


def test_login_mails_keep_the_contracts_one_line_plain_part() -> None:
    url = fragment_link("https://m.example/#old", "email-login", user="A#1", token="t", verified="true")
    assert url == "https://m.example/#email-login:user=A%231&token=t&verified=true"
    mail = render("login", "fi", to="a@example.com", url=url, user="A#1")
    assert mail.text == f"Linkki kirjautumiseen: {url}\n"
    assert "Hei A#1! Tässä kirjautumislinkkisi palveluun" in mail.html
