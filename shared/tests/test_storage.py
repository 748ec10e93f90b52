"""File storage drivers: `file://` and `s3://` (against a local moto server started here)."""

from __future__ import annotations

import socket

import boto3
import pytest
from moto.server import ThreadedMotoServer

from muistot.storage import open_storage


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_url(monkeypatch: pytest.MonkeyPatch):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="muistot")
    try:
        yield f"s3://muistot/images?endpoint={endpoint}&region=us-east-1"
    finally:
        server.stop()


async def roundtrip(url: str) -> None:
    storage = open_storage(url)
    assert await storage.get("0b1c.jpeg") is None
    assert not await storage.exists("0b1c.jpeg")
    await storage.put("0b1c.jpeg", b"\xff\xd8bytes", "image/jpeg")
    assert await storage.exists("0b1c.jpeg")
    assert await storage.get("0b1c.jpeg") == b"\xff\xd8bytes"
    await storage.delete("0b1c.jpeg")
    await storage.delete("0b1c.jpeg")  # deleting twice is fine
    assert await storage.get("0b1c.jpeg") is None
    with pytest.raises(ValueError):
        await storage.get("../secret")


async def test_file_storage(tmp_path):
    await roundtrip(f"file://{tmp_path}/files")
    assert list((tmp_path / "files").iterdir()) == []


async def test_s3_storage(s3_url):
    await roundtrip(s3_url)


def test_unknown_scheme():
    with pytest.raises(ValueError):
        open_storage("ftp://example.org/files")
