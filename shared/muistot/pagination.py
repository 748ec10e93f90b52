"""Keyset pagination for list endpoints: `?limit=` (default 50, max 200) and an opaque `?cursor=`.

Every paged list answers `{"items": [...], "next": "<cursor>" | null}`. The cursor is the sort key
of the last item shown, base64url-encoded JSON: it is opaque to clients but carries no secret (a
tampered cursor only moves the start of the page; every query still applies its own permission
filters). Keyset paging keeps pages stable while rows are inserted and uses the sort index.

Usage in a route:

    async def list_things(page: PageParams) -> dict:
        query = keyset(select(things), [things.c.id], page)
        rows = (await conn.execute(query)).mappings().all()
        return paged(rows, page, key=lambda row: (row["id"],), item=lambda row: {...})
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, or_

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

CursorValue = int | str
Item = TypeVar("Item")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: tuple[CursorValue, ...] | None


def encode_cursor(values: Sequence[CursorValue]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid_cursor() -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", "cursor"), "msg": "Invalid cursor", "type": "value_error"}])


def decode_cursor(cursor: str) -> tuple[CursorValue, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid_cursor() from None
    if (not isinstance(values, list) or not values
            or not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in values)):
        raise _invalid_cursor()
    return tuple(values)


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="The `next` of the previous page")] = None,
) -> PageRequest:
    return PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageParams = Annotated[PageRequest, Depends(page_request)]


def _fits(key: ColumnElement[Any], value: CursorValue) -> bool:
    try:
        expected = key.type.python_type
    except NotImplementedError:
        return True
    return isinstance(value, expected)


def keyset(query: Select, keys: Sequence[ColumnElement[Any]], page: PageRequest, *,
           descending: bool = True) -> Select:
    """Order `query` by `keys` (which must be unique together), start after the cursor, fetch one extra row.

    The row comparison is spelled out (`a < x OR (a = x AND b < y)`) rather than as a tuple
    comparison, so MariaDB and SQLite both use the index.
    """
    if page.after is not None:
        if len(page.after) != len(keys) or not all(map(_fits, keys, page.after)):
            raise _invalid_cursor()
        clauses = []
        for i, key in enumerate(keys):
            beyond = key < page.after[i] if descending else key > page.after[i]
            clauses.append(and_(*(keys[j] == page.after[j] for j in range(i)), beyond))
        query = query.where(or_(*clauses))
    order = [key.desc() if descending else key.asc() for key in keys]
    return query.order_by(*order).limit(page.limit + 1)


def paged(rows: Sequence[Any], page: PageRequest, *, key: Callable[[Any], Sequence[CursorValue]],
          item: Callable[[Any], Any]) -> dict[str, Any]:
    """The `{"items", "next"}` answer from rows fetched with `keyset` (which fetched limit + 1)."""
    shown = rows[:page.limit]
    more = len(rows) > page.limit
    return {"items": [item(row) for row in shown], "next": encode_cursor(key(shown[-1])) if more and shown else None}


def paged_list(values: Sequence[Any], page: PageRequest, *, key: Callable[[Any], Sequence[CursorValue]],
               item: Callable[[Any], Any]) -> dict[str, Any]:
    """The same answer for a small list already in memory, ordered ascending by `key`."""
    keyed = sorted(((tuple(key(value)), value) for value in values), key=lambda pair: pair[0])
    if page.after is not None:
        if keyed and not _same_shape(keyed[0][0], page.after):
            raise _invalid_cursor()
        keyed = [pair for pair in keyed if pair[0] > page.after]
    return paged([value for _, value in keyed[:page.limit + 1]], page, key=key, item=item)


def _same_shape(sample: tuple[CursorValue, ...], cursor: tuple[CursorValue, ...]) -> bool:
    return len(sample) == len(cursor) and all(type(a) is type(b) for a, b in zip(sample, cursor, strict=True))


class Page(BaseModel, Generic[Item]):
    """The schema of a paged answer; a list endpoint names a subclass (`MySites(Page[MySite])`), so that client
    generators get one readable type per list."""

    items: list[Item]
    next: str | None = Field(description="The `cursor` of the next page; null on the last page")
