"""Who may see or change what in a project (docs/contract.md, "Visibility").

A request names a chain project → site → memory → comment. `load_chain` fetches the whole chain in
one statement and the caller's live role in another, answering 404 for the first missing link.
The checks then follow one rule set:

* project staff (moderators, admins; superusers are admins of every project) see everything in
  their project and nothing extra elsewhere;
* everyone else sees a project when it is published and inside its date window, and a site, memory
  or comment when it is published or their own;
* owning the item named in the URL skips the parent checks (an author can read their memory under
  a site that was unpublished later);
* contributing (creating children) needs published parents: owning an unpublished site does not
  let you add memories to it;
* a failed check answers 404 when the caller cannot see the target, 403 when they can.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content.ids import in_db_range
from muistot.content.states import is_published
from muistot.db.engine import utcnow
from muistot.db.tables import (
    ReviewState,
    comments,
    memories,
    project_admins,
    project_moderators,
    projects,
    sites,
    superusers,
)
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.roles import Role
from muistot.text import fold

NOT_ENOUGH_PRIVILEGES = "Not enough privileges"


@dataclass(frozen=True)
class Viewer:
    """The caller and their live role in one project.

    `owns_in_scope` (known when the chain was loaded for a read, see `Scope`) says whether anything the read
    can show is the caller's own.
    """

    user: Principal | None
    role: Role
    owns_in_scope: bool | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.user_id if self.user is not None else None

    @property
    def sees_all(self) -> bool:
        """Moderators, admins and superusers see everything in the project."""
        return self.role >= Role.moderator

    @property
    def is_admin(self) -> bool:
        return self.role >= Role.admin

    def owns(self, owner_id: int | None) -> bool:
        return self.user is not None and owner_id is not None and owner_id == self.user.user_id


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    default_language: str
    auto_publish: bool
    admin_posting: bool
    published: bool
    starts: datetime | None
    ends: datetime | None
    image_id: int | None
    deleted_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        """The date window: from `starts` (inclusive) until `ends` (exclusive), in UTC."""
        return (self.starts is None or self.starts <= now) and (self.ends is None or self.ends > now)

    def public(self, now: datetime | None = None) -> bool:
        return self.published and self.deleted_at is None and self.active(now or utcnow())


@dataclass(frozen=True)
class SiteRow:
    id: int
    name: str
    project_id: int
    state: str
    creator_id: int | None
    image_id: int | None


@dataclass(frozen=True)
class MemoryRow:
    id: int
    site_id: int
    user_id: int | None
    state: str
    image_id: int | None


@dataclass(frozen=True)
class CommentRow:
    id: int
    memory_id: int
    user_id: int | None
    state: str


Item = SiteRow | MemoryRow | CommentRow


def owner_of(item: Item) -> int | None:
    return item.creator_id if isinstance(item, SiteRow) else item.user_id


def _label(item: ProjectRow | Item) -> str:
    return {ProjectRow: "Project", SiteRow: "Site", MemoryRow: "Memory", CommentRow: "Comment"}[type(item)]


def not_found(item: ProjectRow | Item | str) -> ApiError:
    label = item if isinstance(item, str) else _label(item)
    return ApiError(404, f"{label} not found")


@dataclass(frozen=True)
class Chain:
    """A resolved URL chain plus the caller's role in its project. Deeper links are None when absent."""

    viewer: Viewer
    project: ProjectRow
    site: SiteRow | None = None
    memory: MemoryRow | None = None
    comment: CommentRow | None = None

    @property
    def links(self) -> list[ProjectRow | Item]:
        return [link for link in (self.project, self.site, self.memory, self.comment) if link is not None]

    @property
    def target(self) -> ProjectRow | Item:
        return self.links[-1]

    def owns_target(self) -> bool:
        target = self.target
        return not isinstance(target, ProjectRow) and self.viewer.owns(owner_of(target))

    @property
    def public(self) -> bool:
        """Everyone, anonymous callers included, may read every link of the chain."""
        return self.project.public() and all(is_published(link.state) for link in self.links[1:])

    @property
    def shares_view(self) -> bool:
        """A signed-in person without a role in the project who owns nothing the read can show sees, of a public
        chain, exactly what every other such person sees (published content, `own: false` everywhere): that
        view can be cached and shared. Needs the chain loaded with `reading`."""
        viewer = self.viewer
        return (viewer.user is not None and viewer.role == Role.user and viewer.owns_in_scope is False
                and self.public)

    # -- the rules -------------------------------------------------------------------------------

    def _readable(self, link: ProjectRow | Item, *, ownership_counts: bool = True) -> bool:
        if self.viewer.sees_all:
            return True
        if isinstance(link, ProjectRow):
            return link.public()
        return is_published(link.state) or (ownership_counts and self.viewer.owns(owner_of(link)))

    def read_error(self) -> ApiError | None:
        """The 404 a caller who may not see the target gets, or None when they may."""
        if self.viewer.sees_all or self.owns_target():
            return None
        for link in self.links:
            if not self._readable(link):
                return not_found(link)
        return None

    def require_readable(self) -> Chain:
        """GET of the target (docs/contract.md, "Visibility")."""
        error = self.read_error()
        if error is not None:
            raise error
        return self

    def require_listable(self) -> Chain:
        """GET of a collection under the target: the whole chain must be visible to the caller."""
        if self.viewer.sees_all:
            return self
        for link in self.links:
            if not self._readable(link):
                raise not_found(link)
        return self

    def require_open_for_contributions(self) -> Chain:
        """POST of a child under the target: every link published (or the caller is project staff)."""
        for link in self.links:
            if not self._readable(link, ownership_counts=False):
                raise not_found(link)
        return self

    def require(self, *, owner: bool = True, min_role: Role | None = None) -> Chain:
        """A change of the target by its owner (if `owner`) or by anyone with `min_role` in the project.

        Callers who may not even see the target get 404, the others 403.
        """
        if owner and self.owns_target():
            return self
        if min_role is not None and self.viewer.role >= min_role:
            return self
        error = self.read_error()
        if error is not None:
            raise error
        raise ApiError(403, NOT_ENOUGH_PRIVILEGES)

    def require_site_posting(self) -> Chain:
        """`admin_posting` projects take site contributions from admins (and superusers) only
        (docs/contract.md, "Visibility")."""
        if self.project.admin_posting and not self.viewer.is_admin:
            raise ApiError(403, "Admin posting only")
        return self


class Visibility(enum.Enum):
    """Which rows of a list a viewer sees: every one (project staff), the published ones (anonymous), or the
    published ones and their own (other signed-in people)."""

    everything = "everything"
    published = "published"
    published_or_own = "published_or_own"


def visibility_of(viewer: Viewer) -> Visibility:
    if viewer.sees_all:
        return Visibility.everything
    return Visibility.published if viewer.user_id is None else Visibility.published_or_own


def visible_filter(state_column: Any, owner_column: Any, visibility: Visibility) -> ColumnElement[bool]:
    """SQL for "this viewer may see this row" on a list of sites, memories or comments; the viewer's id is
    the `viewer_id` parameter."""
    if visibility is Visibility.everything:
        return true()
    published = state_column == ReviewState.published.value
    if visibility is Visibility.published:
        return published
    return or_(published, owner_column == bindparam("viewer_id"))


def project_active_filter(now: datetime) -> ColumnElement[bool]:
    return and_(or_(projects.c.starts.is_(None), projects.c.starts <= now),
                or_(projects.c.ends.is_(None), projects.c.ends > now))


def project_public_filter(now: datetime) -> ColumnElement[bool]:
    """SQL twin of `ProjectRow.public`: published, not deleted, inside the date window."""
    return and_(projects.c.published == true(), projects.c.deleted_at.is_(None), project_active_filter(now))


def _project_columns() -> list[Any]:
    c = projects.c
    return [c.id, c.name, c.default_language, c.auto_publish, c.admin_posting, c.published, c.starts, c.ends,
            c.image_id, c.deleted_at]


def _role_columns() -> list[Any]:
    """The caller's standing in the chain's project (all false for `viewer_id` NULL, i.e. anonymous)."""
    viewer = bindparam("viewer_id")
    return [
        exists().where(superusers.c.user_id == viewer).label("is_superuser"),
        exists().where(project_admins.c.project_id == projects.c.id, project_admins.c.user_id == viewer)
        .label("is_admin"),
        exists().where(project_moderators.c.project_id == projects.c.id, project_moderators.c.user_id == viewer)
        .label("is_moderator"),
    ]


class Scope(enum.Enum):
    """What of the caller's own a read can show (as `own` flags, or unpublished items only they see).

    Named by what the URL reads: a project shows nobody's items; its site list shows sites; a site, or its
    memories, show the site, its memories and their comments; a memory, or its comments, show the memory and
    its comments; a comment only itself.
    """

    nothing = "nothing"
    project_sites = "project_sites"
    site = "site"
    memory = "memory"
    comment = "comment"


def _owned_below_column(scope: Scope) -> Any:
    """Whether `viewer_id` wrote anything under the chain's deepest link that the read can show (indexed by
    author). The links themselves are checked from the chain's rows. Aliased tables, so the subqueries do not
    correlate with the chain's own site, memory and comment."""
    viewer = bindparam("viewer_id")
    site, memory, comment = sites.alias("own_s"), memories.alias("own_m"), comments.alias("own_c")
    if scope is Scope.project_sites:
        owned = select(site.c.id).where(site.c.project_id == projects.c.id, site.c.creator_id == viewer).exists()
    elif scope is Scope.site:
        own_memory = select(memory.c.id).where(memory.c.site_id == sites.c.id, memory.c.user_id == viewer)
        own_comment = (select(comment.c.id).join(memory, memory.c.id == comment.c.memory_id)
                       .where(memory.c.site_id == sites.c.id, comment.c.user_id == viewer))
        owned = or_(own_memory.exists(), own_comment.exists())
    elif scope is Scope.memory:
        owned = select(comment.c.id).where(comment.c.memory_id == memories.c.id, comment.c.user_id == viewer).exists()
    else:
        owned = literal(False)
    return owned.label("owned_below")


@cache
def _chain_statement(depth: int, scope: Scope | None) -> Any:
    """Project → site → memory → comment (as deep as `depth`), plus the caller's role (and, for a read, what
    they own in its `scope`), in one statement.

    Built once per shape and executed with parameters, so no request builds or compiles SQL.
    """
    s, m, c = sites.c, memories.c, comments.c
    columns = _project_columns() + _role_columns() + ([_owned_below_column(scope)] if scope is not None else [])
    joined: Any = projects
    if depth >= 1:
        columns += [s.id.label("s_id"), s.name.label("s_name"), s.state.label("s_state"),
                    s.creator_id.label("s_creator"), s.image_id.label("s_image")]
        joined = joined.outerjoin(sites, and_(s.project_id == projects.c.id, s.name_key == bindparam("site_key")))
    if depth >= 2:
        columns += [m.id.label("m_id"), m.user_id.label("m_user"), m.state.label("m_state"),
                    m.image_id.label("m_image")]
        joined = joined.outerjoin(memories, and_(m.site_id == s.id, m.id == bindparam("memory_id")))
    if depth >= 3:
        columns += [c.id.label("c_id"), c.user_id.label("c_user"), c.state.label("c_state")]
        joined = joined.outerjoin(comments, and_(c.memory_id == m.id, c.id == bindparam("comment_id")))
    return select(*columns).select_from(joined).where(projects.c.name_key == bindparam("project_key"))


def _role_of(user: Principal | None, row: Any) -> Role:
    if user is None:
        return Role.anonymous
    if row.is_superuser:
        return Role.superuser
    if row.is_admin:
        return Role.admin
    return Role.moderator if row.is_moderator else Role.user


async def load_chain(conn: AsyncConnection, user: Principal | None, project: str, site: str | None = None,
                     memory: int | None = None, comment: int | None = None, *,
                     reading: Scope | None = None) -> Chain:
    """Fetch project → site → memory → comment named in a URL, and the caller's role in the project.

    404 `"<Type> not found"` for the first link that does not exist (for everyone, staff included).
    `reading` also asks whether a signed-in caller owns anything in that scope (`Chain.shares_view`).
    """
    depth = 3 if comment is not None else 2 if memory is not None else 1 if site is not None else 0
    # An id no row can have is bound as 0, which no row has either, so the statement keeps its shape.
    params = {"project_key": fold(project), "viewer_id": user.user_id if user is not None else None,
              "site_key": fold(site) if site is not None else None,
              "memory_id": memory if memory is not None and in_db_range(memory) else 0,
              "comment_id": comment if comment is not None and in_db_range(comment) else 0}
    scope = reading if user is not None else None
    row = (await conn.execute(_chain_statement(depth, scope), params)).first()
    if row is None:
        raise not_found("Project")
    project_row = ProjectRow(id=row.id, name=row.name, default_language=row.default_language,
                             auto_publish=bool(row.auto_publish), admin_posting=bool(row.admin_posting),
                             published=bool(row.published), starts=row.starts, ends=row.ends,
                             image_id=row.image_id, deleted_at=row.deleted_at)
    site_row = memory_row = comment_row = None
    if site is not None:
        if row.s_id is None:
            raise not_found("Site")
        site_row = SiteRow(id=row.s_id, name=row.s_name, project_id=row.id, state=row.s_state,
                           creator_id=row.s_creator, image_id=row.s_image)
    if memory is not None:
        if row.m_id is None:
            raise not_found("Memory")
        memory_row = MemoryRow(id=row.m_id, site_id=row.s_id, user_id=row.m_user, state=row.m_state,
                               image_id=row.m_image)
    if comment is not None:
        if row.c_id is None:
            raise not_found("Comment")
        comment_row = CommentRow(id=row.c_id, memory_id=row.m_id, user_id=row.c_user, state=row.c_state)
    owns_in_scope = None
    if scope is not None:
        owns_in_scope = bool(row.owned_below) or any(
            user is not None and owner_of(link) == user.user_id for link in (site_row, memory_row, comment_row)
            if link is not None and _shown(link, scope))
    viewer = Viewer(user, _role_of(user, row), owns_in_scope)
    return Chain(viewer, project_row, site_row, memory_row, comment_row)


def _shown(link: Item, scope: Scope) -> bool:
    """Whether a read of this scope shows this link of the chain itself (a memory read shows its memory,
    not its site)."""
    depth = {Scope.nothing: 0, Scope.project_sites: 0, Scope.site: 1, Scope.memory: 2, Scope.comment: 3}[scope]
    return {SiteRow: 1, MemoryRow: 2, CommentRow: 3}[type(link)] >= depth > 0
