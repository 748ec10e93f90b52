"""Image decoding has a memory ceiling: a real data service (uvicorn) under parallel uploads of images
near the pixel limit stays under a stated bound, and shrinks back afterwards.

The bound is the one the README states: the service's own memory plus, per decode worker, 8 bytes for
every pixel the limit allows. Before the bounded pool, three parallel 9,400 × 9,400 PNGs (258 KB each)
took a data service from 128 MB to 2.2 GB, and 1.2 GB stayed.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw

from muistot.db.engine import create_engine
from muistot.settings import Settings
from muistot_tooling.runner import Stack
from muistot_tooling.testing import factories

from .conftest import GatewayUser, create_user, run_async, stack_settings

MB = 1024 * 1024
WORKERS = 2
MAX_PIXELS = 16_000_000
PARALLEL = 6
# What the service may keep after the burst, beyond where it started: caches, pools, fragments.
KEPT_AFTER = 80 * MB


def png(width: int, height: int, *, flat: bool = False) -> str:
    """A PNG with some structure (or one flat colour), small as a file either way."""
    image = Image.new("RGB", (width, height), (200, 180, 160))
    draw = ImageDraw.Draw(image)
    for x in range(0, 0 if flat else width, 97):
        draw.line([(x, 0), (width - x, height)], fill=(x % 255, 40, 90), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class PeakWatch:
    """Samples a process's resident memory until stopped; keeps the highest value seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss(self.pid))

    def __enter__(self) -> PeakWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss(self.pid))


@pytest.fixture(scope="module")
def data_service(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The data service alone, as `muistot serve data` runs it, with a known pool and pixel limit."""
    settings = stack_settings(test_settings, image_workers=WORKERS, max_image_pixels=MAX_PIXELS)
    with Stack(settings, log_dir=tmp_path_factory.mktemp("image-memory"), services=("data",), gateway=False,
               worker=False) as stack:
        process = stack.children["data"].process
        assert process is not None
        yield stack.service_url("data"), process.pid


async def a_site_and_its_author(settings: Settings) -> tuple[str, GatewayUser]:
    user = await create_user(settings)
    engine = create_engine(settings)
    try:
        project = await factories.insert_project(engine)
        site = await factories.insert_site(engine, project.id)
    finally:
        await engine.dispose()
    return f"/projects/{project.name}/sites/{site.name}/memories", user


def test_parallel_near_limit_images_stay_under_the_memory_bound_and_it_comes_back(
        test_settings: Settings, data_service: tuple[str, int]) -> None:
    url, pid = data_service
    memories, user = run_async(a_site_and_its_author(test_settings))
    path = url + memories
    near_limit = png(4000, 3990)  # 15.96 million pixels
    over_limit = png(4000, 4001)
    attack = png(9400, 9400, flat=True)  # as in the finding: 88 million pixels in 280 KB

    with httpx.Client(timeout=120, headers=user.headers) as client:
        def upload(image: str) -> int:
            return client.post(path, json={"title": "big", "image": image}).status_code

        assert upload(png(64, 64)) == 201  # warm: the pool and the image code are loaded
        before = rss(pid)
        with PeakWatch(pid) as watch, ThreadPoolExecutor(PARALLEL + 3) as pool:
            statuses = list(pool.map(upload, [near_limit] * PARALLEL + [attack] * 3))
        assert statuses == [201] * PARALLEL + [413] * 3
        assert upload(over_limit) == 413

        bound = before + WORKERS * 8 * MAX_PIXELS
        assert watch.peak < bound, f"peak {watch.peak // MB} MB, bound {bound // MB} MB"
        # The decodes really ran side by side: more than one image's pixels were held at once.
        assert watch.peak > before + 4 * MAX_PIXELS
        after = rss(pid)
        assert after < before + KEPT_AFTER, f"before {before // MB} MB, after {after // MB} MB"
