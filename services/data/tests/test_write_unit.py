"""The write path's unit (docs/write-path.md): what a rolled-back unit leaves behind, and what a committed one does.

Run against the data app's own backends (real MariaDB, Redis and file storage).
"""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from muistot.db.tables import images, memories
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.mail import MailMessage
from muistot.mail.outbox import OUTBOX
from muistot.storage import storage_of
from muistot.write import Write


def jpeg() -> str:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 200)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def person(user) -> Principal:
    return Principal(user_id=user.id, username=user.username, superuser=False, session_id=user.session_id)


def write_path(state) -> Write:
    return Write(state.db, state.redis, state.settings, state.sessions, lambda: storage_of(state))


async def outbox_length(state) -> int:
    return int(await state.redis.cache.llen(state.redis.key(OUTBOX)))


async def image_rows(state, name: str) -> int:
    async with state.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(images).where(images.c.file_name == name)))


async def test_a_rolled_back_unit_mails_nothing_runs_no_effect_and_keeps_no_upload(data, world, content):
    state = data.app.state
    _, site_id = await content.site(world.project_id, creator=world.admin)
    memory = await content.memory(site_id, author=world.owner, title="Ennen")
    mails_before = await outbox_length(state)
    effects: list[str] = []
    stored: list[str] = []

    async def ran() -> None:
        effects.append("ran")

    with pytest.raises(ApiError):
        async with write_path(state).unit(person(world.owner)) as unit:
            image_id = await unit.upload(jpeg())
            stored.append(await unit.conn.scalar(select(images.c.file_name).where(images.c.id == image_id)))
            await unit.conn.execute(memories.update().where(memories.c.id == memory).values(title="Jälkeen"))
            unit.mail(MailMessage(to="someone@example.fi", subject="s", text="t", html="<p>t</p>"))
            unit.after_commit(ran)
            raise ApiError(409, "Refused after the fact")
    assert await outbox_length(state) == mails_before
    assert effects == []
    assert await storage_of(state).exists(stored[0]) is False
    assert await image_rows(state, stored[0]) == 0
    async with state.db.connect() as conn:
        assert await conn.scalar(select(memories.c.title).where(memories.c.id == memory)) == "Ennen"


async def test_a_committed_unit_queues_its_mail_and_runs_its_effects_after_the_commit(data, world, content):
    state = data.app.state
    mails_before = await outbox_length(state)
    seen_at_effect: list[int] = []

    async def count_rows() -> None:
        # An effect runs after the commit: another connection already sees the unit's row.
        seen_at_effect.append(await image_rows(state, stored))

    async with write_path(state).unit(person(world.owner)) as unit:
        image_id = await unit.upload(jpeg())
        stored = await unit.conn.scalar(select(images.c.file_name).where(images.c.id == image_id))
        unit.mail(MailMessage(to="someone@example.fi", subject="s", text="t", html="<p>t</p>"))
        unit.after_commit(count_rows)
        assert await outbox_length(state) == mails_before  # nothing is queued before the commit
    assert await outbox_length(state) == mails_before + 1
    assert seen_at_effect == [1]
    assert await storage_of(state).exists(stored) is True
