"""The machine's MariaDB and Redis as the tests and `make bench` use them: a database and a key prefix of
their own, created and removed here. MUISTOT_TEST_MYSQL_URL (a server URL without a database) and
MUISTOT_TEST_REDIS_URL point both at other servers.
"""

from __future__ import annotations

import os

from redis.asyncio import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from muistot.settings import Settings

MYSQL_SERVER = os.environ.get("MUISTOT_TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306")
REDIS_SERVER = os.environ.get("MUISTOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _sync_server_url() -> str:
    url = make_url(MYSQL_SERVER)
    return url.set(drivername="mysql+pymysql").render_as_string(hide_password=False)


def admin_execute(statement: str) -> None:
    """Run one statement on the server (not in a test database) with a synchronous driver."""
    import aiomysql  # noqa: F401  (pymysql ships with aiomysql)

    engine = create_engine(_sync_server_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def database_url(name: str) -> str:
    """The async URL of database `name` on the server."""
    return make_url(MYSQL_SERVER).set(database=name).render_as_string(hide_password=False) + "?charset=utf8mb4"


async def drop_redis_prefix(settings: Settings) -> None:
    for url in {settings.session_redis_url, settings.cache_redis_url}:
        client = Redis.from_url(url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{settings.redis_prefix}*", count=1000)]
            for start in range(0, len(keys), 500):
                await client.delete(*keys[start:start + 500])
        finally:
            await client.aclose()
