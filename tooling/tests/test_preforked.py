"""`preforked.preload`: what a forked service imports when it starts and serves is already in the parent, so
its pages are shared rather than the child's own."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Imports, in the child, what `muistot serve` and a service's first requests import: the command line, an
# engine for the configured database, an HTTP client's transport (login's probes), anyio's event-loop backend.
FIRST_USE = """
import asyncio, sys
from muistot_tooling import preforked
preforked.preload(sys.argv[1])
before = set(sys.modules)

import anyio
import httpx
from muistot import cli
from muistot.db.engine import create_engine
from muistot.settings import Settings

cli.build_parser()
create_engine(Settings(_env_file=None, database_url=sys.argv[1]))

async def use_client():
    async with httpx.AsyncClient() as client:
        try:
            await client.get("http://127.0.0.1:9/")
        except httpx.HTTPError:
            pass
    await anyio.to_thread.run_sync(lambda: None)

asyncio.run(use_client())
print(" ".join(sorted(set(sys.modules) - before)))
"""


@pytest.mark.parametrize("database_url", ["mysql+aiomysql://root@127.0.0.1:3306/muistot",
                                          "sqlite+aiosqlite:///var/muistot.sqlite3"])
def test_a_service_starting_after_the_preload_imports_nothing_of_its_own(database_url: str) -> None:
    out = subprocess.run([sys.executable, "-c", FIRST_USE, database_url], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == []
