"""Image uploads inside JSON bodies and `GET /images/{name}` (docs/api.md, "Coordinates and images")."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from muistot.db.tables import images, memories, sites
from muistot_data.app import create_app
from muistot_tooling.testing.plugin import running


def picture(kind: str = "JPEG", size: tuple[int, int] = (40, 20), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x0112] = 6  # orientation: rotate 90° to display
        data[0x010F] = "SecretCam"
        options["exif"] = data.tobytes()
    image.save(out, kind, **options)
    return out.getvalue()


def b64(raw: bytes, prefix: str = "") -> str:
    return prefix + base64.b64encode(raw).decode()


async def counts(db) -> tuple[int, int]:
    async with db.connect() as conn:
        return (await conn.scalar(select(func.count()).select_from(images)),
                await conn.scalar(select(func.count()).select_from(sites)))


def stored_files(data) -> set[str]:
    directory = Path(data.app.state.settings.files_url.removeprefix("file://"))
    return {path.name for path in directory.glob("*")} if directory.exists() else set()


def site_body(site_id: str, image: object, lang: str = "fi") -> dict:
    return {"id": site_id, "info": {"lang": lang, "name": site_id}, "location": {"lat": 60, "lon": 25},
            "image": image}


async def test_upload_is_cleaned_and_served(data, world, content, db):
    site, _ = await content.site(world.project_id, creator=world.admin)
    path = f"/projects/{world.project}/sites/{site}/memories"
    upload = b64(picture(exif=True), "data:image/jpeg;base64,")
    response = await data.post(path, json={"title": "Kuva", "image": upload}, headers=world.owner.headers)
    assert response.status_code == 201
    body = (await data.get(response.headers["location"], headers=world.owner.headers)).json()
    name = body["image"]
    assert name.endswith(".jpeg") and len(name.split(".")[0]) == 36
    served = await data.get(f"/images/{name}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    cleaned = Image.open(io.BytesIO(served.content))
    assert cleaned.size == (20, 40)  # EXIF orientation applied
    assert not cleaned.getexif() and b"SecretCam" not in served.content
    again = await data.get(f"/images/{name}", headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # A site without its own image shows an image of one of its published memories.
    assert "image" not in (await data.get(f"/projects/{world.project}/sites/{site}")).json()
    memory_id = int(response.headers["location"].rsplit("/", 1)[1])
    async with db.transaction() as conn:
        await conn.execute(memories.update().where(memories.c.id == memory_id).values(state="published"))
    shown = (await data.get(f"/projects/{world.project}/sites/{site}", headers=world.admin.headers)).json()
    assert shown["image"] == name


async def test_png_keeps_its_colour_profile(data, world, content):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG", icc_profile=profile)
    site, _ = await content.site(world.project_id)
    response = await data.post(f"/projects/{world.project}/sites/{site}/memories",
                               json={"title": "Profiili", "image": b64(out.getvalue())}, headers=world.owner.headers)
    name = (await data.get(response.headers["location"], headers=world.owner.headers)).json()["image"]
    served = await data.get(f"/images/{name}")
    assert served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).info.get("icc_profile") == profile


async def test_missing_image_redirects_to_placeholder(data):
    response = await data.get("/images/00000000-0000-0000-0000-000000000000.jpeg")
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/images/placeholder.jpg"
    placeholder = await data.get("/images/placeholder.jpg")
    assert placeholder.status_code == 200 and placeholder.headers["content-type"] == "image/jpeg"
    assert (await data.get("/images/favicon.ico")).status_code == 200
    assert (await data.get("/images/a.b.c")).status_code == 422
    assert (await data.get("/images/..%5Cpasswd")).status_code == 422


async def test_fake_and_broken_images_write_nothing(data, world, db):
    path = f"/projects/{world.project}/sites"
    before, files_before = await counts(db), stored_files(data)
    text_as_jpeg = b64(b"just some text, in a file named photo.jpg", "data:image/jpeg;base64,")
    truncated_png = b64(picture("PNG", size=(300, 300))[:200])
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    uppercase_prefix = b64(picture(), "data:image/JPEG;base64,")
    for index, image in enumerate([text_as_jpeg, truncated_png, b64(gif.getvalue()), "not base64!", uppercase_prefix]):
        response = await data.post(path, json=site_body(f"bad-image-{index}", image), headers=world.owner.headers)
        assert response.status_code == 400, index
        assert response.json() == {"error": {"code": 400, "message": "Bad image"}}
    number = await data.post(path, json=site_body("number-image", 5), headers=world.owner.headers)
    assert number.status_code == 422
    assert await counts(db) == before and stored_files(data) == files_before


async def test_oversized_bodies_and_images(data, world, db):
    path = f"/projects/{world.project}/sites"
    before, files_before = await counts(db), stored_files(data)
    json_headers = world.owner.headers | {"Content-Type": "application/json"}
    response = await data.post(path, content=b"x" * (50 * 1024 * 1024), headers=json_headers)
    assert response.status_code == 413 and response.json()["error"]["code"] == 413

    async def stream():
        for _ in range(50):
            yield b" " * (1024 * 1024)

    streamed = await data.post(path, content=stream(), headers=json_headers)
    assert streamed.status_code == 413 and streamed.json()["error"]["message"] == "Request body too large"
    # Under the body cap but over MUISTOT_MAX_IMAGE_BYTES once decoded.
    too_big = b64(b"\xff" * (data.app.state.settings.max_image_bytes + 10))
    response = await data.post(path, json=site_body("too-big", too_big), headers=world.owner.headers)
    assert response.status_code == 413
    # A decompression bomb: tiny file, huge canvas.
    bomb = io.BytesIO()
    Image.new("1", (20000, 10000)).save(bomb, "PNG")
    response = await data.post(path, json=site_body("bomb", b64(bomb.getvalue())), headers=world.owner.headers)
    assert response.status_code == 413
    assert await counts(db) == before and stored_files(data) == files_before


async def test_replacing_and_deleting_release_unused_images(data, world):
    path = f"/projects/{world.project}/sites"
    created = await data.post(path, json=site_body("with-image", b64(picture())), headers=world.owner.headers)
    assert created.status_code == 201
    site_path = f"{path}/with-image"
    first = (await data.get(site_path, headers=world.owner.headers)).json()["image"]
    assert first in stored_files(data)
    replaced = await data.patch(site_path, json={"image": b64(picture("PNG"))}, headers=world.owner.headers)
    assert replaced.status_code == 204
    second = (await data.get(site_path, headers=world.owner.headers)).json()["image"]
    assert second != first and first not in stored_files(data) and second in stored_files(data)
    assert (await data.get(f"/images/{first}")).status_code == 303
    memory = await data.post(f"{site_path}/memories", json={"title": "m", "image": b64(picture())},
                             headers=world.admin.headers)
    memory_image = (await data.get(memory.headers["location"], headers=world.admin.headers)).json()["image"]
    assert (await data.delete(site_path, headers=world.owner.headers)).status_code == 204
    assert second not in stored_files(data) and memory_image not in stored_files(data)


async def test_failed_commit_deletes_the_stored_file(test_settings, world, db):
    """The image is stored before the rows; when the database refuses them, the file goes too.

    Here the server offers a language the schema has no row for, so the info insert fails on its
    foreign key after the image was stored.
    """
    settings = test_settings.model_copy(update={"languages": "fi,en,de"})
    app = create_app(settings)
    async with running(app) as client:
        client.app = app
        before, files_before = await counts(db), stored_files(client)
        response = await client.post(f"/projects/{world.project}/sites",
                                     json=site_body("german-site", b64(picture()), lang="de"),
                                     headers=world.owner.headers)
        assert response.status_code == 409
        assert await counts(db) == before and stored_files(client) == files_before
