"""The write path: every change of stored data in every service goes through one `Unit` (docs/write-path.md).

A route asks for `write: WriteDep` and runs its change inside `async with write.unit(caller) as unit:`.
The unit owns, for that one transaction:

- the transaction itself (`unit.conn`), committed when the block ends and rolled back when it raises;
- the permission chain (`unit.chain(...)`), which also registers the project as touched;
- uploaded images (`unit.upload`), deleted again when the transaction rolls back, and images that lost
  their last reference (`unit.release`), deleted once the commit made that final;
- the audit record (`unit.audit`), written in the same transaction as the change;
- cache invalidation: when a statement changed rows that readers can see, the counters of every touched
  project are bumped before the commit and again after it (`muistot.content.generations`);
- side effects that must follow the commit (`unit.mail`, `unit.after_commit`): queued mail, session changes.

Invalidation that the cache refuses fails the write: a reachable Redis that times out or answers with an
error would keep serving the old entries, so the unit answers 503 and rolls back. A cache Redis that cannot
be reached at all serves no reader either, so the write goes through (readers read uncached meanwhile).
The bump after the commit closes the window in which a reader could cache what it read just before the
commit under the new counter.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from sqlalchemy import Table, event
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase

from muistot import audit as audit_log
from muistot.content import generations
from muistot.content.access import Chain, load_chain
from muistot.db.engine import Database
from muistot.db.tables import audit_log as audit_table
from muistot.db.tables import reports
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.images import ImageUploads, delete_files, insert_image, release_images
from muistot.mail import MailMessage, enqueue
from muistot.redis import RedisClients
from muistot.sessions import SessionStore
from muistot.settings import Settings
from muistot.storage import Storage, open_storage, storage_of

log = logging.getLogger("muistot.write")

AfterCommit = Callable[[], Awaitable[Any]]
# Rows no cached read shows: changing only these invalidates nothing.
UNCACHED_TABLES: frozenset[str] = frozenset({audit_table.name, reports.name})


class Unit:
    """One transaction of the write path; made by `Write.unit`, never directly."""

    def __init__(self, conn: AsyncConnection, write: Write, caller: Principal | None, projects_list: bool) -> None:
        self.conn = conn
        self.caller = caller
        self.settings = write.settings
        self.redis = write.redis
        self.sessions = write.sessions
        self._write = write
        self._projects_list = projects_list
        self.touched: set[str] = set()
        self.changed = False
        self._uploads: ImageUploads | None = None
        self._released: list[int | None] = []
        self._after: list[AfterCommit] = []

    # --- what the route calls -------------------------------------------------------------------------

    @property
    def actor(self) -> Principal:
        """The signed-in caller, for changes only a person makes (a unit of the worker has none)."""
        if self.caller is None:
            raise ApiError(401, "Unauthorized")
        return self.caller

    async def chain(self, project: str, site: str | None = None, memory: int | None = None,
                    comment: int | None = None) -> Chain:
        """The caller's chain (`muistot.content.access.load_chain`); its project counts as touched."""
        chain = await load_chain(self.conn, self.caller, project, site, memory, comment)
        self.touch(chain.project.name)
        return chain

    def touch(self, *projects: str, projects_list: bool | None = None) -> None:
        """Cached reads of these projects (by id) depend on what this unit changes."""
        self.touched.update(projects)
        if projects_list is not None:
            self._projects_list = self._projects_list or projects_list

    async def upload(self, text: str) -> int:
        """Store an uploaded image (deleted again if the unit rolls back) and return its row id."""
        if self._uploads is None:
            self._uploads = ImageUploads(self._write.storage(), self.settings)
        stored = await self._uploads.add(text)
        return await insert_image(self.conn, stored, self.caller.user_id if self.caller else None)

    def release(self, *image_ids: int | None) -> None:
        """These images lose a reference; their files go after the commit if nothing else uses them."""
        self._released.extend(image_ids)

    async def audit(self, *, action: str, target_type: str, target_id: str | int, project_id: int | None,
                    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                    by_system: bool = False) -> None:
        """One audit entry in this transaction, by the caller (`by_system`: by the system, e.g. auto-hiding)."""
        who = None if by_system else self.caller
        await audit_log.record(self.conn, actor=who, action=action, target_type=target_type, target_id=target_id,
                               project_id=project_id, before=before, after=after)

    def after_commit(self, effect: AfterCommit) -> None:
        """Run `effect` once the commit succeeded (in the order registered); never when it rolls back."""
        self._after.append(effect)

    def mail(self, message: MailMessage) -> None:
        """Queue this mail after the commit: a rolled-back write mails nothing."""
        self.after_commit(lambda: enqueue(self.redis, message, self.settings))

    # --- what `Write.unit` calls ----------------------------------------------------------------------

    def _saw(self, _conn: Any, statement: Any, _multiparams: Any, _params: Any, _options: Any,
             result: Any) -> None:
        """After each statement: did it change rows a cached read shows?"""
        if self.changed or not isinstance(statement, UpdateBase):
            return
        table = statement.table
        if isinstance(table, Table) and table.name in UNCACHED_TABLES:
            return
        if result.rowcount != 0:
            self.changed = True

    def _scopes(self) -> list[str]:
        if not (self.changed and self.touched):
            return []
        return generations.scopes_of(self.touched, projects_list=self._projects_list)

    async def _invalidate_before_commit(self) -> None:
        try:
            await generations.advance(self.redis, self._scopes())
        except RedisConnectionError as exc:
            # Nobody can read the cache either; readers answer uncached until it is back.
            log.warning("cache unreachable, generation not bumped: %s", type(exc).__name__)
        except RedisError as exc:  # a timeout (writes paused, overloaded) or an error answer (read-only, full)
            raise _cache_refused(exc) from None

    async def _invalidate_after_commit(self) -> None:
        try:
            await generations.advance(self.redis, self._scopes())
        except RedisError as exc:
            log.warning("cache generation bump after commit failed: %s", type(exc).__name__)

    async def _discard_uploads(self) -> None:
        if self._uploads is not None:
            await self._uploads.discard()


def _cache_refused(exc: RedisError) -> ApiError:
    log.warning("cache refused the generation bump, write rolled back: %s", type(exc).__name__)
    return ApiError(503, "Lost Connection to Redis", headers={"Retry-After": "5"})


class Write:
    """The write path of one service (or the worker): hands out units. A route gets it as `WriteDep`."""

    def __init__(self, db: Database, redis: RedisClients, settings: Settings, sessions: SessionStore,
                 storage: Callable[[], Storage]) -> None:
        self.db = db
        self.redis = redis
        self.settings = settings
        self.sessions = sessions
        self.storage = storage

    @classmethod
    def of(cls, ctx: Any) -> Write:
        """For the worker: a `muistot.worker.WorkerContext` (settings, db, redis, sessions)."""
        return cls(ctx.db, ctx.redis, ctx.settings, ctx.sessions, lambda: open_storage(ctx.settings.files_url))

    @asynccontextmanager
    async def unit(self, caller: Principal | None, *, projects_list: bool = True) -> AsyncIterator[Unit]:
        """One transaction; `projects_list=False` when nothing it changes shows in the list of projects."""
        current: Unit | None = None
        try:
            async with self.db.transaction() as conn:
                current = Unit(conn, self, caller, projects_list)
                event.listen(conn.sync_connection, "after_execute", current._saw)
                try:
                    yield current
                    orphans = await release_images(conn, current._released)
                finally:
                    event.remove(conn.sync_connection, "after_execute", current._saw)
                await current._invalidate_before_commit()
        except BaseException:
            if current is not None:
                await current._discard_uploads()
            raise
        await current._invalidate_after_commit()
        if orphans:
            await delete_files(self.storage(), orphans)
        for effect in current._after:
            await effect()


async def app_write(request: Request) -> Write:
    """The app's write path, made once per app."""
    state = request.app.state
    write = getattr(state, "write", None)
    if write is None:
        write = Write(state.db, state.redis, state.settings, state.sessions, lambda: storage_of(state))
        state.write = write
    return write


WriteDep = Annotated[Write, Depends(app_write)]
