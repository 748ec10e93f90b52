"""Health, readiness and the error envelope of every service."""

import pytest

from muistot.settings import Settings


@pytest.mark.parametrize("service", ["login", "users", "admin", "data"])
async def test_health_ready_and_openapi(service_client, service):
    client = service_client(service)
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    assert (await client.get("/openapi.json")).json()["info"]["title"] == f"Muistot {service}"
    missing = await client.get("/no/such/path")
    assert missing.status_code == 404 and missing.json() == {"error": {"code": 404, "message": "Not Found"}}


async def test_ready_is_503_when_database_and_redis_are_down(test_settings):
    from muistot_data.app import create_app
    from muistot_tooling.testing.plugin import running

    broken = Settings(**{**test_settings.model_dump(), "database_url": "mysql+aiomysql://root@127.0.0.1:1/none",
                         "redis_url": "redis://127.0.0.1:1/0", "session_redis_url": "", "cache_redis_url": ""})
    async with running(create_app(broken)) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("unavailable")
        assert ready.json()["checks"]["redis"].startswith("unavailable")
        languages = await client.get("/languages?q=fi")
        assert languages.status_code == 200


async def test_ready_answers_at_once_while_every_pool_connection_serves_a_request(test_settings):
    # The gateway health-checks /ready with a 2 s timeout: under load (every connection out, requests queued
    # for one) a probe that waited its turn would take the instance out of the pool and answer 503s.
    import asyncio

    from muistot_data.app import create_app
    from muistot_tooling.testing.plugin import running

    one = Settings(**{**test_settings.model_dump(), "db_pool_size": 1, "db_pool_timeout": 5})
    app = create_app(one)
    async with running(app) as client:
        async with app.state.db.connect() as held:
            await held.exec_driver_sql("SELECT 1")
            ready = await asyncio.wait_for(client.get("/ready"), timeout=2)
        assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


async def test_metrics_count_requests_by_route_template(service_client):
    client = service_client("data")
    await client.get("/languages?q=fi")
    await client.get("/languages?q=zz")
    text = (await client.get("/metrics")).text
    assert 'muistot_http_requests_total{method="GET",route="/languages",service="data",status="200"}' in text
    assert 'muistot_http_requests_total{method="GET",route="/languages",service="data",status="404"}' in text
    assert "muistot_http_request_seconds_bucket" in text


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
async def test_the_gateway_error_page_answers_every_method(service_client, method):
    # A failover with no healthy instance hands the client's own request (any method) to this page.
    client = service_client("users")
    page = await client.request(method, "/_internal/error/503", content=b'{"ignored": true}')
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    if method != "HEAD":
        assert page.json() == {"error": {"code": 503, "message": "Service Unavailable"}}
    missing = await client.request(method, "/_internal/error/404")
    assert missing.status_code == 404


async def test_a_passing_readiness_probe_writes_no_access_line(service_client, caplog):
    client = service_client("data")
    with caplog.at_level("INFO", logger="muistot.data.access"):
        assert (await client.get("/ready")).status_code == 200
        assert (await client.get("/languages?q=fi")).status_code == 200
    logged = [record.getMessage() for record in caplog.records if record.name == "muistot.data.access"]
    assert logged == ["GET /languages 200"]
