"""Answers of the moderation lists (`/admin/queue`, `/admin/audit`, `/admin/superusers`).

Their routes build dicts; these models describe them in the OpenAPI document, and
services/admin/tests/test_answer_models.py checks every answer against them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from muistot.pagination import Page
from muistot.times import UtcDateTime

ItemType = Literal["site", "memory", "comment"]


class QueueParents(BaseModel):
    project: str
    site: str | None = Field(default=None, description="For memories and comments")
    memory: int | None = Field(default=None, description="For comments")


class QueueItem(BaseModel):
    type: ItemType
    id: int = Field(description="The database id, for `POST /admin/queue/{type}/{id}/decision`")
    identifier: str | int = Field(description="The id in URLs: a site's own id, a memory's or comment's number")
    parents: QueueParents
    state: Literal["pending", "published", "rejected", "hidden"]
    created_at: UtcDateTime
    summary: str = Field(description="The site's name, the memory's title or the comment's text")
    report_count: int = Field(description="Open reports")
    reasons: list[str] = Field(description="The reasons given in the open reports")
    user: str | None = Field(default=None, description="The author")


class Queue(Page[QueueItem]):
    pass


class AuditTarget(BaseModel):
    type: str
    id: str


class AuditEntry(BaseModel):
    id: int
    time: UtcDateTime
    action: str = Field(examples=["publish"])
    target: AuditTarget
    actor: str | None = Field(default=None, description="The username at the time")
    project: str | None = None
    before: dict[str, Any] | None = Field(default=None, description="What the action changed, as it was")
    after: dict[str, Any] | None = Field(default=None, description="What the action changed, as it became")


class AuditEntries(Page[AuditEntry]):
    pass


class Superusers(BaseModel):
    items: list[str] = Field(description="Usernames, in order")
