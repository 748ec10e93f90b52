"""`own` and `waiting_approval` in responses (docs/contract.md, "`own` and `waiting_approval`")."""

from __future__ import annotations

from muistot.content.access import Viewer
from muistot.content.states import waiting_approval


def site_flags(viewer: Viewer, creator_id: int | None, state: str) -> tuple[bool | None, bool | None]:
    """Sites: `own` only when true; `waiting_approval` only when unpublished."""
    return (True if viewer.owns(creator_id) else None), (True if waiting_approval(state) else None)


def entry_flags(viewer: Viewer, author_id: int | None, state: str) -> tuple[bool | None, bool | None]:
    """Memories and comments: nothing for anonymous callers, `own` on every item for signed-in ones;
    `waiting_approval` on staff's unpublished items and on every own item."""
    if viewer.user is None:
        return None, None
    own = viewer.owns(author_id)
    unpublished = waiting_approval(state)
    if viewer.sees_all:
        return own, (True if unpublished else None)
    return own, (unpublished if own else None)
