"""Bodies in and out of the data service (docs/openapi.json).

Responses omit optional fields whose value is null (serialised with `exclude_none`).
Input models ignore unknown fields, as the contract requires (docs/contract.md, "Transport").
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from muistot.content.ids import SID
from muistot.content.texts import IMAGE, NAME, SMALL_TEXT, TEXT, InfoBody, Input
from muistot.encoding import json_bytes
from muistot.openapi import examples
from muistot.times import UtcDateTime


class Output(BaseModel):
    def to_json(self) -> bytes:
        return json_bytes(self)

    def languages(self) -> list[str]:
        """The languages of the localised texts (`info`) in this body, each once, first seen first."""
        return []


def languages_of(items: list[Project] | list[Site]) -> list[str]:
    return list(dict.fromkeys(item.info.lang for item in items))


class Info(Output):
    lang: str
    name: str
    abstract: str | None = None
    description: str | None = None


class Point(BaseModel):
    """WGS 84 degrees."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class Contact(Output):
    contact_email: str | None = None
    has_research_permit: bool
    can_contact: bool


PROJECT_EXAMPLE = {"id": "helsinki-1952", "info": {"lang": "fi", "name": "Helsingin olympiakesä 1952",
                                                   "abstract": "Muistoja kisakesästä."},
                   "image": "1dc15d85-8433-11ec-8f55-0242ac140005.jpg", "starts": "2026-05-01T00:00:00Z",
                   "admins": ["museo-helsinki"], "admin_posting": False, "auto_publish": False, "sites_count": 12}
SITE_EXAMPLE = {"id": "olympiastadion", "info": {"lang": "fi", "name": "Olympiastadion",
                                                 "abstract": "Vuoden 1952 kisojen päänäyttämö."},
                "location": {"lon": 24.9272, "lat": 60.1867}, "image": "5b0c1d9e-2f7e-4c1b-9a51-0c2f3a0d7e11.jpg",
                "memories_count": 3}
MEMORY_EXAMPLE = {"id": 57, "user": "Mummo-Aino", "title": "Zátopekin kolmas kulta",
                  "story": "Istuimme isän kanssa kaarteessa, kun Zátopek juoksi maratonin maaliin.",
                  "image": "a3f1c2d4-7b8e-4f90-8c1d-2e3f4a5b6c7d.jpg", "comments_count": 1,
                  "modified_at": "2026-12-01T20:07:43Z", "own": False}
COMMENT_EXAMPLE = {"id": 20, "user": "Tapio", "comment": "Isoisäni oli siellä myös!",
                   "modified_at": "2026-12-02T08:15:00Z", "own": False}


class Project(Output):
    model_config = examples(PROJECT_EXAMPLE)

    id: str
    info: Info
    image: str | None = None
    starts: UtcDateTime | None = None
    ends: UtcDateTime | None = None
    admins: list[str] = []
    contact: Contact | None = None
    admin_posting: bool
    auto_publish: bool
    sites_count: int

    def languages(self) -> list[str]:
        return [self.info.lang]


class Comment(Output):
    model_config = examples(COMMENT_EXAMPLE)

    id: int
    user: str | None = None
    comment: str
    modified_at: UtcDateTime
    own: bool | None = None
    waiting_approval: bool | None = None


class Memory(Output):
    model_config = examples(MEMORY_EXAMPLE)

    id: int
    user: str | None = None
    title: str
    story: str | None = None
    image: str | None = None
    comments_count: int
    modified_at: UtcDateTime
    own: bool | None = None
    waiting_approval: bool | None = None
    comments: list[Comment] | None = None


class Site(Output):
    model_config = examples(SITE_EXAMPLE)

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

    def languages(self) -> list[str]:
        return [self.info.lang]


class Projects(Output):
    model_config = examples({"items": [PROJECT_EXAMPLE]})

    items: list[Project]

    def languages(self) -> list[str]:
        return languages_of(self.items)


class Sites(Output):
    model_config = examples({"items": [SITE_EXAMPLE]})

    items: list[Site]

    def languages(self) -> list[str]:
        return languages_of(self.items)


class Memories(Output):
    model_config = examples({"items": [MEMORY_EXAMPLE]})

    items: list[Memory]


class Comments(Output):
    model_config = examples({"items": [COMMENT_EXAMPLE]})

    items: list[Comment]


# -- input ----------------------------------------------------------------------------------------


class NewSite(Input):
    model_config = examples({"id": "kauppatori", "info": {"lang": "fi", "name": "Kauppatori",
                                                          "abstract": "Kisavieraiden kohtaamispaikka."},
                             "location": {"lon": 24.9525, "lat": 60.1675}})

    id: SID
    info: InfoBody
    location: Point
    image: IMAGE | None = None


class ModifiedSite(Input):
    """Fields sent are changed; `info` writes the texts of its language (fields left out of it are cleared)."""

    model_config = examples({"info": {"lang": "en", "name": "Market Square",
                                      "abstract": "Where the Games' visitors met."}},
                            {"location": {"lon": 24.9527, "lat": 60.1676}})

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
    model_config = examples({"title": "Jäätelöä torilla", "story": "Ostimme ensimmäisen Eskimo-puikon kisakesänä."})

    title: NAME
    story: TEXT | None = None
    image: IMAGE | None = None


class ModifiedMemory(Input):
    model_config = examples({"story": "Ostimme ensimmäisen Eskimo-puikkomme heinäkuussa 1952."})

    title: NAME | None = None
    story: TEXT | None = None
    image: IMAGE | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _title_not_null(cls, value: Any) -> Any:
        # The original stored a null title and then failed every read of the memory.
        if value is None:
            raise ValueError("Title may not be null")
        return value


class NewComment(Input):
    model_config = examples({"comment": "Muistan saman jonon!"})

    comment: SMALL_TEXT


ModifiedComment = NewComment
