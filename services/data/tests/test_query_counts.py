"""Every list endpoint runs the same number of SQL statements for 1 item as for 100."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert

from muistot.content import generations
from muistot.db.tables import comments, memories, site_information, sites
from muistot.text import fold


@contextmanager
def counting(engine):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def fill(db, project_id: int, how_many: int, author_id: int) -> tuple[str, int]:
    """`how_many` sites; the first has `how_many` memories, and its first memory as many comments."""
    async with db.transaction() as conn:
        first_site = first_memory = 0
        for index in range(how_many):
            name = f"count-{project_id}-{index}"
            site_id = (await conn.execute(insert(sites).values(
                project_id=project_id, name=name, name_key=fold(name), state="published", lat=60 + index / 100,
                lon=25, creator_id=author_id))).inserted_primary_key[0]
            await conn.execute(insert(site_information).values(site_id=site_id, lang="fi", name=name))
            first_site = first_site or site_id
        for _ in range(how_many):
            memory_id = (await conn.execute(insert(memories).values(
                site_id=first_site, user_id=author_id, title="m", state="published"))).inserted_primary_key[0]
            first_memory = first_memory or memory_id
        await conn.execute(insert(comments), [{"memory_id": first_memory, "user_id": author_id, "comment": "c",
                                               "state": "published"} for _ in range(how_many)])
    return f"count-{project_id}-0", first_memory


@pytest.mark.parametrize("who", ["anonymous", "admin"])
async def test_list_statement_counts_do_not_grow(data, content, db, make_user, who):
    admin = await make_user()
    measured = []
    for size in (1, 100):
        project, project_id = await content.project(admins=(admin,))
        site, memory = await fill(db, project_id, size, admin.id)
        headers = admin.headers if who == "admin" else {}
        paths = ["/projects", f"/projects/{project}/sites", f"/projects/{project}/sites.geojson",
                 f"/projects/{project}/sites?n=5&lat=60&lon=25", f"/projects/{project}/sites/{site}?include_memories=1",
                 f"/projects/{project}/sites/{site}/memories?include_comments=true",
                 f"/projects/{project}/sites/{site}/memories/{memory}/comments"]
        counts = []
        for path in paths:
            # Measure the uncached path: the content was written behind the service's back.
            await generations.bump(data.app.state.redis, project)
            with counting(db.read_engine) as statements:
                response = await data.get(path, headers=headers)
            assert response.status_code == 200, path
            assert len(response.json()) > 0
            counts.append(len(statements))
        measured.append(counts)
    assert measured[0] == measured[1]
