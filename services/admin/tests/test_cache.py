"""Admin writes are seen at once by the data service's cached anonymous reads (generation counters)."""


async def test_unpublished_site_leaves_the_cached_anonymous_list_at_once(admin_client, service_client, world):
    data = service_client("data")
    sites_url = f"{world.project_path}/sites"
    for _ in range(2):  # the second read is served from the cache
        listed = (await data.get(sites_url)).json()["items"]
        assert world.site in [site["id"] for site in listed]
    response = await admin_client.post(f"{world.site_path}/publish?publish=false", headers=world.moderator.headers)
    assert response.status_code == 204
    listed = (await data.get(sites_url)).json()["items"]
    assert world.site not in [site["id"] for site in listed]


async def test_generic_unpublish_and_auto_hide_reach_cached_memory_lists(admin_client, app_state, service_client,
                                                                        content, make_user, world):
    data = service_client("data")
    memories_url = f"{world.site_path}/memories"
    second = await content.insert_memory(world.site_id, author=world.author.id)
    listed = [memory["id"] for memory in (await data.get(memories_url)).json()["items"]]
    assert listed == [world.memory, second]

    await admin_client.post("/admin/publish", json=world.order("memory", publish=False), headers=world.admin.headers)
    listed = [memory["id"] for memory in (await data.get(memories_url)).json()["items"]]
    assert listed == [second]

    for _ in range(app_state.settings.report_hide_threshold + 1):
        reporter = await make_user()
        await admin_client.put(f"{memories_url}/{second}/report", headers=reporter.headers)
    assert (await data.get(memories_url)).json()["items"] == []


async def test_deleted_project_disappears_from_the_cached_project_list(admin_client, service_client, world):
    data = service_client("data")
    assert world.project in [project["id"] for project in (await data.get("/projects")).json()["items"]]
    assert (await admin_client.delete(world.project_path, headers=world.admin.headers)).status_code == 204
    assert world.project not in [project["id"] for project in (await data.get("/projects")).json()["items"]]
    assert (await data.get(world.project_path)).status_code == 404
