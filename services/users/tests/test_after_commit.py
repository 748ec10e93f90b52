"""Mail and session changes follow the commit: a `/me` change whose transaction fails after its mail was
prepared mails nobody and leaves the caller's token as it was.

The failure is a real one: another connection holds `LOCK TABLES superusers WRITE` (a long migration, a
stuck transaction), so the unit's last read waits past MUISTOT_DB_LOCK_TIMEOUT and the unit rolls back.
"""

from __future__ import annotations

from sqlalchemy import func, select

from muistot.db.tables import login_verifiers
from muistot_tooling.testing.locks import locked_table, wait_for_writers_to_finish
from muistot_tooling.testing.plugin import running


async def pending_secrets(users, user_id: int) -> int:
    async with users.app.state.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(login_verifiers)
                                     .where(login_verifiers.c.user_id == user_id)))


async def test_an_email_change_rolled_back_mails_nobody_and_keeps_the_token(test_settings, service_app_with, users,
                                                                             make_user, mailbox, is_live):
    user = await make_user()
    new_address = f"moved-{user.username.lower()}@example.com"
    app = service_app_with("users")(db_lock_timeout=1, request_timeout=30)
    async with running(app) as client:
        async with locked_table(test_settings, "superusers"):
            response = await client.post("/me/email", params={"email": new_address}, headers=user.headers,
                                         timeout=60)
            assert response.status_code == 503
            assert response.json() == {"error": {"code": 503, "message": "Database busy"}}
            assert "authorization" not in response.headers
        await wait_for_writers_to_finish(test_settings, "superusers")
        assert await mailbox(new_address) == []
        assert await mailbox(user.email) == []  # no notice of a change that was never requested either
        assert await pending_secrets(users, user.id) == 0
        assert await is_live(user.token)

        again = await client.post("/me/email", params={"email": new_address}, headers=user.headers)
        assert again.status_code == 200
        assert len(await mailbox(new_address)) == 1 and len(await mailbox(user.email)) == 1
        assert not await is_live(user.token)  # replaced by the token of the answer, now that it committed
