"""`muistot backup create DIR` / `muistot backup restore DIR`: the database, the uploads and the sessions.

One directory per backup (docs/operations.md):

* `database.sql.gz`: `mariadb-dump --single-transaction` of MUISTOT_DATABASE_URL's database (a consistent
  snapshot while the services run), or `database.sqlite3` (SQLite's online backup) for the embedded database;
* `files.tar.gz`: every upload of a `file://` MUISTOT_FILES_URL (an `s3://` bucket is backed up by the
  bucket's own versioning or replication, and is left out here);
* `sessions.jsonl.gz`: every session of the session Redis (under MUISTOT_REDIS_PREFIX) as Redis `DUMP`
  payloads with their remaining time to live, so a restore keeps people signed in, and sessions that would have
  ended meanwhile stay ended;
* `manifest.json`: when, the schema revision, and what each part holds (counts, sizes, SHA-256).

A restore overwrites: it loads the dump into the configured database (created if missing), puts the files
back, and restores the sessions (replacing keys of the same name). Stop the services first, and run
`muistot migrate` afterwards when the backup comes from an older version.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from redis.asyncio import Redis

from muistot.settings import Settings

MANIFEST = "manifest.json"
SESSION_PATTERNS = ("sess:*", "usess:*")  # muistot.sessions: the sessions and each user's index of them


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class MariaDbTarget:
    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_url(cls, url: str) -> MariaDbTarget:
        parts = urlsplit(url)
        database = parts.path.lstrip("/")
        if not database:
            raise BackupError("MUISTOT_DATABASE_URL names no database")
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or 3306, user=unquote(parts.username or "root"),
                   password=unquote(parts.password or ""), database=database)

    def client_args(self) -> list[str]:
        return ["--protocol=tcp", "-h", self.host, "-P", str(self.port), "-u", self.user,
                "--default-character-set=utf8mb4"]

    def env(self) -> dict[str, str]:
        # The password goes through the environment, never the command line (which `ps` shows).
        return {**os.environ, "MYSQL_PWD": self.password}


def _program(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise BackupError(f"{names[0]} is not installed (Debian: apt-get install mariadb-client)")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_sqlite(settings: Settings) -> bool:
    return settings.database_url.startswith("sqlite")


def _sqlite_path(settings: Settings) -> Path:
    return Path(settings.database_url.split(":///", 1)[1])


def _files_dir(settings: Settings) -> Path | None:
    url = urlsplit(settings.files_url)
    return Path(unquote(url.path)) if url.scheme == "file" else None


# -- the database -------------------------------------------------------------------------------------


def dump_database(settings: Settings, target: Path) -> dict[str, Any]:
    if _is_sqlite(settings):
        out = target / "database.sqlite3"
        source = sqlite3.connect(_sqlite_path(settings))
        copy = sqlite3.connect(out)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return {"kind": "sqlite", "file": out.name, "sha256": _sha256(out)}
    db = MariaDbTarget.from_url(settings.database_url)
    out = target / "database.sql.gz"
    command = [_program("mariadb-dump", "mysqldump"), *db.client_args(), "--single-transaction", "--quick",
               "--routines", "--triggers", "--hex-blob", "--no-tablespaces", db.database]
    with gzip.open(out, "wb") as sink:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # noqa: S603 (no shell)
                                   env=db.env())
        assert process.stdout is not None
        shutil.copyfileobj(process.stdout, sink)
        _, error = process.communicate()
    if process.returncode != 0:
        raise BackupError(f"mariadb-dump failed: {error.decode(errors='replace').strip()}")
    return {"kind": "mariadb", "file": out.name, "sha256": _sha256(out)}


def load_database(settings: Settings, source: Path, part: dict[str, Any]) -> None:
    if part["kind"] == "sqlite":
        if not _is_sqlite(settings):
            raise BackupError("the backup holds a SQLite database; MUISTOT_DATABASE_URL is not SQLite")
        path = _sqlite_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        restored = sqlite3.connect(path)
        backup = sqlite3.connect(source / part["file"])
        try:
            backup.backup(restored)
        finally:
            backup.close()
            restored.close()
        return
    if _is_sqlite(settings):
        raise BackupError("the backup holds a MariaDB dump; MUISTOT_DATABASE_URL is SQLite")
    db = MariaDbTarget.from_url(settings.database_url)
    client = _program("mariadb", "mysql")
    quoted = db.database.replace("`", "``")
    statement = f"CREATE DATABASE IF NOT EXISTS `{quoted}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    create = subprocess.run([client, *db.client_args(), "-e", statement],  # noqa: S603 (no shell)
                            env=db.env(), capture_output=True, check=False)
    if create.returncode != 0:
        raise BackupError(f"cannot create the database: {create.stderr.decode(errors='replace').strip()}")
    with gzip.open(source / part["file"], "rb") as dump:
        process = subprocess.Popen([client, *db.client_args(), db.database],  # noqa: S603 (no shell)
                                   stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=db.env())
        assert process.stdin is not None
        shutil.copyfileobj(dump, process.stdin)
        process.stdin.close()
        error = process.stderr.read() if process.stderr else b""
        process.wait()
    if process.returncode != 0:
        raise BackupError(f"loading the dump failed: {error.decode(errors='replace').strip()}")


# -- the uploads ---------------------------------------------------------------------------------------


def pack_files(settings: Settings, target: Path) -> dict[str, Any]:
    directory = _files_dir(settings)
    if directory is None:
        return {"kind": "skipped", "reason": "MUISTOT_FILES_URL is not file://; back the bucket up with its own "
                                             "versioning or replication"}
    out = target / "files.tar.gz"
    names = sorted(path.name for path in directory.glob("*") if path.is_file() and not path.name.startswith(".")) \
        if directory.exists() else []
    with tarfile.open(out, "w:gz") as archive:
        for name in names:
            archive.add(directory / name, arcname=name)
    size = sum((directory / name).stat().st_size for name in names)
    return {"kind": "files", "file": out.name, "count": len(names), "bytes": size, "sha256": _sha256(out)}


def unpack_files(settings: Settings, source: Path, part: dict[str, Any]) -> None:
    if part["kind"] == "skipped":
        return
    directory = _files_dir(settings)
    if directory is None:
        raise BackupError("the backup holds uploaded files; MUISTOT_FILES_URL is not file://")
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / part["file"], "r:gz") as archive:
        archive.extractall(directory, filter="data")  # plain files inside the directory only


# -- the sessions --------------------------------------------------------------------------------------


async def dump_sessions(settings: Settings, target: Path) -> dict[str, Any]:
    redis = Redis.from_url(settings.session_redis_url, socket_timeout=settings.redis_timeout)
    out = target / "sessions.jsonl.gz"
    count = 0
    try:
        with gzip.open(out, "wt", encoding="utf-8") as sink:
            for pattern in SESSION_PATTERNS:
                async for key in redis.scan_iter(match=settings.redis_prefix + pattern, count=1000):
                    payload, ttl = await redis.dump(key), await redis.pttl(key)
                    if payload is None:  # ended since the scan saw it
                        continue
                    sink.write(json.dumps({"key": base64.b64encode(key).decode(), "ttl_ms": max(ttl, 0),
                                           "dump": base64.b64encode(payload).decode()}) + "\n")
                    count += 1
    finally:
        await redis.aclose()
    return {"kind": "redis-dump", "file": out.name, "keys": count, "sha256": _sha256(out)}


async def load_sessions(settings: Settings, source: Path, part: dict[str, Any], elapsed_ms: int) -> int:
    """Put the sessions back with the time they had left minus the time since the backup; the number restored."""
    redis = Redis.from_url(settings.session_redis_url, socket_timeout=settings.redis_timeout)
    restored = 0
    try:
        with gzip.open(source / part["file"], "rt", encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line)
                ttl = entry["ttl_ms"]
                if ttl and ttl - elapsed_ms <= 0:
                    continue  # it would have ended by now
                await redis.restore(base64.b64decode(entry["key"]), max(ttl - elapsed_ms, 0) if ttl else 0,
                                    base64.b64decode(entry["dump"]), replace=True)
                restored += 1
    finally:
        await redis.aclose()
    return restored


# -- the whole -------------------------------------------------------------------------------------------


def create_backup(settings: Settings, target: Path) -> dict[str, Any]:
    from muistot.container_checks import schema_state

    revisions, _ = asyncio.run(schema_state(settings))
    target.mkdir(parents=True, exist_ok=True)
    if (target / MANIFEST).exists():
        raise BackupError(f"{target} holds a backup already")
    manifest = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "created_unix_ms": int(time.time() * 1000),
        "revision": ",".join(sorted(revisions)) or None,
        "database": dump_database(settings, target),
        "files": pack_files(settings, target),
        "sessions": asyncio.run(dump_sessions(settings, target)),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source} holds no backup ({MANIFEST} missing)") from None
    for name in ("database", "files", "sessions"):
        part = manifest[name]
        if "sha256" in part and _sha256(source / part["file"]) != part["sha256"]:
            raise BackupError(f"{part['file']} does not match its checksum: the backup is damaged")
    return manifest


def restore_backup(settings: Settings, source: Path) -> dict[str, Any]:
    manifest = read_manifest(source)
    load_database(settings, source, manifest["database"])
    unpack_files(settings, source, manifest["files"])
    elapsed = max(0, int(time.time() * 1000) - int(manifest["created_unix_ms"]))
    restored = asyncio.run(load_sessions(settings, source, manifest["sessions"], elapsed))
    return {**manifest, "sessions_restored": restored}


def _summary(manifest: dict[str, Any]) -> str:
    files = manifest["files"]
    files_text = f"{files['count']} files ({files['bytes']} bytes)" if files["kind"] == "files" else "files skipped"
    return (f"database ({manifest['database']['kind']}, revision {manifest['revision']}), {files_text}, "
            f"{manifest['sessions']['keys']} session keys")


def cmd_backup(args: argparse.Namespace) -> int:
    from muistot.commands import fail, load_settings

    settings = load_settings()
    directory = Path(args.directory)
    try:
        if args.action == "create":
            manifest = create_backup(settings, directory)
            print(f"muistot: backed up {_summary(manifest)} to {directory}")
            return 0
        if not args.yes:
            return fail("backup restore overwrites the database, the files and the sessions: add --yes")
        manifest = restore_backup(settings, directory)
        print(f"muistot: restored {_summary(manifest)} from {directory} "
              f"({manifest['sessions_restored']} session keys still live)")
        return 0
    except (BackupError, OSError, sqlite3.Error) as exc:
        print(f"muistot: backup {args.action}: {exc}", file=sys.stderr)
        return 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="back up or restore the database, the uploads and the sessions")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="write a backup into DIRECTORY (a new or empty directory)")
    create.add_argument("directory")
    create.set_defaults(func=cmd_backup)
    restore = actions.add_parser("restore", help="restore the backup in DIRECTORY (stop the services first)")
    restore.add_argument("directory")
    restore.add_argument("--yes", action="store_true", help="yes, overwrite what is there")
    restore.set_defaults(func=cmd_backup)


