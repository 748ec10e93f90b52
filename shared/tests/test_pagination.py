"""Keyset pagination against the real database: stable pages, opaque cursors, bad cursors are 422."""

from __future__ import annotations

import secrets

import pytest
from fastapi.exceptions import RequestValidationError
from sqlalchemy import func, select

from muistot.db.engine import Database, create_engine
from muistot.db.tables import users
from muistot.pagination import PageRequest, decode_cursor, encode_cursor, keyset, paged, paged_list
from muistot.text import fold


@pytest.fixture
async def db(test_settings):
    database = Database(create_engine(test_settings))
    yield database
    await database.dispose()


async def _names(db: Database, count: int) -> tuple[str, list[str]]:
    prefix = f"page{secrets.token_hex(3)}"
    # Pairs of names share their first sort key (`<prefix> 00`), so the second key (id) decides ties.
    names = [f"{prefix} {i // 2:02d}{'ab'[i % 2]}" for i in range(count)]
    async with db.transaction() as conn:
        for name in names:
            await conn.execute(users.insert().values(username=name, username_key=fold(name)))
    return prefix, sorted(fold(name) for name in names)


async def _walk(db: Database, prefix: str, limit: int, descending: bool) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None)
        pair = func.substr(users.c.username_key, 1, len(prefix) + 3)
        query = keyset(select(users.c.id, users.c.username_key, pair.label("pair"))
                       .where(users.c.username_key.like(f"{prefix}%")), [pair, users.c.id], page, descending=descending)
        async with db.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        body = paged(rows, page, key=lambda row: (row["pair"], row["id"]), item=lambda row: row["username_key"])
        pages.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("descending", [True, False])
async def test_pages_cover_every_row_once_in_order(db, descending):
    prefix, keys = await _names(db, 11)
    pages = await _walk(db, prefix, 4, descending)
    assert [len(page) for page in pages] == [4, 4, 3]
    assert [key for page in pages for key in page] == (keys[::-1] if descending else keys)


async def test_exact_multiple_has_no_empty_last_page(db):
    prefix, _ = await _names(db, 6)
    pages = await _walk(db, prefix, 3, True)
    assert [len(page) for page in pages] == [3, 3]


def test_cursor_round_trip_and_opaqueness():
    cursor = encode_cursor([12, "Kettu ä"])
    assert decode_cursor(cursor) == (12, "Kettu ä")
    assert "Kettu" not in cursor and "=" not in cursor


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor([]), "eyJhIjoxfQ", encode_cursor([True])])
def test_bad_cursors_are_validation_errors(cursor):
    with pytest.raises(RequestValidationError) as caught:
        decode_cursor(cursor)
    assert caught.value.errors()[0]["loc"] == ("query", "cursor")


def test_cursor_of_another_shape_is_refused_by_the_query():
    with pytest.raises(RequestValidationError):
        keyset(select(users.c.id), [users.c.id], PageRequest(limit=5, after=("not an id",)))
    with pytest.raises(RequestValidationError):
        keyset(select(users.c.id), [users.c.id], PageRequest(limit=5, after=(1, 2)))


def test_in_memory_lists_page_the_same_way():
    values = [(3, "c"), (1, "a"), (2, "b")]
    first = paged_list(values, PageRequest(limit=2, after=None), key=lambda v: v, item=lambda v: v[1])
    assert first["items"] == ["a", "b"]
    second = paged_list(values, PageRequest(limit=2, after=decode_cursor(first["next"])), key=lambda v: v,
                        item=lambda v: v[1])
    assert second == {"items": ["c"], "next": None}
    with pytest.raises(RequestValidationError):
        paged_list(values, PageRequest(limit=2, after=("x",)), key=lambda v: v, item=lambda v: v)
