"""Shared content rules: language negotiation and codes, review states, image cleaning."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from muistot.content.language import pick, to_alpha2
from muistot.content.states import initial_state, is_published, state_after_edit, waiting_approval
from muistot.errors import ApiError
from muistot.images import clean, decode_base64

SUPPORTED = ["fi", "en"]


@pytest.mark.parametrize(("headers", "expected"), [
    (["en-US,en;q=0.5"], "en"),
    (["az,bg,yf,fi-AA,en-US,en;q=0.5"], "fi"),
    (["fi, en"], "fi"),
    (["de, en"], "en"),
    (["de-DE,de;q=0.9"], None),
    (["FI"], "fi"),
    (["fin"], "fi"),
    (["en;q=0.2, fi;q=0.8"], "fi"),
    (["", "  "], None),
    (["sv", "en"], "en"),
    ([None, "fi"], "fi"),
])
def test_language_negotiation(headers, expected):
    assert pick(headers, SUPPORTED) == expected


def test_language_codes():
    assert to_alpha2("fin") == "fi" and to_alpha2("eng") == "en" and to_alpha2("ace") is None
    assert to_alpha2("zz") is None


def test_review_states():
    assert is_published("published") and not is_published("hidden")
    assert waiting_approval("pending") and waiting_approval("rejected") and not waiting_approval("published")
    assert initial_state(True) == "published" and initial_state(False) == "pending"
    assert state_after_edit("published", auto_publish=False) == "pending"
    assert state_after_edit("published", auto_publish=True) == "published"


def test_image_cleaning():
    out = io.BytesIO()
    Image.new("RGBA", (3, 2), (0, 0, 0, 0)).save(out, "PNG")
    cleaned = clean(decode_base64("data:image/png;base64," + base64.b64encode(out.getvalue()).decode(), 1000),
                    {"PNG"})
    assert cleaned.content_type == "image/png" and (cleaned.width, cleaned.height) == (3, 2)
    with pytest.raises(ApiError) as refused:
        clean(out.getvalue(), {"JPEG"})
    assert refused.value.status == 400
    with pytest.raises(ApiError) as too_big:
        decode_base64(base64.b64encode(b"x" * 2000).decode(), 1000)
    assert too_big.value.status == 413
