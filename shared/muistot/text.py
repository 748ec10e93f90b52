"""Text normalisation shared by every lookup that must ignore case and accents."""

import unicodedata


def fold(value: str) -> str:
    """The key under which names and e-mail addresses are unique: `Käyttäjä ` and `kayttaja` agree.

    MariaDB's utf8mb4_unicode_ci and SQLite disagree on case and accents, so we store this key in
    its own column and compare keys instead of relying on a collation.
    """
    decomposed = unicodedata.normalize("NFKD", value.strip())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()
