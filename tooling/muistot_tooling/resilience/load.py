"""A light mixed load through the gateway for the whole fault phase: anonymous and signed-in readers and
two writers (memories, and comments on them), every write and its answer recorded to check afterwards."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from muistot_tooling.resilience.people import Person
from muistot_tooling.resilience.record import Recorder

PAUSE = 0.05  # between one client's requests
MAX_REQUESTS_PER_CLIENT = 6000  # a bound however long the faults take
CLIENT_TIMEOUT = 15.0  # above the gateway's timeout of the run (8 s)


@dataclass
class Write:
    kind: str  # "memory" or "comment"
    text: str  # its unique title or comment text
    status: int | None  # None: no answer
    path: str  # of the stored item, from `Location` (201 only)
    sent: float
    answered: float

    @property
    def acknowledged(self) -> bool:
        return self.status == 201 and bool(self.path)


@dataclass
class Load:
    url: str
    author: Person
    reader: Person
    project: str
    site: str
    recorder: Recorder
    stop: threading.Event = field(default_factory=threading.Event)
    writes: list[Write] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    _memories: list[int] = field(default_factory=list)

    @property
    def site_path(self) -> str:
        return f"/projects/{self.project}/sites/{self.site}"

    def start(self) -> None:
        loops: list[Callable[[], None]] = [self._anonymous_reader, self._signed_in_reader, self._memory_writer,
                                           self._comment_writer]
        self.threads = [threading.Thread(target=loop, name=loop.__name__, daemon=True) for loop in loops]
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def acknowledged(self) -> list[Write]:
        return [write for write in list(self.writes) if write.acknowledged]

    def _loop(self, headers: dict[str, str], step: Callable[[httpx.Client, int], None]) -> None:
        with httpx.Client(base_url=self.url, timeout=CLIENT_TIMEOUT, headers=headers) as client:
            for n in range(MAX_REQUESTS_PER_CLIENT):
                if self.stop.is_set():
                    return
                step(client, n)
                time.sleep(PAUSE)

    def _anonymous_reader(self) -> None:
        paths = [f"/projects/{self.project}", self.site_path, f"{self.site_path}/memories", "/projects"]
        self._loop({}, lambda client, n: self.recorder.send(client, "GET", paths[n % len(paths)]))

    def _signed_in_reader(self) -> None:
        paths = ["/me", f"{self.site_path}/memories", "/me/memories", f"{self.site_path}?include_memories=true"]
        self._loop(self.reader.headers, lambda client, n: self.recorder.send(client, "GET", paths[n % len(paths)]))

    def _write(self, client: httpx.Client, kind: str, url: str, text: str, body: dict[str, str]) -> None:
        sent = time.monotonic()
        answer = self.recorder.send(client, "POST", url, json=body)
        path = ""
        if answer is not None and answer.status_code == 201:
            path = re.sub(r"^https?://[^/]+", "", answer.headers.get("location", ""))
            if kind == "memory":
                self._memories.append(int(path.rstrip("/").rsplit("/", 1)[1]))
        self.writes.append(Write(kind, text, None if answer is None else answer.status_code, path, sent,
                                 time.monotonic()))

    def _memory_writer(self) -> None:
        def step(client: httpx.Client, n: int) -> None:
            title = f"load-{secrets.token_hex(4)}-{n}"
            self._write(client, "memory", f"{self.site_path}/memories", title,
                        {"title": title, "story": "Kirjoitettu kuorman alla. 🌲"})
        self._loop(self.author.headers, step)

    def _comment_writer(self) -> None:
        def step(client: httpx.Client, n: int) -> None:
            if not self._memories:
                return
            memory = self._memories[n % len(self._memories)]
            text = f"comment-{secrets.token_hex(4)}-{n}"
            self._write(client, "comment", f"{self.site_path}/memories/{memory}/comments", text, {"comment": text})
        self._loop(self.author.headers, step)


def check_writes(client: httpx.Client, load: Load) -> tuple[int, int, list[str]]:
    """(acknowledged, found afterwards, problems): each acknowledged write read back by its own `Location`,
    with its text, and stored once."""
    acknowledged = load.acknowledged()
    found = 0
    problems: list[str] = []
    for write in acknowledged:
        answer = client.get(write.path, headers=load.author.headers)
        field_name = "title" if write.kind == "memory" else "comment"
        if answer.status_code == 200 and answer.json().get(field_name) == write.text:
            found += 1
        else:
            problems.append(f"acknowledged {write.kind} {write.path} reads {answer.status_code}: {answer.text[:200]}")
    listed = client.get(f"{load.site_path}/memories", headers=load.author.headers, params={"limit": 1000})
    if listed.status_code == 200:
        titles = [item["title"] for item in listed.json()["items"]]
        twice = sorted({title for title in titles if titles.count(title) > 1})
        if twice:
            problems.append(f"memories stored twice: {twice[:10]}")
    return len(acknowledged), found, problems
