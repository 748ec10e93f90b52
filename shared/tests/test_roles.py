"""Project roles are read live from the database."""

from muistot.db.engine import utcnow
from muistot.db.tables import project_admins, project_moderators, projects
from muistot.identity import Principal
from muistot.roles import Role, project_role


async def test_roles_follow_the_database(service_client, make_user):
    app = service_client("admin").app
    admin, moderator, plain, root = (await make_user(), await make_user(), await make_user(),
                                     await make_user(superuser=True))
    async with app.state.db.transaction() as conn:
        now = utcnow()
        project_id = (await conn.execute(projects.insert().values(
            name="roles-test", name_key="roles-test", default_language="fi", created_at=now, modified_at=now)
        )).inserted_primary_key[0]
        await conn.execute(project_admins.insert().values(project_id=project_id, user_id=admin.id))
        await conn.execute(project_moderators.insert().values(project_id=project_id, user_id=moderator.id))

    def principal(user):
        return Principal(user.id, user.username, False, user.session_id)

    async with app.state.db.connect() as conn:
        assert await project_role(conn, None, project_id) == Role.anonymous
        assert await project_role(conn, principal(plain), project_id) == Role.user
        assert await project_role(conn, principal(moderator), project_id) == Role.moderator
        assert await project_role(conn, principal(admin), project_id) == Role.admin
        assert await project_role(conn, principal(root), project_id) == Role.superuser
    async with app.state.db.transaction() as conn:
        await conn.execute(project_admins.delete().where(project_admins.c.user_id == admin.id))
    async with app.state.db.connect() as conn:
        assert await project_role(conn, principal(admin), project_id) == Role.user
