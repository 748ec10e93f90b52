"""Review state ↔ the API's `published` flag (docs/contract.md, "Review states").

The schema stores `pending | published | rejected | hidden`; the contract only knows `published`.
`waiting_approval` is shown for every state other than `published`: pending items wait for a first
decision, rejected and hidden ones can still be published by a moderator, and in all three cases the
item is invisible to the public, which is what the flag tells its author.
"""

from __future__ import annotations

from muistot.db.tables import ReviewState


def is_published(state: str) -> bool:
    return state == ReviewState.published


def waiting_approval(state: str) -> bool:
    return state != ReviewState.published


def initial_state(auto_publish: bool) -> ReviewState:
    """The state of a new site, memory or comment: published at once only in auto-publish projects."""
    return ReviewState.published if auto_publish else ReviewState.pending


def state_for_publish(current: str, publish: bool) -> str:
    """The state a publish toggle sets: `publish=false` sends a published item back to the queue
    (`pending`); an item that is already unpublished keeps its state (the endpoint answers 304)."""
    if publish:
        return ReviewState.published.value
    return ReviewState.pending.value if current == ReviewState.published else current


def state_after_edit(current: str, auto_publish: bool) -> ReviewState:
    """An edited comment needs approval again unless the project publishes automatically (docs/contract.md,
    "Review states")."""
    if auto_publish:
        return ReviewState(current)
    return ReviewState.pending
