"""Language negotiation and language codes (docs/api.md, "Languages"; docs/contract.md, "Identifiers and texts").

Reads: `Muistot-Language` > `Accept-Language` > the project's default language.
Writes: `Muistot-Language` > `Content-Language` > `Accept-Language` > default.
An unsupported or unparsable language never gives 406: the caller falls back to the default.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

import pycountry
from fastapi import Request
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from muistot.errors import ApiError
from muistot.settings import Settings

MUISTOT_LANGUAGE = "Muistot-Language"


def supported_languages(settings: Settings) -> list[str]:
    return settings.language_list


def _candidates(header: str) -> list[str]:
    """Primary subtags of a language list, best first (`q` weights honoured, ties keep their order)."""
    weighted: list[tuple[float, int, str]] = []
    for index, piece in enumerate(header.split(",")):
        tag, *params = (part.strip() for part in piece.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0].strip().lower()
        if primary and primary != "*" and quality > 0:
            weighted.append((-quality, index, primary))
    return [primary for _, _, primary in sorted(weighted)]


def pick(headers: list[str | None], supported: list[str]) -> str | None:
    """The first supported language named by the first header that names one; None if none does."""
    for header in headers:
        if not header or not header.strip():
            continue
        for candidate in _candidates(header):
            # A two-letter code is its own 639-1 form: only three-letter ones need the ISO database, which
            # costs a process several MiB once loaded.
            code = candidate if len(candidate) == 2 else to_alpha2(candidate)
            if code in supported:
                return code
    return None


def read_language(muistot_language: bytes | None, accept_language: bytes | None,
                  supported: tuple[str, ...]) -> str | None:
    """The language a GET with these raw header values asks for.

    Browsers send few distinct values, so short ones are remembered; long ones are worked out each time,
    so that odd headers cannot fill the memory.
    """
    if len(muistot_language or b"") + len(accept_language or b"") <= 200:
        return _remembered_read_language(muistot_language, accept_language, supported)
    return _read_language(muistot_language, accept_language, supported)


def _read_language(muistot_language: bytes | None, accept_language: bytes | None,
                   supported: tuple[str, ...]) -> str | None:
    return pick([None if muistot_language is None else muistot_language.decode("latin-1"),
                 None if accept_language is None else accept_language.decode("latin-1")], list(supported))


_remembered_read_language = lru_cache(maxsize=512)(_read_language)


def requested_read_language(request: Request, settings: Settings) -> str | None:
    """The language a GET asks for, or None (the caller then uses the project's default)."""
    headers = request.headers
    given = [headers.get(MUISTOT_LANGUAGE), headers.get("accept-language")]
    return read_language(*(None if value is None else value.encode("latin-1") for value in given),
                         tuple(supported_languages(settings)))


def requested_write_language(request: Request, settings: Settings) -> str:
    headers = request.headers
    found = pick([headers.get(MUISTOT_LANGUAGE), headers.get("content-language"), headers.get("accept-language")],
                 supported_languages(settings))
    return found or settings.default_language


def to_alpha2(code: str) -> str | None:
    """ISO 639 code → its 2-letter form, or None when it has none (`ace`) or is unknown."""
    code = code.strip().lower()
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    else:
        found = None
    return getattr(found, "alpha_2", None) if found is not None else None


def _lang_code(value: str) -> str:
    alpha2 = to_alpha2(value)
    if alpha2 is None:
        raise ValueError("No ISO639-1 ID Found")
    return alpha2


def _lowercase_only(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


# `info.lang` in bodies: 2–3 lowercase letters with an ISO 639-1 form; output is always 2 letters.
LangCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$"), BeforeValidator(_lowercase_only),
                     AfterValidator(_lang_code), Field(description="ISO 639 code (`fi`, `en`; `fin` becomes `fi`)",
                                                       examples=["fi"])]


def require_supported(lang: str, settings: Settings) -> None:
    """Writing texts in a language the server does not offer is refused.

    See docs/contract.md, "Recommended behaviours built"."""
    if lang not in supported_languages(settings):
        raise ApiError(406, "Language not supported")
