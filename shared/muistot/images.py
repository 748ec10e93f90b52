"""Image uploads: base64 inside JSON → checked, cleaned image file → storage + an `images` row.

The content decides, never a name or a declared type: the bytes must decode with Pillow as one of
MUISTOT_IMAGE_TYPES, and have at most MUISTOT_MAX_IMAGE_PIXELS pixels (checked from the header, before
decoding). The image is re-encoded with its EXIF orientation applied, so EXIF (GPS included) and other
metadata are dropped; the ICC colour profile is kept. Decoding runs in a bounded pool of
MUISTOT_IMAGE_WORKERS threads per process, so memory stays under about 8 bytes × the pixel limit per
worker however many uploads arrive at once. Stored names are random UUIDs.

Write order (nothing half-written): the file is stored first, then the row is committed; if the
transaction fails, `ImageUploads` deletes the files it stored. Files that nothing references any
more after a commit are removed with `release_images` + `delete_files`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ctypes
import ctypes.util
import io
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.tables import images, memories, projects, sites
from muistot.errors import ApiError
from muistot.settings import Settings
from muistot.storage import Storage

log = logging.getLogger("muistot.images")

DATA_URL_PREFIX = re.compile(r"^data:image/[a-z]+;base64,")
FORMATS = {"jpeg": ("JPEG", "image/jpeg", "jpeg"), "jpg": ("JPEG", "image/jpeg", "jpeg"),
           "png": ("PNG", "image/png", "png")}
CONTENT_TYPES = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png", "ico": "image/x-icon"}
DEFAULT_MAX_PIXELS = 25_000_000  # MUISTOT_MAX_IMAGE_PIXELS


def bad_image() -> ApiError:
    return ApiError(400, "Bad image")


def too_large() -> ApiError:
    return ApiError(413, "Image too large")


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredImage:
    name: str
    image: CleanImage


def allowed_formats(settings: Settings) -> set[str]:
    """Pillow format names allowed by MUISTOT_IMAGE_TYPES (`jpeg,png`)."""
    return {FORMATS[kind][0] for kind in (part.strip().lower() for part in settings.image_types.split(","))
            if kind in FORMATS}


def decode_base64(text: str, max_bytes: int) -> bytes:
    """Standard base64 with padding, optionally behind `data:image/<subtype>;base64,` (docs/api.md,
    "Coordinates and images")."""
    text = DATA_URL_PREFIX.sub("", text.strip(), count=1)
    if len(text) // 4 * 3 > max_bytes + 2:
        raise too_large()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise bad_image() from None
    if len(raw) > max_bytes:
        raise too_large()
    if not raw:
        raise bad_image()
    return raw


def clean(raw: bytes, formats: set[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> CleanImage:
    """Decode, check and re-encode one image (CPU-bound and memory-hungry: run it through `decode_pool`).

    The pixel count is read from the header and checked before anything is decoded, so a small file
    with a huge canvas costs nothing. Decoding takes about 4 bytes a pixel, twice that while an EXIF
    rotation is applied.
    """
    try:
        opened = Image.open(io.BytesIO(raw))
    except Image.DecompressionBombError:
        raise too_large() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise bad_image() from None
    with opened:
        if opened.format not in formats:
            raise bad_image()
        width, height = opened.size
        if width * height > max_pixels:
            raise too_large()
        try:
            opened.load()
            kind = opened.format
            icc_profile = opened.info.get("icc_profile")
            transparency = opened.info.get("transparency")
            # In place: no copy of the pixels unless the image really is rotated.
            ImageOps.exif_transpose(opened, in_place=True)
        except Image.DecompressionBombError:
            raise too_large() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            # Pillow reports truncated and corrupt files with these.
            raise bad_image() from None
        return _encode(opened, kind, icc_profile, transparency)


def _encode(image: Image.Image, kind: str, icc_profile: bytes | None, transparency: object) -> CleanImage:
    image.info = {}  # drop EXIF, XMP, comments and text chunks; the profile is passed explicitly
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    out = io.BytesIO()
    if kind == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90, **options)
        content_type, extension = "image/jpeg", "jpeg"
    else:
        if transparency is not None and image.mode in ("P", "L", "RGB"):
            options["transparency"] = transparency
        image.save(out, "PNG", **options)
        content_type, extension = "image/png", "png"
    return CleanImage(out.getvalue(), content_type, extension, image.width, image.height)


def _clean_and_give_back(raw: bytes, formats: set[str], max_pixels: int) -> CleanImage:
    try:
        return clean(raw, formats, max_pixels)
    finally:
        give_memory_back()


class DecodePool:
    """At most `workers` images of one process are decoded at a time; the others wait for a turn.

    Threads, not processes: the pixels never cross a process boundary and an idle pool costs nothing.
    Each decode hands its freed memory back to the operating system (see `give_memory_back`), so the
    service shrinks again after a burst of uploads. A request that is cancelled while it waits gives
    up its turn; one cancelled during its decode lets the decode finish (threads cannot be stopped).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="image-decode")

    async def clean(self, raw: bytes, formats: set[str], max_pixels: int) -> CleanImage:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, _clean_and_give_back, raw, formats, max_pixels)


_pools: dict[int, DecodePool] = {}


def decode_pool(workers: int) -> DecodePool:
    """The process's pool of that size (one per configured size, made on first use)."""
    pool = _pools.get(workers)
    if pool is None:
        pool = _pools[workers] = DecodePool(workers)
    return pool


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc: its allocator returns memory by itself or not at all
        return None


_trim = _malloc_trim()


def give_memory_back() -> None:
    """Return the free memory of the C heap to the operating system.

    Pillow allocates pixels in 16 MiB blocks; once one is freed, glibc raises its mmap threshold and
    serves later blocks from arenas it keeps when they are freed, so without this a burst of large
    uploads left the service a gigabyte larger for good.
    """
    if _trim is not None:
        _trim(0)


async def prepare(text: str, settings: Settings) -> CleanImage:
    raw = decode_base64(text, settings.max_image_bytes)
    return await decode_pool(settings.image_workers).clean(raw, allowed_formats(settings), settings.max_image_pixels)


def content_type_of(name: str) -> str:
    extension = name.rpartition(".")[2].lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


class ImageUploads:
    """Files stored for one request; all of them are deleted again unless the request succeeds."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self.settings = settings
        self.stored: list[StoredImage] = []

    async def add(self, text: str) -> StoredImage:
        image = await prepare(text, self.settings)
        name = f"{uuid.uuid4()}.{image.extension}"
        try:
            await self.storage.put(name, image.data, image.content_type)
        except Exception as exc:
            log.warning("image storage unavailable: %s", type(exc).__name__)
            await delete_files(self.storage, [name])
            raise ApiError(503, "Image storage unavailable", headers={"Retry-After": "5"}) from None
        stored = StoredImage(name, image)
        self.stored.append(stored)
        return stored

    async def discard(self) -> None:
        await delete_files(self.storage, [stored.name for stored in self.stored])
        self.stored.clear()


@asynccontextmanager
async def image_uploads(storage: Storage, settings: Settings) -> AsyncIterator[ImageUploads]:
    uploads = ImageUploads(storage, settings)
    try:
        yield uploads
    except BaseException:
        await uploads.discard()
        raise


async def insert_image(conn: AsyncConnection, stored: StoredImage, uploader_id: int | None) -> int:
    result = await conn.execute(images.insert().values(
        file_name=stored.name, content_type=stored.image.content_type, size=len(stored.image.data),
        width=stored.image.width, height=stored.image.height, uploader_id=uploader_id))
    return int(result.inserted_primary_key[0])


async def release_images(conn: AsyncConnection, image_ids: Iterable[int | None]) -> list[str]:
    """Delete the rows of these images that nothing references any more; return their file names.

    Call inside the transaction that dropped the references; delete the files after the commit.
    """
    ids = sorted({image_id for image_id in image_ids if image_id is not None})
    if not ids:
        return []
    unused = (select(images.c.id, images.c.file_name)
              .where(images.c.id.in_(ids),
                     ~exists().where(projects.c.image_id == images.c.id),
                     ~exists().where(sites.c.image_id == images.c.id),
                     ~exists().where(memories.c.image_id == images.c.id)))
    rows = (await conn.execute(unused)).all()
    if rows:
        await conn.execute(delete(images).where(images.c.id.in_([row.id for row in rows])))
    return [row.file_name for row in rows]


async def delete_files(storage: Storage, names: Iterable[str]) -> None:
    """Best effort: a file left behind is garbage, never a broken reference."""
    for name in names:
        try:
            await storage.delete(name)
        except Exception as exc:
            log.warning("could not delete stored image %s: %s", name, type(exc).__name__)
