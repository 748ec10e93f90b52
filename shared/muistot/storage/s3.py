"""`s3://bucket/prefix?endpoint=https://...&region=...` storage through boto3, run in worker threads.

Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles,
instance roles); they are never part of the URL, so they never reach logs.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from muistot.storage import check_name


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", endpoint: str | None = None, region: str | None = None) -> None:
        if not bucket:
            raise ValueError("s3:// storage needs a bucket name")
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.endpoint = endpoint
        self.region = region
        self._client: Any = None
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3

                self._client = boto3.session.Session().client("s3", endpoint_url=self.endpoint,
                                                              region_name=self.region)
            return self._client

    def _key(self, name: str) -> str:
        return self.prefix + check_name(name)

    @staticmethod
    def _missing(exc: Exception) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def _get(self, name: str) -> bytes | None:
        try:
            return self._s3().get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except Exception as exc:
            if self._missing(exc):
                return None
            raise

    def _exists(self, name: str) -> bool:
        try:
            self._s3().head_object(Bucket=self.bucket, Key=self._key(name))
            return True
        except Exception as exc:
            if self._missing(exc):
                return False
            raise

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(lambda: self._s3().put_object(Bucket=self.bucket, Key=self._key(name), Body=data,
                                                              ContentType=content_type))

    async def get(self, name: str) -> bytes | None:
        return await asyncio.to_thread(self._get, name)

    async def exists(self, name: str) -> bool:
        return await asyncio.to_thread(self._exists, name)

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(lambda: self._s3().delete_object(Bucket=self.bucket, Key=self._key(name)))
