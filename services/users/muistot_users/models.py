"""Bodies and answers of the `/me` endpoints (docs/api.md)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator

from muistot.db.engine import utcnow
from muistot.openapi import examples
from muistot.pagination import Page
from muistot.times import UtcDateTime
from muistot.validation import Body

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
ShortText = Field(default=None, max_length=255)


def alpha3_country(value: str) -> str:
    """ISO 3166-1 alpha-2 or alpha-3, any case → alpha-3 (`fi` → `FIN`)."""
    code = value.strip().upper()
    found = None
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.countries.get(alpha_3=code)
    if found is None:
        raise ValueError("Not a valid ISO3316 (2,3) country")
    return str(found.alpha_3)


class LinkedProvider(BaseModel):
    """A provider the person signs in with (`user_identities`)."""

    provider: str
    label: str
    email: str | None = None  # the address the provider gave when it was linked
    linked_at: UtcDateTime
    last_used_at: UtcDateTime


class UserData(BaseModel):
    """`GET /me`. Null fields are left out of the answer."""

    model_config = examples({"username": "Mummo-Aino", "email": "aino@example.fi", "city": "Helsinki",
                             "country": "FIN", "modified_at": "2026-12-01T20:07:43Z", "has_password": False})

    username: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    country: str | None = None
    city: str | None = None
    birth_date: dt.date | None = None
    modified_at: UtcDateTime | None = None
    # Not in the original: tells the frontend whether a password change or account deletion
    # must ask for the current password.
    has_password: bool = False
    # Not in the original either: the OpenID Connect providers linked to the account (omitted when none,
    # like every other empty field).
    providers: list[LinkedProvider] | None = None


class PatchUser(Body):
    """`PATCH /me`: fields sent are written, an explicit null clears, absent fields stay as they are."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"first_name": "Aino", "city": "Helsinki", "country": "fi", "birth_date": "1941-03-14"}, {"city": None}]})

    first_name: str | None = ShortText
    last_name: str | None = ShortText
    city: str | None = ShortText
    birth_date: dt.date | None = None
    country: str | None = Field(default=None, min_length=2, max_length=3)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else alpha3_country(value)

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: dt.date | None) -> dt.date | None:
        if value is None:
            return None
        if value > utcnow().date():
            raise ValueError("Birth date cannot be in the future")
        if value < EARLIEST_BIRTH_DATE:
            raise ValueError("Birth date cannot be before 1900")
        return value

    def changes(self) -> dict[str, object]:
        """Only the fields the client sent (None where it sent null)."""
        return {name: getattr(self, name) for name in self.model_fields_set if name in type(self).model_fields}


class PasswordChange(Body):
    """`PUT /me/password` body; the contract's `?password=` query parameter is accepted instead of `password`."""

    model_config = ConfigDict(extra="ignore")

    password: str | None = Field(default=None, max_length=1000)
    current_password: str | None = Field(default=None, max_length=1000)


class EmailChange(Body):
    """Optional `POST /me/email` body: the current password, instead of a recent sign-in."""

    model_config = ConfigDict(extra="ignore")

    current_password: str | None = Field(default=None, max_length=1000)


class AccountDeletion(Body):
    """`DELETE /me/account` body: the current password, for accounts that have one."""

    model_config = ConfigDict(extra="ignore")

    password: str | None = Field(default=None, max_length=1000)


# -- answers of the lists (their routes build dicts; these describe them in the OpenAPI document, and
# services/users/tests/test_answer_models.py checks every answer against them) --------------------------


class Review(BaseModel):
    state: Literal["pending", "published", "rejected", "hidden"] = Field(
        description="`pending` waits for a moderator; `rejected` and `hidden` (by reports) are not shown either")
    published: bool
    waiting_approval: bool


class MyProject(BaseModel):
    id: str
    role: Literal["admin", "moderator"] = Field(description="`admin` when the person is both")
    title: str | None = Field(default=None, description="The name in the project's default language")
    published: bool
    deleted: bool
    default_language: str


class SiteLocation(BaseModel):
    lat: float
    lon: float


class MySite(Review):
    id: str
    project: str
    title: str | None = Field(default=None, description="The name in the project's default language")
    location: SiteLocation
    created_at: UtcDateTime | None = None
    modified_at: UtcDateTime | None = None


class MyMemory(Review):
    id: int
    site: str
    project: str
    title: str
    image: str | None = None
    created_at: UtcDateTime | None = None
    modified_at: UtcDateTime | None = None


class MyComment(Review):
    id: int
    memory: int
    site: str
    project: str
    comment: str
    created_at: UtcDateTime | None = None
    modified_at: UtcDateTime | None = None


class MyProjects(Page[MyProject]):
    pass


class MySites(Page[MySite]):
    pass


class MyMemories(Page[MyMemory]):
    pass


class MyComments(Page[MyComment]):
    pass


class SessionItem(BaseModel):
    id: str = Field(description="For `DELETE /me/sessions/{session_id}`; never the token")
    created: UtcDateTime
    last_seen: UtcDateTime
    expires: UtcDateTime
    client: str = Field(description="The browser or program, as its User-Agent named it")
    current: bool = Field(description="The session making this request")


class Sessions(Page[SessionItem]):
    pass


class ExportedPersonalData(BaseModel):
    first_name: str | None
    last_name: str | None
    country: str | None = Field(description="ISO 3166-1 alpha-3")
    city: str | None
    birth_date: dt.date | None
    modified_at: UtcDateTime | None


class ExportedProfile(BaseModel):
    id: int
    username: str
    email: str | None
    verified: bool
    has_password: bool
    language: str | None
    created_at: UtcDateTime | None
    modified_at: UtcDateTime | None
    personal_data: ExportedPersonalData | None = None


class ExportedRoles(BaseModel):
    superuser: bool
    superuser_since: UtcDateTime | None
    projects: list[MyProject]


class ExportedMemory(MyMemory):
    story: str | None


class ExportedReport(BaseModel):
    target_type: Literal["site", "memory", "comment"]
    site: str | None = Field(default=None, description="For a site: its id, with `project`")
    project: str | None = None
    memory: int | None = None
    comment: int | None = None
    reason: str | None
    created_at: UtcDateTime
    cleared: bool


class ExportedImage(BaseModel):
    file_name: str
    content_type: str
    size: int
    width: int
    height: int
    created_at: UtcDateTime


class ExportedRequest(BaseModel):
    """A one-time code or link not used yet (its secret is never stored, so never exported)."""

    purpose: str
    payload: str | None
    created_at: UtcDateTime
    expires_at: UtcDateTime


class ExportedProvider(BaseModel):
    provider: str
    issuer: str
    subject: str
    email: str | None
    linked_at: UtcDateTime
    last_used_at: UtcDateTime


class ExportedAction(BaseModel):
    action: str
    target_type: str
    target_id: str
    project: str | None
    created_at: UtcDateTime


class Export(BaseModel):
    """Everything stored about the person (`GET /me/export`)."""

    exported_at: UtcDateTime
    profile: ExportedProfile
    sessions: list[SessionItem]
    roles: ExportedRoles
    sites: list[MySite]
    memories: list[ExportedMemory]
    comments: list[MyComment]
    reports: list[ExportedReport]
    images: list[ExportedImage]
    pending_requests: list[ExportedRequest]
    sign_in_providers: list[ExportedProvider]
    moderation_actions: list[ExportedAction]
