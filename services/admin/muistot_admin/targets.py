"""What an admin request is about: the shared chain (`muistot.content.access`) seen from the admin side.

The per-resource endpoints answer a missing link with `"<Type> not found"`; the order endpoints
(`/admin/publish`, `/report`) answer `"Not Found"` with the type as detail (§5.1).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content.access import Chain, CommentRow, Item, MemoryRow, ProjectRow, SiteRow, load_chain
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.roles import Role, require_admin_scope

KIND_OF: dict[type, str] = {ProjectRow: "project", SiteRow: "site", MemoryRow: "memory", CommentRow: "comment"}


def kind_of(link: ProjectRow | Item) -> str:
    return KIND_OF[type(link)]


def identifier_of(link: ProjectRow | Item) -> str | int:
    """The public id: project and site names as stored, memory and comment numbers."""
    return link.name if isinstance(link, ProjectRow | SiteRow) else link.id


def public_ids(chain: Chain) -> dict[str, str | int]:
    return {kind_of(link): identifier_of(link) for link in chain.links}


def url_parts(chain: Chain) -> list[str | int]:
    """Path parts of the chain's target, for its `Location`."""
    parts: list[str | int] = []
    for link, collection in zip(chain.links, ("projects", "sites", "memories", "comments"), strict=False):
        parts += [collection, identifier_of(link)]
    return parts


def order_not_found(kind: str) -> ApiError:
    return ApiError(404, "Not Found", [kind])


async def load_order_chain(conn: AsyncConnection, user: Principal | None, names: dict[str, str | int]) -> Chain:
    """`load_chain` with the order endpoints' 404 shape."""
    try:
        return await load_chain(conn, user, str(names["project"]), names.get("site"),  # type: ignore[arg-type]
                                names.get("memory"), names.get("comment"))  # type: ignore[arg-type]
    except ApiError as error:
        raise as_order_error(error) from None


def as_order_error(error: ApiError) -> ApiError:
    """A per-resource "<Type> not found" turned into the order endpoints' shape."""
    if error.status == 404 and error.message.endswith(" not found"):
        return order_not_found(error.message.removesuffix(" not found").lower())
    return error


async def load_managed_chain(conn: AsyncConnection, user: Principal, min_role: Role, project: str,
                             site: str | None = None, memory: int | None = None,
                             comment: int | None = None) -> Chain:
    """The chain an admin-scope endpoint changes, in the contract's order of checks (api-data.md §1.3):
    403 for callers who manage nothing anywhere, then 404 for what is missing or hidden from the
    caller, then 403 without `min_role` in this project.
    """
    await require_admin_scope(conn, user)
    chain = await load_chain(conn, user, project, site, memory, comment)
    return chain.require(owner=False, min_role=min_role)
