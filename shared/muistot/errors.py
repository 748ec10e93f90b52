"""The error envelope of the contract and the handlers that produce it for every failure."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from muistot.allow import allowed_methods

log = logging.getLogger("muistot.errors")


class ApiError(Exception):
    """An error a client should see: status, a one-line message and optional details."""

    def __init__(self, status: int, message: str | None = None, details: Sequence[str] = (),
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.message = message or HTTPStatus(status).phrase
        self.details = list(details)
        self.headers = headers or {}
        super().__init__(self.message)


def unauthorized(message: str = "Unauthorized") -> ApiError:
    return ApiError(401, message)


def forbidden(message: str = "Forbidden", *details: str) -> ApiError:
    return ApiError(403, message, details)


def not_found(message: str = "Not Found", *details: str) -> ApiError:
    return ApiError(404, message, details)


def error_body(status: int, message: str | None = None, details: Sequence[str] = ()) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message or HTTPStatus(status).phrase}
    if details:
        error["details"] = list(details)
    return {"error": error}


def error_headers(status: int, headers: dict[str, str] | None = None) -> dict[str, str]:
    """The headers an error of this status carries besides the given ones."""
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", "Bearer")
    if status == 429:
        all_headers.setdefault("Retry-After", "60")
    return all_headers


def error_response(status: int, message: str | None = None, details: Sequence[str] = (),
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, details), status_code=status,
                        headers=error_headers(status, headers))


def _clean_msg(msg: str) -> str:
    # pydantic v2 prefixes custom validator messages; the contract's messages carry no prefix.
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] == "body" and len(loc) == 1:
            loc.append("__root__")
        out.append({"loc": loc, "msg": _clean_msg(str(err.get("msg", ""))), "type": str(err.get("type", ""))})
    return out


def validation_response(errors: Sequence[Any]) -> JSONResponse:
    body = {"error": {"code": 422, "message": "request validation error", "errors": validation_errors(errors)}}
    return JSONResponse(body, status_code=422)


# 1205 lock wait timeout (MUISTOT_DB_LOCK_TIMEOUT), 1969 MariaDB's max_statement_time and 3024 MySQL's
# max_execution_time (MUISTOT_DB_STATEMENT_TIMEOUT), 1317 statement interrupted.
BUSY_CODES = (1205, 1317, 1969, 3024)


def _code(exc: BaseException) -> object:
    orig = getattr(exc, "orig", None)
    return orig.args[0] if orig is not None and orig.args else None


def is_busy_error(exc: BaseException) -> bool:
    """True for a statement that ran out of time waiting for a lock or running (the transaction is rolled back)."""
    if not isinstance(exc, DBAPIError):
        return False
    return _code(exc) in BUSY_CODES or "database is locked" in str(exc).lower()


def is_connection_error(exc: BaseException) -> bool:
    """True for a DB error that means the server is out of reach (not a bad statement)."""
    if isinstance(exc, (PoolTimeoutError, OSError, ConnectionError)):
        return True
    if isinstance(exc, OperationalError):
        # 2002/2003/2006/2013: cannot connect / server gone / lost connection; 1040 too many connections.
        if _code(exc) in (1040, 2002, 2003, 2005, 2006, 2013, 2014, 2055):
            return True
        return "connect" in str(exc).lower()
    return bool(isinstance(exc, DBAPIError) and exc.connection_invalidated)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return error_response(exc.status_code, message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        return validation_response(exc.errors())

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> Response:
        log.info("integrity violation: %s", exc.orig)
        return error_response(409, "Integrity Violation")

    @app.exception_handler(DBAPIError)
    async def _db_error(_: Request, exc: DBAPIError) -> Response:
        if is_busy_error(exc):
            log.warning("database busy: %s", exc.orig)
            return error_response(503, "Database busy", headers={"Retry-After": "5"})
        if is_connection_error(exc):
            log.warning("database unavailable: %s", exc.orig)
            return error_response(503, "Lost Connection to Database", headers={"Retry-After": "5"})
        log.exception("database error")
        return error_response(500, "Error in database Communication")

    @app.exception_handler(PoolTimeoutError)
    async def _pool_timeout(_: Request, exc: PoolTimeoutError) -> Response:
        log.warning("database pool exhausted: %s", exc)
        return error_response(503, "Lost Connection to Database", headers={"Retry-After": "5"})

    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def _redis_down(_: Request, exc: Exception) -> Response:
        log.warning("redis unavailable: %s", exc)
        return error_response(503, "Lost Connection to Redis", headers={"Retry-After": "5"})

    @app.exception_handler(OSError)
    async def _os_error(_: Request, exc: OSError) -> Response:
        log.warning("backend unavailable: %s", exc)
        return error_response(503, "Service Unavailable", headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "Internal Server Error")
