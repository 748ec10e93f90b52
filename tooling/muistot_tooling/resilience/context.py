"""What every phase of the run works on: the servers, the stack, the people and the shared counters."""

from __future__ import annotations

import itertools
import secrets
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from muistot.settings import Settings
from muistot_tooling.resilience.load import Load
from muistot_tooling.resilience.people import Person, create_person
from muistot_tooling.resilience.record import Recorder
from muistot_tooling.resilience.servers import MariaDB, Redis
from muistot_tooling.resilience.stack import RunningStack
from muistot_tooling.testing.smtp_sink import SmtpSink

_addresses = itertools.count(1)


def client_address() -> str:
    """A client IP (TEST-NET-2/3) no other simulated person of the run has: the gateway trusts loopback
    as a proxy, so each gets the per-IP login allowance of a visitor of its own."""
    n = next(_addresses)
    return f"198.51.100.{n}" if n < 255 else f"203.0.113.{n % 254 + 1}"


@dataclass
class Case:
    """One pass/fail check (a fault survived, an abuse case answered as it should)."""

    name: str
    passed: bool
    detail: str = ""


@dataclass
class Run:
    directory: Path
    settings: Settings
    mariadb: MariaDB
    redis: Redis
    smtp: SmtpSink
    stack: RunningStack
    recorder: Recorder = field(default_factory=Recorder)
    admin: Person | None = None  # a superuser
    project: str = ""
    site: str = ""
    load: Load | None = None

    @property
    def url(self) -> str:
        return self.stack.url

    def client(self, *, timeout: float = 15, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout, **kwargs)

    def person(self, *, superuser: bool = False, password: str | None = None) -> Person:
        return create_person(self.settings, superuser=superuser, password=password)

    def stored(self, table: str, column: str, values: list[str]) -> set[str]:
        """Which of `values` the database holds in `table.column` (read outside the stack)."""
        if not values:
            return set()
        with closing(self.mariadb.connect()) as connection, connection.cursor() as cursor:
            marks = ",".join(["%s"] * len(values))
            cursor.execute(f"SELECT `{column}` FROM `{table}` WHERE `{column}` IN ({marks})", values)  # noqa: S608 (names are ours)
            return {row[0] for row in cursor.fetchall()}


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def create_project(client: httpx.Client, superuser: Person, *, admins: list[str] | None = None,
                   auto_publish: bool = True) -> str:
    project = new_id("res")
    created = client.post("/projects", headers=superuser.headers, json={
        "id": project, "info": {"lang": "fi", "name": f"Projekti {project}", "abstract": "Kestävyysajo"},
        "auto_publish": auto_publish, "admins": admins or []})
    if created.status_code != 201:
        raise RuntimeError(f"could not create a project: {created.status_code} {created.text}")
    published = client.post(f"/projects/{project}/publish", params={"publish": "true"}, headers=superuser.headers)
    if published.status_code != 204:
        raise RuntimeError(f"could not publish a project: {published.status_code} {published.text}")
    return project


def create_site(client: httpx.Client, author: Person, project: str) -> str:
    site = new_id("site")
    created = client.post(f"/projects/{project}/sites", headers=author.headers, json={
        "id": site, "info": {"lang": "fi", "name": f"Paikka {site}"}, "location": {"lat": 65.0121, "lon": 25.4651}})
    if created.status_code != 201:
        raise RuntimeError(f"could not create a site: {created.status_code} {created.text}")
    return site
