"""Image uploads: base64 inside JSON → checked, cleaned image file → storage + an `images` row.

The content decides, never a name or a declared type: the bytes must decode with Pillow as one of
MUISTOT_IMAGE_TYPES. The image is re-encoded with its EXIF orientation applied, so EXIF (GPS
included) and other metadata are dropped; the ICC colour profile is kept. Decoding runs in a worker
thread. Stored names are random UUIDs.

Write order (nothing half-written): the file is stored first, then the row is committed; if the
transaction fails, `ImageUploads` deletes the files it stored. Files that nothing references any
more after a commit are removed with `release_images` + `delete_files`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterable
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
    """Standard base64 with padding, optionally behind `data:image/<subtype>;base64,` (§11.1)."""
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


def clean(raw: bytes, formats: set[str]) -> CleanImage:
    """Decode, check and re-encode one image (CPU-bound: call through `asyncio.to_thread`)."""
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            if opened.format not in formats:
                raise bad_image()
            width, height = opened.size
            if width * height > (Image.MAX_IMAGE_PIXELS or 0) > 0:
                raise too_large()
            opened.load()
            kind = opened.format
            icc_profile = opened.info.get("icc_profile")
            transparency = opened.info.get("transparency")
            image = ImageOps.exif_transpose(opened)
    except Image.DecompressionBombError:
        raise too_large() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        # Pillow reports truncated and corrupt files with these.
        raise bad_image() from None
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


async def prepare(text: str, settings: Settings) -> CleanImage:
    raw = decode_base64(text, settings.max_image_bytes)
    return await asyncio.to_thread(clean, raw, allowed_formats(settings))


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
