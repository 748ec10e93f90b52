"""The whole schema as SQLAlchemy Core tables; Alembic migrations are generated from this.

Fixes to the original model (CHANGELOG.md, "Platform"): names and e-mails carry a folded `*_key`
column that is unique instead of relying on a collation; site ids are unique per project; the
review state is one column (`pending|published|rejected|hidden`); reports and their reasons live
in one table with a foreign key per target kind; admin actions are written to an audit log.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects import mysql

naming = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=naming)

# Ids are BIGINT on MariaDB and plain INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements).
Id = BigInteger().with_variant(Integer, "sqlite")
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql")
# 20 000 characters of utf8mb4 can exceed TEXT's 65 535 bytes (migration 0002).
MediumText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql")


class ReviewState(enum.StrEnum):
    pending = "pending"
    published = "published"
    rejected = "rejected"
    hidden = "hidden"


REVIEW_STATES = [state.value for state in ReviewState]


def _id() -> Column:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _created() -> Column:
    return Column("created_at", DateTime, nullable=False, server_default=func.now())


def _modified() -> Column:
    return Column("modified_at", DateTime, nullable=False, server_default=func.now())


def _user_fk(name: str, *, nullable: bool = True, ondelete: str = "SET NULL") -> Column:
    return Column(name, Id, ForeignKey("users.id", ondelete=ondelete), nullable=nullable)


def _state() -> Column:
    return Column("state", Enum(*REVIEW_STATES, name="review_state", native_enum=False, length=16),
                  nullable=False, server_default="pending")


languages = Table(
    "languages", metadata,
    Column("lang", String(5), primary_key=True),
)

images = Table(
    "images", metadata,
    _id(),
    Column("file_name", String(64), nullable=False, unique=True),
    Column("content_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("uploader_id", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
           index=True),
    _created(),
)

users = Table(
    "users", metadata,
    _id(),
    Column("username", String(64), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("email", String(255), nullable=True),
    Column("email_key", String(255), nullable=True, unique=True),
    Column("password_hash", String(60), nullable=True),
    # A password set by registration counts only once its address is confirmed (pre-hijack fix).
    Column("password_confirmed", Boolean, nullable=False, server_default="0"),
    Column("verified", Boolean, nullable=False, server_default="0"),
    Column("lang", String(5), ForeignKey("languages.lang"), nullable=True),
    _created(),
    _modified(),
)

user_personal_data = Table(
    "user_personal_data", metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("first_name", String(255)),
    Column("last_name", String(255)),
    Column("birth_date", Date),
    Column("country", String(3)),
    Column("city", String(255)),
    _modified(),
)

superusers = Table(
    "superusers", metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _created(),
)

# One-time secrets that must outlive Redis: e-mail change links, account deletion, registration codes.
login_verifiers = Table(
    "login_verifiers", metadata,
    _id(),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("purpose", String(32), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("payload", String(255), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("expires_at", DateTime, nullable=False, index=True),
    _created(),
)

# Sign-in identities at OpenID Connect providers, each linked to one account. Issuer and subject are
# matched exactly (case-sensitive), so the unique key is their digest, not the columns under a collation.
user_identities = Table(
    "user_identities", metadata,
    _id(),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("provider", String(32), nullable=False),
    Column("issuer", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("identity_key", String(64), nullable=False, unique=True),
    # The address the provider asserted when the identity was linked (shown to the person, never matched).
    Column("email", String(255), nullable=True),
    _created(),
    Column("last_used_at", DateTime, nullable=False, server_default=func.now()),
)

projects = Table(
    "projects", metadata,
    _id(),
    Column("name", String(250), nullable=False),
    Column("name_key", String(250), nullable=False, unique=True),
    Column("image_id", Id, ForeignKey("images.id", ondelete="SET NULL"), nullable=True),
    Column("starts", DateTime, nullable=True),
    Column("ends", DateTime, nullable=True),
    Column("admin_posting", Boolean, nullable=False, server_default="0"),
    Column("auto_publish", Boolean, nullable=False, server_default="0"),
    Column("default_language", String(5), ForeignKey("languages.lang"), nullable=False),
    Column("published", Boolean, nullable=False, server_default="0"),
    Column("deleted_at", DateTime, nullable=True),
    _user_fk("creator_id"),
    _user_fk("modifier_id"),
    _created(),
    _modified(),
    Index("ix_projects_published", "published", "starts", "ends"),
)

project_information = Table(
    "project_information", metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("lang", String(5), ForeignKey("languages.lang"), primary_key=True),
    Column("name", String(255)),
    Column("abstract", MediumText),
    Column("description", LongText),
    _user_fk("modifier_id"),
    _created(),
    _modified(),
)

project_contact = Table(
    "project_contact", metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("can_contact", Boolean, nullable=False, server_default="0"),
    Column("has_research_permit", Boolean, nullable=False, server_default="0"),
    Column("contact_email", String(255)),
    _user_fk("modifier_id"),
    _created(),
    _modified(),
)

project_admins = Table(
    "project_admins", metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    _created(),
)

project_moderators = Table(
    "project_moderators", metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    _created(),
)

sites = Table(
    "sites", metadata,
    _id(),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(250), nullable=False),
    Column("name_key", String(250), nullable=False),
    Column("image_id", Id, ForeignKey("images.id", ondelete="SET NULL"), nullable=True),
    _state(),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    _user_fk("creator_id"),
    _user_fk("modifier_id"),
    _created(),
    _modified(),
    UniqueConstraint("project_id", "name_key"),
    Index("ix_sites_project_state", "project_id", "state"),
    Index("ix_sites_project_lat_lon", "project_id", "lat", "lon"),
    Index("ix_sites_creator", "creator_id"),
    CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
    CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
)

site_information = Table(
    "site_information", metadata,
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("lang", String(5), ForeignKey("languages.lang"), primary_key=True),
    Column("name", String(255)),
    Column("abstract", MediumText),
    Column("description", LongText),
    _user_fk("modifier_id"),
    _created(),
    _modified(),
)

memories = Table(
    "memories", metadata,
    _id(),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    _user_fk("user_id"),
    Column("image_id", Id, ForeignKey("images.id", ondelete="SET NULL"), nullable=True),
    Column("title", String(255), nullable=False),
    Column("story", MediumText),
    _state(),
    _created(),
    _modified(),
    Index("ix_memories_site_state", "site_id", "state"),
    Index("ix_memories_user", "user_id"),
)

comments = Table(
    "comments", metadata,
    _id(),
    Column("memory_id", Id, ForeignKey("memories.id", ondelete="CASCADE"), nullable=False),
    _user_fk("user_id"),
    Column("comment", Text, nullable=False),
    _state(),
    _created(),
    _modified(),
    Index("ix_comments_memory_state", "memory_id", "state"),
    Index("ix_comments_user", "user_id"),
)

reports = Table(
    "reports", metadata,
    _id(),
    Column("target_type", String(16), nullable=False),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=True),
    Column("memory_id", Id, ForeignKey("memories.id", ondelete="CASCADE"), nullable=True),
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("reason", String(1000), nullable=True),
    # Set when a moderator cleared the report; cleared reports no longer count towards auto-hide.
    Column("cleared_at", DateTime, nullable=True),
    _created(),
    UniqueConstraint("site_id", "user_id"),
    UniqueConstraint("memory_id", "user_id"),
    UniqueConstraint("comment_id", "user_id"),
)

audit_log = Table(
    "audit_log", metadata,
    _id(),
    _user_fk("actor_id"),
    Column("actor_name", String(64), nullable=True),
    Column("project_id", Id, nullable=True, index=True),
    Column("action", String(64), nullable=False),
    Column("target_type", String(16), nullable=False),
    Column("target_id", String(255), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("created_at", DateTime, nullable=False, server_default=func.now(), index=True),
)
