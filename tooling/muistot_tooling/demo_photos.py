"""Photos for the demo data set, drawn with Pillow: small JPEGs of a place under a sky, the same for a seed.

Not real photographs, but pictures a museum's demo can show: a sky of the time of day and year, a sun or a
moon, a far shore of forest, water or a field, and the place's building (a house, a church, a mill, a stadium,
a lighthouse, a harbour), in colour or in the sepia of an old print.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter, ImageOps

WIDTH, HEIGHT = 480, 320
SKIES = {  # top and horizon colour
    "day": ((96, 150, 214), (196, 222, 240)),
    "evening": ((58, 66, 128), (244, 160, 96)),
    "winter": ((150, 170, 196), (232, 236, 240)),
    "night": ((16, 22, 52), (60, 72, 120)),
}
GROUND = {"day": (86, 128, 64), "evening": (64, 78, 52), "winter": (236, 238, 242), "night": (30, 38, 40)}
KINDS = ("house", "church", "mill", "stadium", "lighthouse", "harbour", "factory", "school")


def _gradient(draw: ImageDraw.ImageDraw, top: tuple[int, int, int], bottom: tuple[int, int, int], height: int) -> None:
    for y in range(height):
        mix = y / max(1, height - 1)
        draw.line([(0, y), (WIDTH, y)], fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)))


def _forest(draw: ImageDraw.ImageDraw, rng: random.Random, horizon: int, colour: tuple[int, int, int]) -> None:
    x = -10
    while x < WIDTH + 10:
        height = rng.randint(14, 40)
        width = rng.randint(8, 16)
        draw.polygon([(x, horizon), (x + width // 2, horizon - height), (x + width, horizon)], fill=colour)
        x += rng.randint(5, 11)


def _building(draw: ImageDraw.ImageDraw, rng: random.Random, kind: str, base: int, night: bool) -> None:
    wall = rng.choice([(168, 52, 44), (222, 196, 120), (236, 232, 220), (120, 96, 72), (196, 180, 150)])
    roof = rng.choice([(60, 60, 66), (120, 40, 36), (70, 86, 70)])
    window = (250, 224, 140) if night else (60, 80, 110)
    x = rng.randint(WIDTH // 5, WIDTH // 2)
    if kind == "church":
        draw.rectangle([x, base - 70, x + 120, base], fill=wall)
        draw.polygon([(x - 6, base - 70), (x + 60, base - 110), (x + 126, base - 70)], fill=roof)
        draw.rectangle([x + 120, base - 130, x + 150, base], fill=wall)
        draw.polygon([(x + 116, base - 130), (x + 135, base - 180), (x + 154, base - 130)], fill=roof)
        draw.line([(x + 135, base - 180), (x + 135, base - 196)], fill=(40, 40, 40), width=2)
        draw.line([(x + 129, base - 190), (x + 141, base - 190)], fill=(40, 40, 40), width=2)
    elif kind == "mill":
        draw.rectangle([x, base - 80, x + 60, base], fill=wall)
        draw.polygon([(x - 4, base - 80), (x + 30, base - 110), (x + 64, base - 80)], fill=roof)
        hub = (x + 30, base - 96)
        for dx, dy in ((50, -40), (-50, 40), (40, 50), (-40, -50)):
            draw.line([hub, (hub[0] + dx, hub[1] + dy)], fill=(90, 70, 50), width=6)
    elif kind == "stadium":
        draw.rectangle([x - 40, base - 40, x + 220, base], fill=(226, 226, 216))
        draw.rectangle([x + 150, base - 150, x + 170, base - 40], fill=(238, 238, 230))
        for step in range(4):
            draw.line([(x - 40, base - 10 - step * 9), (x + 220, base - 10 - step * 9)], fill=(180, 180, 170))
    elif kind == "lighthouse":
        draw.polygon([(x + 10, base), (x + 20, base - 150), (x + 40, base - 150), (x + 50, base)], fill=(236, 236, 236))
        for band in range(3):
            top = base - 130 + band * 45
            draw.rectangle([x + 15, top, x + 45, top + 14], fill=(190, 40, 36))
        draw.rectangle([x + 18, base - 168, x + 42, base - 150], fill=(250, 232, 150) if night else (60, 70, 80))
    elif kind == "harbour":
        for mast in range(3):
            mx = x + mast * 70
            draw.polygon([(mx - 30, base - 6), (mx + 30, base - 6), (mx + 20, base + 8), (mx - 20, base + 8)],
                         fill=rng.choice([(120, 60, 40), (40, 60, 90), (230, 230, 220)]))
            draw.line([(mx, base - 6), (mx, base - 90)], fill=(60, 50, 40), width=3)
            draw.polygon([(mx + 2, base - 86), (mx + 2, base - 20), (mx + 40, base - 20)], fill=(240, 236, 220))
        return
    elif kind == "factory":
        draw.rectangle([x, base - 70, x + 180, base], fill=(150, 70, 56))
        for tooth in range(4):
            draw.polygon([(x + tooth * 45, base - 70), (x + tooth * 45 + 45, base - 70),
                          (x + tooth * 45 + 45, base - 90)], fill=(110, 50, 40))
        draw.rectangle([x + 150, base - 160, x + 166, base - 70], fill=(130, 60, 48))
    else:  # house, school
        width = 150 if kind == "school" else 90
        draw.rectangle([x, base - 60, x + width, base], fill=wall)
        draw.polygon([(x - 8, base - 60), (x + width // 2, base - 100), (x + width + 8, base - 60)], fill=roof)
    if kind in ("house", "school", "church", "factory"):
        for column in range(3):
            left = x + 12 + column * 30
            draw.rectangle([left, base - 45, left + 14, base - 25], fill=window)


def demo_photo(seed: int | str, kind: str = "house", *, old: bool = False) -> bytes:
    """A JPEG of a `kind` of place; `old` gives the sepia of an old print. The same arguments, the same bytes."""
    rng = random.Random(f"photo:{seed}:{kind}:{old}")
    moment = rng.choice(list(SKIES))
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(HEIGHT // 2, HEIGHT * 2 // 3)
    _gradient(draw, *SKIES[moment], horizon)
    sun_x, sun_y = rng.randint(40, WIDTH - 40), rng.randint(30, horizon - 50)
    sun = (252, 248, 220) if moment == "night" else (255, 236, 170)
    draw.ellipse([sun_x - 18, sun_y - 18, sun_x + 18, sun_y + 18], fill=sun)
    water = kind in ("harbour", "lighthouse") or rng.random() < 0.3
    ground = (70, 110, 150) if water and moment != "winter" else GROUND[moment]
    draw.rectangle([0, horizon, WIDTH, HEIGHT], fill=ground)
    if water:
        for _ in range(40):
            y = rng.randint(horizon + 4, HEIGHT)
            x = rng.randint(0, WIDTH)
            draw.line([(x, y), (x + rng.randint(10, 40), y)], fill=tuple(min(255, c + 40) for c in ground))
    _forest(draw, rng, horizon, (34, 58, 40) if moment != "night" else (12, 20, 18))
    _building(draw, rng, kind if kind in KINDS else "house", horizon + rng.randint(20, 50), moment == "night")
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    if old:
        image = ImageOps.colorize(ImageOps.grayscale(image), black=(40, 28, 18), white=(240, 226, 196))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
