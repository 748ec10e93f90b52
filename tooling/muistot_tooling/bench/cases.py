"""What `make bench` measures: the cases, their reference lines and the performance targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from muistot_tooling.bench.dataset import Targets
from muistot_tooling.bench.reference import CEILING_BIG_PATH, CEILING_PATH

CONNECTIONS = (32, 128)
# The stack's memory: at most this much RSS idle, and at most this growth under load.
RSS_IDLE_MAX_MIB = 400
RSS_GROWTH_MAX = 0.20


@dataclass(frozen=True)
class Case:
    id: str
    gateway: Literal["stack", "reference"]
    path: str
    signed: bool = False  # sends an ordinary signed-in user's bearer token (ForwardAuth, no anonymous cache)
    writes: bool = False  # the write script: memories and comments created by several users
    reference: str | None = None  # the reference line the target is a share of
    min_ratio: float | None = None  # the least share of the reference's rate, at 32 connections

    @property
    def target(self) -> str:
        return f"≥{self.min_ratio:.0%} of {self.reference}" if self.reference and self.min_ratio else ""


def cases(targets: Targets) -> list[Case]:
    project = f"/projects/{targets.read_project}"
    site = f"{project}/sites/{targets.read_site}"
    big = f"/projects/{targets.big_project}/sites"
    return [
        Case("ceiling", "reference", CEILING_PATH),
        Case("ceiling_auth", "reference", CEILING_PATH, signed=True),
        Case("ceiling_big", "reference", CEILING_BIG_PATH),
        Case("anon_projects", "stack", "/projects", reference="ceiling", min_ratio=0.30),
        Case("anon_project", "stack", project, reference="ceiling", min_ratio=0.30),
        Case("anon_site", "stack", site, reference="ceiling", min_ratio=0.30),
        Case("anon_memories", "stack", f"{site}/memories", reference="ceiling", min_ratio=0.30),
        Case("anon_sites_big", "stack", big, reference="ceiling_big", min_ratio=0.50),
        Case("signed_project", "stack", project, signed=True, reference="ceiling_auth", min_ratio=0.25),
        Case("signed_site", "stack", f"{site}?include_memories=true", signed=True, reference="ceiling_auth",
             min_ratio=0.25),
        Case("signed_sites_big", "stack", big, signed=True, reference="ceiling_big", min_ratio=0.10),
        Case("me", "stack", "/me", signed=True, reference="ceiling_auth", min_ratio=0.25),
        Case("write_mix", "stack", f"/projects/{targets.write_project}", signed=True, writes=True,
             reference="ceiling_auth", min_ratio=0.05),
    ]


def write_paths(targets: Targets) -> tuple[list[str], list[str]]:
    """Where the write script posts: memories to sites, comments to memories, all of the write project."""
    project = f"/projects/{targets.write_project}"
    memory_paths = [f"{project}/sites/{site}/memories" for site in targets.write_sites]
    comment_paths = [f"{project}/sites/{site}/memories/{memory}/comments" for site, memory in targets.write_memories]
    return memory_paths, comment_paths


MEMORY_BODY = ('{"title": "Kesa mokilla", "story": "Muistan, kuinka kesaisin uimme jarvessa ja saunoimme '
               'iltaisin. Mummola oli aina taynna sukulaisia, ja tanssilavalla soi haitari koko yon."}')
COMMENT_BODY = '{"comment": "Kiitos, tama toi mieleen omat kesani samalla rannalla."}'
