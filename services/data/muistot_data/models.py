"""Bodies in and out of the data service (spec/api-data.md §6.1, §7.1, §8.1, §9.1).

Responses omit optional fields whose value is null (serialised with `exclude_none`).
Input models ignore unknown fields, as the contract requires (§0.1).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from muistot.content.ids import SID
from muistot.content.texts import IMAGE, NAME, SMALL_TEXT, TEXT, InfoBody, Input
from muistot.encoding import json_bytes


class Output(BaseModel):
    def to_json(self) -> bytes:
        return json_bytes(self)


class Info(Output):
    lang: str
    name: str
    abstract: str | None = None
    description: str | None = None


class Point(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class Contact(Output):
    contact_email: str | None = None
    has_research_permit: bool
    can_contact: bool


class Project(Output):
    id: str
    info: Info
    image: str | None = None
    starts: datetime | None = None
    ends: datetime | None = None
    admins: list[str] = []
    contact: Contact | None = None
    admin_posting: bool
    auto_publish: bool
    sites_count: int


class Comment(Output):
    id: int
    user: str | None = None
    comment: str
    modified_at: datetime
    own: bool | None = None
    waiting_approval: bool | None = None


class Memory(Output):
    id: int
    user: str | None = None
    title: str
    story: str | None = None
    image: str | None = None
    comments_count: int
    modified_at: datetime
    own: bool | None = None
    waiting_approval: bool | None = None
    comments: list[Comment] | None = None


class Site(Output):
    id: str
    info: Info
    location: Point
    image: str | None = None
    memories_count: int
    waiting_approval: bool | None = None
    own: bool | None = None
    creator: str | None = None
    modifier: str | None = None
    memories: list[Memory] | None = None


class Projects(Output):
    items: list[Project]


class Sites(Output):
    items: list[Site]


class Memories(Output):
    items: list[Memory]


class Comments(Output):
    items: list[Comment]


# -- input ----------------------------------------------------------------------------------------


class NewSite(Input):
    id: SID
    info: InfoBody
    location: Point
    image: IMAGE | None = None


class ModifiedSite(Input):
    location: Point | None = None
    image: IMAGE | None = None
    info: InfoBody | None = None

    @field_validator("location", mode="before")
    @classmethod
    def _location_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("Null location is not permitted")
        return value


class NewMemory(Input):
    title: NAME
    story: TEXT | None = None
    image: IMAGE | None = None


class ModifiedMemory(Input):
    title: NAME | None = None
    story: TEXT | None = None
    image: IMAGE | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _title_not_null(cls, value: Any) -> Any:
        # The original stored a null title and then failed every read of the memory (§8.1).
        if value is None:
            raise ValueError("Title may not be null")
        return value


class NewComment(Input):
    comment: SMALL_TEXT


ModifiedComment = NewComment
