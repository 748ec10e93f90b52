"""`file:///dir` storage: one file per name, written atomically (temporary file, then rename)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from pathlib import Path

from muistot.storage import check_name


class FileStorage:
    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def _path(self, name: str) -> Path:
        return self.directory / check_name(name)

    def _write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self._path(name)
        temporary = self.directory / f".{secrets.token_hex(8)}.part"
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()

    def _read(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def _delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(name).unlink()

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, name, data)

    async def get(self, name: str) -> bytes | None:
        return await asyncio.to_thread(self._read, name)

    async def exists(self, name: str) -> bool:
        return await asyncio.to_thread(self._path(name).is_file)

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self._delete, name)
