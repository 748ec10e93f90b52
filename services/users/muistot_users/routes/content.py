"""`GET /me/projects|sites|memories|comments`: the signed-in person's roles and own content, paged."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from muistot.auth import MaybeUser, signed_in
from muistot.openapi import errors
from muistot.pagination import PageParams, PageRequest
from muistot_users.models import MyComments, MyMemories, MyProjects, MySites
from muistot_users.queries import own_content

router = APIRouter(prefix="/me", tags=["own content"])


async def _page(request: Request, user_id: int, name: str, page: PageRequest) -> dict[str, Any]:
    async with request.app.state.db.connect() as conn:
        return await own_content.page(conn, name, user_id, page)


@router.get("/projects", response_model=None, responses={200: {"model": MyProjects}, **errors(401)})
async def list_my_projects(request: Request, maybe_user: MaybeUser, page: PageParams) -> dict[str, Any]:
    """Projects the user administers or moderates, with the role (`admin` wins over `moderator`)."""
    user = signed_in(maybe_user)
    return await _page(request, user.user_id, "projects", page)


@router.get("/sites", response_model=None, responses={200: {"model": MySites}, **errors(401)})
async def list_my_sites(request: Request, maybe_user: MaybeUser, page: PageParams) -> dict[str, Any]:
    """Sites the user created, newest first, with their review state."""
    user = signed_in(maybe_user)
    return await _page(request, user.user_id, "sites", page)


@router.get("/memories", response_model=None, responses={200: {"model": MyMemories}, **errors(401)})
async def list_my_memories(request: Request, maybe_user: MaybeUser, page: PageParams) -> dict[str, Any]:
    """Memories the user wrote, newest first, with their review state."""
    user = signed_in(maybe_user)
    return await _page(request, user.user_id, "memories", page)


@router.get("/comments", response_model=None, responses={200: {"model": MyComments}, **errors(401)})
async def list_my_comments(request: Request, maybe_user: MaybeUser, page: PageParams) -> dict[str, Any]:
    """Comments the user wrote, newest first, with their review state."""
    user = signed_in(maybe_user)
    return await _page(request, user.user_id, "comments", page)
