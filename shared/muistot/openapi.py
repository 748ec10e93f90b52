"""What every service's OpenAPI document shares (docs/api.md): readable operation ids, the error envelope with
every status an operation can answer, the bearer scheme's optional or required use, and the language headers.

A route names the errors particular to it with `errors(...)` in its `responses=`; `finish_openapi` adds the
ones every operation shares (401 for a bad token, 413 for a body, 422 in our envelope, 503) and marks which
operations need a session: those that depend on `muistot.deps.Caller` or list a 401 of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

BEARER = "bearer"
ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorEnvelope"}


class ValidationIssue(BaseModel):
    """One failed check of a 422: where (`["body", "info", "name"]`, `["path", "project"]`) and why."""

    loc: list[str] = Field(examples=[["body", "title"]])
    msg: str = Field(examples=["String should have at most 200 characters"])
    type: str = Field(examples=["string_too_long"])


class ErrorBody(BaseModel):
    code: int = Field(description="The HTTP status again", examples=[404])
    message: str = Field(description="One line for people; stable, so clients may compare it",
                         examples=["Site not found"])
    details: list[str] | None = Field(default=None, description="More about the failure, when there is more")
    errors: list[ValidationIssue] | None = Field(default=None, description="Only in a 422: every failed check")


class ErrorEnvelope(BaseModel):
    """The body of every error answer, whatever the status."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"error": {"code": 404, "message": "Site not found"}}]})

    error: ErrorBody


# What a status means here, for every operation that can answer it.
MEANINGS = {
    304: "Valid, but nothing changed (not an HTTP conditional GET)",
    400: "The uploaded image is not an accepted format (JPEG or PNG by default, MUISTOT_IMAGE_TYPES) or not "
         "valid base64",
    401: "Not signed in, or the bearer token is not valid (expired, signed out or malformed)",
    403: "Signed in, but not allowed to do this",
    404: "Not found, or not visible to the caller",
    406: "A language the server does not offer (MUISTOT_LANGUAGES)",
    409: "Conflicts with what exists",
    413: "The request body, or an uploaded image, is too large",
    422: "The request did not validate: `error.errors` lists every failed check",
    429: "Too many requests from this client; retry after `Retry-After` seconds",
    503: "A backend (database, Redis, storage, mail) is out of reach, or the request ran out of time; retry "
         "after `Retry-After` seconds",
}
# The message of a status when a route names none; the examples show what the API really sends.
DEFAULT_MESSAGES = {401: "Unauthorized", 403: "Not enough privileges", 413: "Request body too large",
                    422: "request validation error", 429: "Too many requests", 503: "Lost Connection to Database"}
OPTIONAL_SIGN_IN_401 = ("A bearer token was sent but is not valid (expired, signed out or malformed); send none to "
                        "act anonymously")
VALIDATION_EXAMPLE = {"error": {"code": 422, "message": "request validation error", "errors": [
    {"loc": ["path", "project"], "msg": "String should match pattern '^[A-Za-z0-9_-]{4,250}$'",
     "type": "string_pattern_mismatch"}]}}

ErrorSpec = int | tuple[int, ...]


def _example(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message}}


def error_response(status: int, *messages: str, description: str | None = None) -> dict[str, Any]:
    """One `responses=` entry: the envelope, the status's meaning and an example of each message."""
    messages = messages or (DEFAULT_MESSAGES.get(status) or HTTPStatus(status).phrase,)
    content: dict[str, Any] = {"schema": ERROR_SCHEMA}
    if status == 422:
        content["example"] = VALIDATION_EXAMPLE
    elif len(messages) == 1:
        content["example"] = _example(status, messages[0])
    else:
        content["examples"] = {message: {"value": _example(status, message)} for message in messages}
    meaning = description or MEANINGS.get(status) or HTTPStatus(status).phrase
    return {"description": meaning, "content": {"application/json": content}}


def errors(*specs: ErrorSpec) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the errors particular to a route: a status, or a status with the messages it sends.

    Listing 401 says that the operation needs a session (its message is "Unauthorized" when none is sent).
    """
    out: dict[int | str, dict[str, Any]] = {}
    for spec in specs:
        status, *messages = (spec,) if isinstance(spec, int) else spec
        out[status] = error_response(status, *messages)
    return out


CHAIN = ("Project", "Site", "Memory", "Comment")


def missing(deepest: str) -> tuple[int, str, ...]:
    """The 404s of a URL chain down to `deepest` (`"memory"`: its project, its site or itself)."""
    depth = [kind.lower() for kind in CHAIN].index(deepest) + 1
    return (404, *(f"{kind} not found" for kind in CHAIN[:depth]))


def nothing_changed(description: str = MEANINGS[304]) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry of a write that may change nothing (304, no body)."""
    return {304: {"description": description}}


# The `headers` of an answer that hands out a session token.
TOKEN_HEADER = {"Authorization": {"description": "`bearer <token>`", "schema": {"type": "string"},
                                  "example": "bearer 3q2-7wEXAMPLEtokenX0dYj0uYQ3PVQPQqkq7fH5mM"}}


def signed_in_response() -> dict[int | str, dict[str, Any]]:
    """The 200 of every sign-in: an empty body and the session token in the `Authorization` header."""
    return {200: {"description": "Signed in. The body is empty; the session token is in the `Authorization` "
                                 "header, to send back as `Authorization: Bearer <token>` (docs/sign-in.md)",
                  "headers": TOKEN_HEADER}}


def examples(*values: dict[str, Any]) -> ConfigDict:
    """`model_config` that shows these bodies as the model's examples in the OpenAPI document."""
    return ConfigDict(json_schema_extra={"examples": list(values)})


def camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(route: APIRoute) -> str:
    """`listSites`, `createMemory`: the endpoint's name, as client generators name their methods."""
    return camel_case(route.name)


# -- the finishing pass -----------------------------------------------------------------------------


def _routes(app: FastAPI) -> Iterator[APIRoute]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield context  # type: ignore[misc]  # a context reads like its route (path, unique_id, dependant)


def _depends_on(dependant: Any, function: Any) -> bool:
    return any(sub.call is function or _depends_on(sub, function) for sub in dependant.dependencies)


def _needs_session(route: Any) -> bool:
    from muistot.auth import require_principal

    return 401 in (route.responses or {}) or _depends_on(route.dependant, require_principal)


def _finish_operation(operation: dict[str, Any], needs_session: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if any(BEARER in requirement for requirement in operation.get("security", [])):
        # Optional sign-in: the empty requirement lets a generated client call it without a token.
        operation["security"] = [{BEARER: []}] if needs_session else [{BEARER: []}, {}]
        if needs_session:
            entry = responses.setdefault("401", error_response(401))
            content = entry.get("content", {}).get("application/json")
            if content is not None:  # an empty-bodied 401 (`GET /auth/status`) stays as it is
                examples = content.pop("examples", None) or {"Unauthorized": {"value": content.pop("example")}}
                examples.setdefault("Invalid Session", {"value": _example(401, "Invalid Session")})
                content["examples"] = examples
        else:
            responses.setdefault("401", error_response(401, "Invalid Session", description=OPTIONAL_SIGN_IN_401))
    if "422" in responses:
        responses["422"] = error_response(422)
    if "requestBody" in operation:
        responses.setdefault("413", error_response(413))
    responses.setdefault("503", error_response(503))
    operation["responses"] = dict(sorted(responses.items()))


def finish_openapi(app: FastAPI, spec: dict[str, Any]) -> dict[str, Any]:
    """The FastAPI document with our error envelope, security use and shared responses."""
    by_id = {route.unique_id: route for route in _routes(app)}
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            route = by_id.get(operation.get("operationId", ""))
            _finish_operation(operation, route is not None and _needs_session(route))
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(_envelope_schemas())
    spec["components"]["schemas"] = dict(sorted(schemas.items()))
    return spec


def _envelope_schemas() -> dict[str, Any]:
    schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {"ErrorEnvelope": schema, **definitions}


# -- language headers ---------------------------------------------------------------------------------

_READ_LANGUAGE = "The language of the texts (`info`) in the answer; the project's default language when the " \
                 "server offers none of those asked for (never 406)."
_MAIL_LANGUAGE = "The language of the mail this request sends (fi or en); else the account's or the default " \
                 "language."


def _header(name: str, description: str, example: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": {"type": "string"}, "example": example}


def _response_header(description: str, example: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}, "example": example}


_VARY_CALLER = _response_header("`Authorization`: what the answer holds depends on who asks (unpublished items "
                                "and `own` flags), so HTTP caches keep callers apart.", "Authorization")
READ_LANGUAGE = {
    "parameters": [
        _header("Muistot-Language", f"Wins over `Accept-Language`. {_READ_LANGUAGE}", "fi"),
        _header("Accept-Language", f"Standard, with `q` weights (`en-GB,en;q=0.8,fi;q=0.5`). {_READ_LANGUAGE}",
                "en"),
    ],
    "responses": {"200": {"headers": {
        "Content-Language": _response_header(
            "The language of the texts (`info.lang`): the asked-for one, or the project's default where it has "
            "no text; a list names each language its items are in (`fi, en`).", "fi"),
        "Vary": _response_header("`Accept-Language, Muistot-Language, Authorization`: the answer depends on the "
                                 "language asked for and on who asks, so HTTP caches keep them apart.",
                                 "Accept-Language, Muistot-Language, Authorization"),
    }}},
}
# Reads without localised texts (memories, comments).
VARIES_BY_CALLER = {"responses": {"200": {"headers": {"Vary": _VARY_CALLER}}}}
MAIL_LANGUAGE = {"parameters": [
    _header("Muistot-Language", f"Wins over the two below. {_MAIL_LANGUAGE}", "fi"),
    _header("Content-Language", f"Wins over `Accept-Language`. {_MAIL_LANGUAGE}", "fi"),
    _header("Accept-Language", _MAIL_LANGUAGE, "en"),
]}
