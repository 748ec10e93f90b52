"""A 405 names in `Allow` every method the API answers on the path, also those another service answers."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import httpx
import pytest

from muistot.settings import SERVICES
from muistot_tooling.openapi_document import document_settings

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SAMPLE_VALUES = {"memory": "1", "comment": "2", "session_id": "1"}


def sample_path(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda found: SAMPLE_VALUES.get(found.group(1), "abcd1"), template)


def template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")


def cases() -> list[tuple[str, str, str, set[str]]]:
    """(service, method, path, the document's methods) for every method a path lacks, at each service on it.

    A path's methods are those of every template it matches: `/auth/oauth/exchange` (POST) is also
    `/auth/oauth/{provider}` (GET).
    """
    paths = json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"]
    found = []
    for template, operations in paths.items():
        path = sample_path(template)
        documented = {method.upper() for other, methods in paths.items() if template_regex(other).match(path)
                      for method in methods}
        for service in sorted({operation["x-muistot-service"] for operation in operations.values()}):
            found += [(service, method, path, documented) for method in METHODS if method not in documented]
    return found


@pytest.fixture(scope="module")
def apps():
    settings = document_settings()
    return {service: importlib.import_module(f"muistot_{service}.app").create_app(settings) for service in SERVICES}


async def test_every_405_allows_what_the_document_has_on_the_path(apps):
    checked = wrong = 0
    answers = []
    for service, method, path, documented in cases():
        transport = httpx.ASGITransport(apps[service])
        async with httpx.AsyncClient(transport=transport, base_url="http://muistot.test") as client:
            response = await client.request(method, path)
        checked += 1
        if response.json() != {"error": {"code": 405, "message": "Method Not Allowed"}} or \
                set(response.headers.get("allow", "").split(", ")) != documented:
            wrong += 1
            answers.append((service, method, path, response.status_code, response.headers.get("allow")))
    assert checked > 150 and wrong == 0, answers
