"""What an admin request is about: the shared chain (`muistot.content.access`) seen from the admin side.

The per-resource endpoints answer a missing link with `"<Type> not found"`; the order endpoints
(`/admin/publish`, `/report`) answer `"Not Found"` with the type as detail (docs/contract.md, "Moderation orders").
"""

from __future__ import annotations

from collections.abc import Mapping

from muistot.content.access import Chain, CommentRow, Item, MemoryRow, ProjectRow, SiteRow
from muistot.errors import ApiError
from muistot.roles import Role, require_admin_scope
from muistot.write import Unit

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


async def load_named_chain(unit: Unit, names: Mapping[str, str | int]) -> Chain:
    """The chain of an item named by kind (`{"project": "p", "site": "s", "memory": 3}`), through the unit."""
    return await unit.chain(str(names["project"]), names.get("site"),  # type: ignore[arg-type]
                            names.get("memory"), names.get("comment"))  # type: ignore[arg-type]


async def load_order_chain(unit: Unit, names: Mapping[str, str | int]) -> Chain:
    """`load_named_chain` with the order endpoints' 404 shape."""
    try:
        return await load_named_chain(unit, names)
    except ApiError as error:
        raise as_order_error(error) from None


def as_order_error(error: ApiError) -> ApiError:
    """A per-resource "<Type> not found" turned into the order endpoints' shape."""
    if error.status == 404 and error.message.endswith(" not found"):
        return order_not_found(error.message.removesuffix(" not found").lower())
    return error


async def load_managed_chain(unit: Unit, min_role: Role, project: str, site: str | None = None,
                             memory: int | None = None, comment: int | None = None) -> Chain:
    """The chain an admin-scope endpoint changes, in the contract's order of checks (docs/contract.md,
    "Order of checks"): 403 for callers who manage nothing anywhere, then 404 for what is missing or hidden from the
    caller, then 403 without `min_role` in this project.
    """
    await require_admin_scope(unit.conn, unit.actor)
    chain = await unit.chain(project, site, memory, comment)
    return chain.require(owner=False, min_role=min_role)
