"""The lists of `/me` answer what the models in their OpenAPI document describe, field for field."""

from __future__ import annotations

from muistot.db.tables import audit_log, images, project_moderators, reports, superusers, user_identities
from muistot_tooling.testing.schemas import assert_described_by
from muistot_users.models import Export, MyComments, MyMemories, MyProjects, MySites, Sessions


async def test_every_list_is_described_by_its_model(users, make_user, add_content, extra_session):
    author = await make_user()
    made = await add_content(author, memories_count=2, comments_per_memory=1, published=False)
    await add_content(author, memories_count=1)
    async with users.app.state.db.transaction() as conn:
        await conn.execute(project_moderators.insert().values(project_id=made["project_id"], user_id=author.id))
    await extra_session(author)
    for path, model, count in (("/me/projects", MyProjects, 1), ("/me/sites", MySites, 2),
                               ("/me/memories", MyMemories, 3), ("/me/comments", MyComments, 3),
                               ("/me/sessions", Sessions, 2)):
        answer = await users.get(path, headers=author.headers)
        assert answer.status_code == 200, path
        assert len(answer.json()["items"]) == count, path
        assert_described_by(model, answer.json())
    paged = (await users.get("/me/memories?limit=1", headers=author.headers)).json()
    assert paged["next"] is not None
    assert_described_by(MyMemories, paged)


async def test_the_export_is_described_by_its_model(users, make_user, add_content):
    user = await make_user()
    await users.patch("/me", headers=user.headers, json={"first_name": "Aino", "country": "FI",
                                                         "birth_date": "1944-05-01"})
    made = await add_content(user, memories_count=1, comments_per_memory=1)
    async with users.app.state.db.transaction() as conn:
        await conn.execute(images.insert().values(file_name=f"export-{user.id}.jpeg", content_type="image/jpeg",
                                                  size=10, width=1, height=1, uploader_id=user.id))
        await conn.execute(reports.insert().values(target_type="memory", memory_id=made["memories"][0],
                                                   user_id=user.id, reason="Väärä paikka"))
        await conn.execute(superusers.insert().values(user_id=user.id))
        await conn.execute(audit_log.insert().values(actor_id=user.id, actor_name=user.username, action="publish",
                                                     target_type="memory", target_id=str(made["memories"][0]),
                                                     project_id=made["project_id"]))
        await conn.execute(user_identities.insert().values(user_id=user.id, provider="keycloak",
                                                           issuer="https://id.example", subject="s-1",
                                                           identity_key=f"k-{user.id}", email=user.email))
    # A pending e-mail change; the answer's token replaces every earlier session.
    changed = await users.post("/me/email", params={"email": f"new-{user.username.lower()}@example.com"},
                               headers=user.headers)
    answer = await users.get("/me/export", headers={"Authorization": changed.headers["authorization"]})
    assert answer.status_code == 200
    document = answer.json()
    assert all(document[name] for name in ("sessions", "sites", "memories", "comments", "reports", "images",
                                           "pending_requests", "sign_in_providers", "moderation_actions"))
    assert document["profile"]["personal_data"]["birth_date"] == "1944-05-01"
    assert_described_by(Export, document)
