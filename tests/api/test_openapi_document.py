"""The merged OpenAPI document (docs/openapi.json): current, generator-friendly, and saying what the API does."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from muistot_tooling.openapi_document import current_text

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "docs" / "openapi.json"
CLIENT_CONFIG = REPO / "docs" / "openapi-python-client.yaml"
# Operations that never look at the caller (no Authorize padlock): the provider list and the browser hops.
ANONYMOUS_ONLY = {"listProviders", "startProviderSignIn", "providerCallback"}


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def by_id(spec: dict, operation_id: str) -> dict:
    return next(op for _, _, op in operations(spec) if op["operationId"] == operation_id)


def test_the_committed_document_is_current():
    assert DOCUMENT.read_text(encoding="utf-8") == current_text(), \
        "docs/openapi.json is out of date: run `make openapi` and commit it"


def test_the_document_is_valid_openapi(spec):
    validate(spec)  # raises on the first violation of the OpenAPI 3.1 schema
    assert spec["openapi"].startswith("3.1")


def test_operation_ids_are_readable_and_unique(spec):
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids)) > 60
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", name) for name in ids), ids
    assert {"listSites", "createMemory", "getMe", "exchangeLoginLink", "publishOrder"} <= set(ids)


def test_every_operation_that_takes_the_caller_declares_the_bearer_scheme(spec):
    assert spec["components"]["securitySchemes"] == {"bearer": {
        "type": "http", "scheme": "bearer", "bearerFormat": "opaque session token",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"]}}
    for path, method, op in operations(spec):
        if op["operationId"] in ANONYMOUS_ONLY:
            assert "security" not in op, (method, path)
        else:
            assert op["security"] in ([{"bearer": []}], [{"bearer": []}, {}]), (method, path)
            assert "401" in op["responses"], (method, path)
    # Required where a session is needed, optional (the empty alternative) where anyone may call.
    for name in ("createMemory", "createSite", "getMe", "createProject", "publishOrder", "listSessions"):
        assert by_id(spec, name)["security"] == [{"bearer": []}], name
    for name in ("listSites", "getMemory", "listProjects", "requestLoginLink", "getImage"):
        assert by_id(spec, name)["security"] == [{"bearer": []}, {}], name


def test_errors_are_the_envelope_with_every_status_an_operation_answers(spec):
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["ErrorEnvelope"]["required"]) == {"error"}
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            if int(status) >= 400 and "content" in response:
                media = response["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, status)
                assert "example" in media or "examples" in media, (method, path, status)
        assert "503" in op["responses"], (method, path)
        if "requestBody" in op:
            assert "413" in op["responses"], (method, path)
    create_site = by_id(spec, "createSite")["responses"]
    assert set(create_site) == {"201", "400", "401", "403", "404", "406", "409", "413", "422", "503"}
    assert create_site["404"]["content"]["application/json"]["example"] == \
        {"error": {"code": 404, "message": "Project not found"}}
    examples = by_id(spec, "modifySite")["responses"]["404"]["content"]["application/json"]["examples"]
    assert examples["Site not found"]["value"] == {"error": {"code": 404, "message": "Site not found"}}
    assert by_id(spec, "requestLoginLink")["responses"]["429"]["content"]["application/json"]["example"] == \
        {"error": {"code": 429, "message": "Too many requests"}}


def test_sign_in_answers_document_the_token_header(spec):
    for name in ("exchangeLoginLink", "passwordLogin", "confirmRegistration", "exchangeProviderCode"):
        answer = by_id(spec, name)["responses"]["200"]
        assert "content" not in answer and "Authorization" in answer["headers"], name
    login = spec["paths"]["/auth/email/exchange"]["post"]
    assert login["x-muistot-service"] == "login"


def test_language_headers_are_parameters(spec):
    names = {param["name"] for param in by_id(spec, "listSites")["parameters"] if param["in"] == "header"}
    assert names == {"Muistot-Language", "Accept-Language"}
    names = {param["name"] for param in by_id(spec, "requestLoginLink")["parameters"] if param["in"] == "header"}
    assert names == {"Muistot-Language", "Content-Language", "Accept-Language"}


def test_every_json_answer_names_a_schema(spec):
    """A generated client gets a type for every JSON body; bodiless answers declare no content."""
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            for media_type, content in response.get("content", {}).items():
                if "json" in media_type:
                    assert "$ref" in content["schema"], (method, path, status)
    for name in ("addSuperuser", "createProject", "addAdmin", "setPassword", "changeUsername"):
        answer = next(response for status, response in by_id(spec, name)["responses"].items()
                      if status in ("200", "201"))
        assert "content" not in answer, name


def test_reads_document_the_headers_they_answer_with(spec):
    localised = {"listProjects", "getProject", "listSites", "listSitesGeojson", "getSite"}
    for name in localised:
        assert set(by_id(spec, name)["responses"]["200"]["headers"]) == {"Content-Language", "Vary"}, name
    for name in ("listMemories", "getMemory", "listComments", "getComment"):
        assert set(by_id(spec, name)["responses"]["200"]["headers"]) == {"Vary"}, name
    for _, method, op in operations(spec):
        params = {param["name"] for param in op.get("parameters", []) if param["in"] == "header"}
        assert (method == "get" and "Muistot-Language" in params) == (op["operationId"] in localised), op


def test_validation_rules_and_media_types_are_in_the_schemas(spec):
    schemas = spec["components"]["schemas"]
    project = next(p for p in by_id(spec, "getSite")["parameters"] if p["name"] == "project")
    assert project["schema"]["pattern"] == "^[A-Za-z0-9_-]{4,250}$"
    assert schemas["NewSite"]["properties"]["id"]["pattern"] == "^[A-Za-z0-9_-]{4,250}$"
    assert schemas["NewProject"]["properties"]["id"]["pattern"] == "^[A-Za-z0-9_-]{4,250}$"
    point = schemas["Point"]["properties"]
    assert (point["lat"]["minimum"], point["lat"]["maximum"], point["lon"]["minimum"], point["lon"]["maximum"]) == \
        (-90, 90, -180, 180)
    image = schemas["NewMemory"]["properties"]["image"]["anyOf"][0]
    assert "JPEG or PNG" in image["description"] and image["contentEncoding"] == "base64"
    assert list(by_id(spec, "listSitesGeojson")["responses"]["200"]["content"]) == ["application/geo+json"]
    assert set(by_id(spec, "getImage")["responses"]["200"]["content"]) == {"image/jpeg", "image/png"}
    assert schemas["Memory"]["properties"]["modified_at"]["format"] == "date-time"
    assert schemas["Memory"]["examples"][0]["modified_at"].endswith("Z")


def test_a_typed_client_generates_cleanly_and_reads_answers(spec, tmp_path):
    generator = Path(sys.executable).with_name("openapi-python-client")
    env = {**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(generator), "generate", "--path", str(DOCUMENT), "--config", str(CLIENT_CONFIG),
                           "--meta", "none", "--output-path", str(tmp_path / "muistot_client")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        client = importlib.import_module("muistot_client")
        memories = importlib.import_module("muistot_client.api.memories.create_memory")
        models = importlib.import_module("muistot_client.models")
        assert callable(memories.sync_detailed) and callable(memories.asyncio_detailed)
        memory = models.Memory.from_dict(spec["components"]["schemas"]["Memory"]["examples"][0])
        assert memory.modified_at.tzinfo is not None and memory.modified_at.utcoffset() == dt.timedelta(0)
        error = models.ErrorEnvelope.from_dict({"error": {"code": 404, "message": "Site not found"}})
        assert error.error.message == "Site not found"
        assert client.AuthenticatedClient(base_url="http://127.0.0.1:1", token="x").token == "x"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == "muistot_client"]:
            del sys.modules[name]
