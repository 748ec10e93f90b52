"""Writes racing each other: a deadlocked transaction is run again, never a 500."""

from __future__ import annotations

import asyncio
from collections import Counter

import pymysql
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from muistot.db.retry import retry_deadlocks
from muistot.db.tables import site_information, sites
from muistot.errors import ApiError


async def test_racing_creates_of_one_site_give_one_201_and_409s(data, world, make_user, db):
    """InnoDB deadlocks such inserts of one unique key; each loser is retried and sees the winner."""
    people = [await make_user() for _ in range(6)]
    path = f"/projects/{world.project}/sites"

    async def create(person, site_id: str) -> int:
        body = {"id": site_id, "info": {"lang": "en", "name": site_id}, "location": {"lat": 60, "lon": 25}}
        return (await data.post(path, json=body, headers=person.headers)).status_code

    ids = ["race-one", "race-two", "race-three"]
    statuses = await asyncio.gather(*(create(person, site_id) for site_id in ids for person in people))
    assert Counter(statuses) == {201: len(ids), 409: len(ids) * (len(people) - 1)}
    async with db.connect() as conn:
        site_ids = list(await conn.scalars(select(sites.c.id).where(sites.c.project_id == world.project_id,
                                                                    sites.c.name.in_(ids))))
        rows = await conn.scalar(select(func.count()).select_from(site_information)
                                 .where(site_information.c.site_id.in_(site_ids)))
    assert len(site_ids) == len(ids) and rows == 2 * len(ids)  # en + the project's default fi, once each


def deadlock() -> OperationalError:
    return OperationalError("INSERT", {}, pymysql.err.OperationalError(1213, "Deadlock found"))


async def test_retry_runs_the_endpoint_again_and_gives_up_with_503():
    calls: list[int] = []

    @retry_deadlocks
    async def flaky(value: int) -> int:
        calls.append(value)
        if len(calls) < 3:
            raise deadlock()
        return value * 2

    assert await flaky(21) == 42 and calls == [21, 21, 21]

    @retry_deadlocks
    async def always() -> None:
        raise deadlock()

    with pytest.raises(ApiError) as refused:
        await always()
    assert (refused.value.status, refused.value.message, refused.value.headers) == (
        503, "Database busy", {"Retry-After": "1"})

    @retry_deadlocks
    async def other_error() -> None:
        calls.append(0)
        raise OperationalError("INSERT", {}, pymysql.err.OperationalError(1054, "Unknown column"))

    calls.clear()
    with pytest.raises(OperationalError):
        await other_error()
    assert calls == [0]  # not retried
