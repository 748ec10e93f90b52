"""A body over the cap, sent through the gateway, is answered with the service's JSON 413 every time: the
service reads and drops the rest of the body before it answers, so the gateway (still sending) is never
reset and never turns the refusal into a 502 (the JSON 503)."""

from __future__ import annotations

import httpx

from tests.system.flows import assert_error, create_project, create_site


def test_a_50_mb_body_through_the_gateway_is_a_json_413_each_time(system_stack, gateway_user,
                                                                  make_gateway_user) -> None:
    admin = make_gateway_user(superuser=True)
    with httpx.Client(base_url=system_stack.url, timeout=60) as client:
        project = create_project(client, admin, auto_publish=True)
        site = create_site(client, admin, project)
        body = b'{"title": "iso", "story": "' + b"x" * (50 * 1024 * 1024) + b'"}'
        for _ in range(8):
            answer = client.post(f"/projects/{project}/sites/{site}/memories", content=body,
                                 headers={**gateway_user.headers, "Content-Type": "application/json"})
            assert_error(answer, 413, "Request body too large")
        # The connection after each refusal is a new one, and the service still answers.
        assert client.get(f"/projects/{project}/sites/{site}").status_code == 200
