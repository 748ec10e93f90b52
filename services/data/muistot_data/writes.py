"""Plumbing every contributor write shares: uploads, commit, then cache invalidation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content import generations
from muistot.identity import Principal
from muistot.images import ImageUploads, delete_files, image_uploads, insert_image, release_images
from muistot.storage import storage_of


def write_router(tag: str) -> APIRouter:
    """A router of contributor writes. Like the original, it reads a body sent without a Content-Type
    as JSON (§0.1); a bearer header, not a cookie, authenticates, so this opens no cross-site posts."""
    return APIRouter(tags=[tag], strict_content_type=False)


@dataclass
class Write:
    """One write request: its transaction, its uploaded files and the files to drop after the commit."""

    conn: AsyncConnection
    uploads: ImageUploads
    user: Principal
    released: list[int | None] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    async def upload(self, text: str) -> int:
        stored = await self.uploads.add(text)
        return await insert_image(self.conn, stored, self.user.user_id)

    def release(self, *image_ids: int | None) -> None:
        """These images lose a reference; they are deleted if nothing else uses them."""
        self.released.extend(image_ids)


@asynccontextmanager
async def write(request: Request, user: Principal) -> AsyncIterator[Write]:
    """Store files first, commit the rows, then delete images nobody uses any more.

    Any failure (including the commit) rolls the rows back and deletes the files stored so far.
    """
    state = request.app.state
    storage = storage_of(state)
    async with image_uploads(storage, state.settings) as uploads, state.db.transaction() as conn:
        current = Write(conn, uploads, user)
        yield current
        current.orphans = await release_images(conn, current.released)
    await delete_files(storage, current.orphans)


async def committed(request: Request, project: str, *, projects_list: bool) -> None:
    """After the commit: make cached reads of the project (and, if affected, of the list) stale."""
    await generations.bump(request.app.state.redis, project, projects_list=projects_list)
