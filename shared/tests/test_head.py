"""HEAD is answered wherever GET is: the same status and headers, no body."""

import pytest


@pytest.mark.parametrize(("service", "path"), [
    ("data", "/languages?q=fi"),
    ("data", "/projects"),
    ("data", "/no/such/path"),
    ("users", "/me"),
])
async def test_head_answers_as_get_without_the_body(service_client, make_user, service, path):
    client = service_client(service)
    headers = (await make_user()).headers if path == "/me" else {}
    got = await client.get(path, headers=headers)
    head = await client.head(path, headers=headers)
    assert head.status_code == got.status_code
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) == len(got.content) > 0


async def test_head_of_a_path_without_get_is_still_405(service_client):
    head = await service_client("login").head("/auth/email")
    assert head.status_code == 405 and head.content == b""


async def test_head_is_counted_as_head_on_its_route(service_client):
    client = service_client("data")
    assert (await client.head("/languages?q=fi")).status_code == 200
    text = (await client.get("/metrics")).text
    assert 'muistot_http_requests_total{method="HEAD",route="/languages",service="data",status="200"}' in text
