"""Typed FastAPI dependencies: what a route may ask for, so no route reaches into `request.app.state`.

Each name is an `Annotated[type, Depends(...)]` alias; a route declares `db: DatabaseDep` and gets the
service's object. The signed-in person is always called `caller`:

- `MaybeCaller`: the caller or None (anonymous). Routes with parameters take this one and call
  `signed_in(caller)` first thing, because FastAPI runs dependencies before it reports invalid
  parameters, and the contract puts a 422 before a 401 (docs/contract.md, "Order of checks").
- `Caller`: the caller, or 401 at once (routes without parameters of their own).

The write path (`muistot.write.Write`) is built from these; see docs/write-path.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from muistot.auth import optional_principal, require_anonymous, require_principal, signed_in
from muistot.db.engine import Database
from muistot.identity import Principal
from muistot.redis import RedisClients
from muistot.sessions import SessionStore
from muistot.settings import Settings
from muistot.storage import Storage, storage_of

__all__ = ["Anonymous", "Caller", "DatabaseDep", "MaybeCaller", "RedisDep", "SessionsDep", "SettingsDep",
           "StorageDep", "signed_in"]


async def app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def app_database(request: Request) -> Database:
    return request.app.state.db


async def app_redis(request: Request) -> RedisClients:
    return request.app.state.redis


async def app_sessions(request: Request) -> SessionStore:
    return request.app.state.sessions


async def app_storage(request: Request) -> Storage:
    return storage_of(request.app.state)


SettingsDep = Annotated[Settings, Depends(app_settings)]
DatabaseDep = Annotated[Database, Depends(app_database)]
RedisDep = Annotated[RedisClients, Depends(app_redis)]
SessionsDep = Annotated[SessionStore, Depends(app_sessions)]
StorageDep = Annotated[Storage, Depends(app_storage)]

MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]
Caller = Annotated[Principal, Depends(require_principal)]
Anonymous = Annotated[None, Depends(require_anonymous)]
