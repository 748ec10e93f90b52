"""`GET /me/projects|sites|memories|comments`: the signed-in person's roles and own content, paged."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from muistot.db.engine import Database
from muistot.deps import DatabaseDep, MaybeCaller, signed_in
from muistot.openapi import errors
from muistot.pagination import PageParams, PageRequest
from muistot_users.models import MyComments, MyMemories, MyProjects, MySites
from muistot_users.queries import own_content

router = APIRouter(prefix="/me", tags=["own content"])


async def _page(db: Database, user_id: int, name: str, page: PageRequest) -> dict[str, Any]:
    async with db.connect() as conn:
        return await own_content.page(conn, name, user_id, page)


@router.get("/projects", response_model=None, responses={200: {"model": MyProjects}, **errors(401)})
async def list_my_projects(caller: MaybeCaller, db: DatabaseDep, page: PageParams) -> dict[str, Any]:
    """Projects the user administers or moderates, with the role (`admin` wins over `moderator`)."""
    return await _page(db, signed_in(caller).user_id, "projects", page)


@router.get("/sites", response_model=None, responses={200: {"model": MySites}, **errors(401)})
async def list_my_sites(caller: MaybeCaller, db: DatabaseDep, page: PageParams) -> dict[str, Any]:
    """Sites the user created, newest first, with their review state."""
    return await _page(db, signed_in(caller).user_id, "sites", page)


@router.get("/memories", response_model=None, responses={200: {"model": MyMemories}, **errors(401)})
async def list_my_memories(caller: MaybeCaller, db: DatabaseDep, page: PageParams) -> dict[str, Any]:
    """Memories the user wrote, newest first, with their review state."""
    return await _page(db, signed_in(caller).user_id, "memories", page)


@router.get("/comments", response_model=None, responses={200: {"model": MyComments}, **errors(401)})
async def list_my_comments(caller: MaybeCaller, db: DatabaseDep, page: PageParams) -> dict[str, Any]:
    """Comments the user wrote, newest first, with their review state."""
    return await _page(db, signed_in(caller).user_id, "comments", page)
