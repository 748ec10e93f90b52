"""`muistot-dev run` (what `make run` starts) with two data and two login instances, on MariaDB + Redis, through
the real Traefik: sessions and the response cache are shared across instances; a `kill -9` of a data
instance under a read load and a write loop costs no acknowledged write and no read (the gateway sends
again what the dead instance refused or died on); a killed single-instance service is a JSON 503 until it
comes back by itself; a killed worker comes back and delivers what was queued meanwhile; so does a killed
gateway. Nothing is restarted by hand."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from muistot.settings import Settings
from muistot_tooling.runner import PortInUse, Stack, ensure_ports_free, stack_ports
from muistot_tooling.testing.servers import drop_redis_prefix
from tests.system.conftest import GatewayUser, create_user, run_async, stack_settings
from tests.system.flows import (
    Mailbox,
    assert_error,
    bearer,
    client_address,
    create_project,
    create_site,
    describe,
    fragment_params,
    new_email,
    plain_text,
    request_login_link,
)
from tests.system.run_process import RunProcess, alive

SCALE = "data=2,login=2"
READERS = 6  # concurrent reader threads, half anonymous, half signed in


@dataclass
class ScaledRun:
    run: RunProcess
    settings: Settings
    stack: Stack  # not started: the addresses and the gateway's view of its pools

    @property
    def url(self) -> str:
        return self.stack.url

    def data_urls(self) -> list[str]:
        return self.stack.instance_urls("data")


def scaled_settings(base: Settings, directory: Path) -> Settings:
    """Free ports for every instance, and a var dir, mailbox and Redis prefix of this run's own (no other
    stack's worker may deliver its mail)."""
    for _ in range(50):
        candidate = stack_settings(base, scale=SCALE, var_dir=directory / "var",
                                   redis_prefix=f"r{secrets.token_hex(4)}:", mail_url=f"file://{directory}/mail",
                                   files_url=f"file://{directory}/files")
        try:
            ensure_ports_free(stack_ports(candidate))
        except PortInUse:
            continue
        return candidate
    raise AssertionError("no free ports for the scaled stack")


@pytest.fixture(scope="module")
def scaled(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledRun]:
    directory = tmp_path_factory.mktemp("scaled-run")
    settings = scaled_settings(test_settings, directory)
    run = RunProcess.with_settings(settings, directory)
    try:
        stack = Stack(settings)
        run.wait_started(stack.url)
        yield ScaledRun(run=run, settings=settings, stack=stack)
        assert run.interrupt() == 0, run.text[-3000:]
    finally:
        run.kill()
        asyncio.run(drop_redis_prefix(settings))


@pytest.fixture
def gateway(scaled: ScaledRun) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=scaled.url, timeout=30) as client:
        yield client


def user(scaled: ScaledRun, *, superuser: bool = False) -> GatewayUser:
    return run_async(create_user(scaled.settings, superuser=superuser))


def counter(url: str, name: str, **labels: str) -> float:
    """The sum of one Prometheus counter of a service instance (its own /metrics, never routed)."""
    total = 0.0
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def gateway_reads_served(url: str) -> float:
    """Requests an instance answered other than the gateway's health checks and this test's metric reads."""
    total = 0.0
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith("muistot_http_requests_total{") and 'route="/ready"' not in line \
                and 'route="/metrics"' not in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_until(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


# --- shared state across instances ---------------------------------------------------------------


def test_every_instance_runs_and_the_gateway_pools_them(scaled: ScaledRun) -> None:
    for service in ("data", "login"):
        ports = scaled.settings.instance_ports(service)
        assert len(ports) == 2 and ports[1] == ports[0] + 10
        for instance, port in enumerate(ports, start=1):
            scaled.run.pid_of("serve", service, "--port", str(port))
            # Traefik's gauge appears with its first health check.
            wait_until(lambda s=service, i=instance: scaled.stack.in_pool(s, i) is True, f"{service} {instance} pooled")
    assert "starting login ×2, users, admin, data ×2, worker, gateway (Traefik)" in scaled.run.text


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def test_the_python_processes_share_the_code_they_all_run(scaled: ScaledRun) -> None:
    """The services and the worker are forked from `muistot-dev run`, which imported their code once: their pages are
    shared, so their proportional memory (PSS) is well under half of what each holds (RSS)."""
    pythons = [scaled.run.pid_of("serve", service, "--port", str(port))
               for service in ("login", "users", "admin", "data") for port in scaled.settings.instance_ports(service)]
    pythons.append(scaled.run.pid_of("muistot.cli", "worker"))
    rss, pss = sum(_kib(pid, "Rss:") for pid in pythons), sum(_kib(pid, "Pss:") for pid in pythons)
    assert pss < rss / 2, (pss, rss)


def test_a_session_made_by_one_login_instance_is_honoured_by_the_other(scaled: ScaledRun,
                                                                       gateway: httpx.Client) -> None:
    first, second = scaled.stack.instance_urls("login")
    mailbox = Mailbox(scaled.settings)
    email, ip = new_email("scaled"), client_address()
    before = mailbox.snapshot()
    with httpx.Client(base_url=first, timeout=30, headers={"X-Forwarded-For": ip}) as one:
        assert one.post("/auth/email", params={"email": email}).status_code == 204
        link = fragment_params(plain_text(mailbox.wait_for(email, "#email-login:", before)), "email-login")
        exchanged = one.post("/auth/email/exchange", params={"user": link["user"], "token": link["token"]})
        assert exchanged.status_code == 200, describe(exchanged)
    token = {"Authorization": f"Bearer {bearer(exchanged)}"}
    with httpx.Client(base_url=second, timeout=30) as two:
        assert two.get("/auth/status", headers=token).status_code == 200
        assert two.get("/auth/status").status_code == 401
    # Through the gateway, whichever login instance ForwardAuth reaches.
    for _ in range(6):
        me = gateway.get("/me", headers=token)
        assert me.status_code == 200 and me.json()["email"] == email, describe(me)


def test_the_data_instances_share_one_response_cache(scaled: ScaledRun, gateway: httpx.Client) -> None:
    first, second = scaled.data_urls()
    admin = user(scaled, superuser=True)
    project = create_project(gateway, admin)
    old_site = create_site(gateway, admin, project)
    published = gateway.post(f"/projects/{project}/sites/{old_site}/publish", params={"publish": "true"},
                             headers=admin.headers)
    assert published.status_code == 204, describe(published)
    path = f"/projects/{project}/sites"

    def listed(base: str) -> list[str]:
        answer = httpx.get(base + path, timeout=30)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    hits = counter(second, "muistot_response_cache_total", result="hit")
    assert listed(first) == [old_site]  # built by the first instance and cached
    assert listed(second) == [old_site]
    assert counter(second, "muistot_response_cache_total", result="hit") == hits + 1  # the first one's entry

    contributor = user(scaled)
    new_site = create_site(gateway, contributor, project)  # pending: not listed yet
    assert listed(first) == listed(second) == [old_site]
    published = gateway.post(f"/projects/{project}/sites/{new_site}/publish", params={"publish": "true"},
                             headers=admin.headers)
    assert published.status_code == 204, describe(published)
    # A publish in admin is seen by both data instances at once.
    assert sorted(listed(first)) == sorted(listed(second)) == sorted([old_site, new_site])


# --- a data instance dies under load ---------------------------------------------------------------


@dataclass
class Load:
    """A light read load (anonymous and signed-in) and a write loop through the gateway, until stopped."""

    url: str
    author: GatewayUser
    project: str
    site: str
    stop: threading.Event = field(default_factory=threading.Event)
    reads: list[tuple[int, str]] = field(default_factory=list)  # (status, body of a failure)
    writes: list[tuple[str, int, str]] = field(default_factory=list)  # (title, status, Location or body)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        readers = [self._reader(headers) for _ in range(READERS // 2) for headers in ({}, self.author.headers)]
        self.threads = [threading.Thread(target=target, daemon=True) for target in (*readers, self._writer)]
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _reader(self, headers: dict[str, str]):  # type: ignore[no-untyped-def]
        paths = [f"/projects/{self.project}/sites/{self.site}", f"/projects/{self.project}/sites/{self.site}/memories"]

        def loop() -> None:
            with httpx.Client(base_url=self.url, timeout=30, headers=headers) as client:
                n = 0
                while not self.stop.is_set():
                    answer = client.get(paths[n % len(paths)])
                    n += 1
                    self.reads.append((answer.status_code, "" if answer.status_code == 200 else answer.text))
                    time.sleep(0.002)
        return loop

    def _writer(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30, headers=self.author.headers) as client:
            n = 0
            while not self.stop.is_set():
                title = f"w-{secrets.token_hex(3)}-{n}"
                n += 1
                answer = client.post(f"/projects/{self.project}/sites/{self.site}/memories",
                                     json={"title": title, "story": "Kirjoitettu kuorman alla."})
                self.writes.append((title, answer.status_code,
                                    answer.headers.get("location", "") if answer.status_code == 201 else answer.text))
                time.sleep(0.05)


def test_killing_a_data_instance_costs_no_acknowledged_write_and_it_comes_back(scaled: ScaledRun,
                                                                              gateway: httpx.Client) -> None:
    admin = user(scaled, superuser=True)
    project = create_project(gateway, admin, auto_publish=True)
    site = create_site(gateway, admin, project)
    first, _second = scaled.data_urls()
    port = scaled.settings.instance_ports("data")[0]
    victim = scaled.run.pid_of("serve", "data", "--port", str(port))

    load = Load(scaled.url, admin, project, site)
    load.start()
    try:
        wait_until(lambda: len(load.reads) >= 40 and len(load.writes) >= 5, "load under way")
        os.kill(victim, signal.SIGKILL)
        died = scaled.run.wait_line("data killed by SIGKILL")
        # While one instance is down, the gateway's /ready still says ready: the other serves data.
        assert gateway.get("/ready").status_code == 200
        scaled.run.wait_line("data started again")
        scaled.run.wait_line("data is serving again")
        wait_until(lambda: scaled.stack.in_pool("data", 1) is True, "the restarted instance back in the pool")
        # It takes the gateway's reads again.
        wait_until(lambda: gateway_reads_served(first) >= 10, "reads answered by the restarted instance")
        wait_until(lambda: len(load.writes) >= 20, "more writes")
    finally:
        load.finish()

    assert "after" in died and not alive(victim)
    assert scaled.run.pid_of("serve", "data", "--port", str(port)) != victim

    # Reads: every one answered 200. One the killed instance refused, or died before answering, was sent
    # again by the gateway to the other instance.
    failed = [(status, body) for status, body in load.reads if status != 200]
    assert failed == []
    assert len(load.reads) > 100

    # Writes are never retried by the gateway: one sent to the dead instance before its health check
    # failed is answered with the JSON 503 (and the client may send it again). Every acknowledged write is
    # there afterwards, once; of the refused ones only the one in flight at the kill may have been stored.
    acknowledged = [(title, location) for title, status, location in load.writes if status == 201]
    refused = [(title, body) for title, status, body in load.writes if status != 201]
    assert all(status in (201, 503) for _, status, _ in load.writes), load.writes
    assert all('"code":503' in body for _, body in refused), refused
    assert len(acknowledged) >= 10
    for _title, location in acknowledged:
        found = gateway.get(re.sub(r"^https?://[^/]+", "", location), headers=admin.headers)
        assert found.status_code == 200, describe(found)
    listed = gateway.get(f"/projects/{project}/sites/{site}/memories", headers=admin.headers).json()["items"]
    titles = [memory["title"] for memory in listed]
    assert len(titles) == len(set(titles))
    assert {title for title, _ in acknowledged} <= set(titles)
    assert len({title for title, _ in refused} & set(titles)) <= 1


# --- a single-instance service and the worker die ----------------------------------------------------


def test_a_killed_service_is_a_json_503_until_it_comes_back_by_itself(scaled: ScaledRun,
                                                                      gateway: httpx.Client) -> None:
    person = user(scaled)
    assert gateway.get("/me", headers=person.headers).status_code == 200
    victim = scaled.run.pid_of("serve", "users")
    os.kill(victim, signal.SIGKILL)
    scaled.run.wait_line("users killed by SIGKILL")
    # The new process needs seconds to start: meanwhile the gateway answers the users routes itself.
    down = gateway.get("/me", headers=person.headers)
    assert_error(down, 503)
    assert down.headers["retry-after"]
    assert gateway.get("/languages?q=fi").status_code == 200  # the other services are untouched
    scaled.run.wait_line("users is serving again")
    wait_until(lambda: scaled.stack.in_pool("users") is True, "users back in the gateway's pool")
    back = gateway.get("/me", headers=person.headers)
    assert back.status_code == 200, describe(back)
    assert scaled.run.pid_of("serve", "users") != victim


def test_a_killed_worker_comes_back_and_delivers_what_was_queued_meanwhile(scaled: ScaledRun,
                                                                          gateway: httpx.Client) -> None:
    mailbox = Mailbox(scaled.settings)
    victim = scaled.run.pid_of("muistot.cli", "worker")
    os.kill(victim, signal.SIGKILL)
    scaled.run.wait_line("worker killed by SIGKILL")
    email, ip = new_email("worker"), client_address()
    before = mailbox.snapshot()
    assert request_login_link(gateway, email, ip).status_code == 204  # queued while no worker runs
    scaled.run.wait_line("worker started again")
    assert "#email-login:" in plain_text(mailbox.wait_for(email, "#email-login:", before))
    assert scaled.run.pid_of("muistot.cli", "worker") != victim


def test_a_killed_gateway_comes_back_with_its_pools(scaled: ScaledRun, gateway: httpx.Client) -> None:
    traefik = f"--configFile={scaled.settings.var_dir.resolve() / 'gateway' / 'traefik.yml'}"
    victim = scaled.run.pid_of(traefik)
    os.kill(victim, signal.SIGKILL)
    scaled.run.wait_line("traefik killed by SIGKILL")
    scaled.run.wait_line("traefik is serving again")
    wait_until(lambda: scaled.stack.in_pool("data", 2) is True, "the new gateway's pools")
    assert gateway.get("/ready").status_code == 200
    assert gateway.get("/languages?q=fi").status_code == 200
    assert scaled.run.pid_of(traefik) != victim
