"""The schema revision this code serves, known without loading the migration tooling.

Services only check that the database carries this revision (`muistot migrate` brings it there); Alembic, which
would cost every service process about 11 MiB to import, is for `muistot migrate` alone. A test keeps this equal to
the newest migration's revision.
"""

from __future__ import annotations

from pathlib import Path

from muistot.settings import Settings

SCHEMA_REVISION = "0003"


def ensure_sqlite_dir(settings: Settings) -> None:
    """The folder of an embedded SQLite database file exists."""
    url = settings.normalized_database_url
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
