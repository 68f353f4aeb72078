"""One digit pipeline: Feature maps' upload and Draw a digit's canvas read the same picture into
the same 28×28 input, because both go through core.pictures.preprocess.prepare_digit."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.pictures.preprocess import prepare_digit
from playground.digits.feature_maps_views import prepare_upload

SEVEN = [(60, 50), (220, 50), (120, 240)]


def _encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _canvas(width: int) -> Image.Image:
    """What the Draw page's canvas sends: white ink on an opaque black 280×280 square."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(image).line(SEVEN, fill=(255, 255, 255, 255), width=width)
    return image


def _paper() -> Image.Image:
    """A photo of a digit on off-white paper (dark ink, light background)."""
    image = Image.new("RGB", (400, 300), (245, 242, 235))
    ImageDraw.Draw(image).line([(150, 60), (250, 60), (190, 260)], fill=(20, 20, 60), width=18)
    return image


def _transparent() -> Image.Image:
    """Black ink on a transparent background, as drawing apps export."""
    image = Image.new("RGBA", (120, 90), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(60, 10), (60, 80)], fill=(0, 0, 0, 255), width=9)
    return image


def _grey_on_white() -> Image.Image:
    image = Image.new("L", (200, 160), 255)
    ImageDraw.Draw(image).line([(120, 20), (120, 140)], fill=0, width=14)
    return image


@pytest.mark.parametrize(("picture", "fmt"), [
    (_canvas(22), "PNG"),
    (_canvas(3), "PNG"),  # thin strokes: both pages thicken them
    (_paper(), "JPEG"),
    (_transparent(), "PNG"),
    (_grey_on_white(), "PNG"),
])
def test_feature_maps_and_draw_read_a_picture_identically(picture: Image.Image, fmt: str):
    data = _encoded(picture, fmt)
    drawn = prepare_digit(np.asarray(Image.open(io.BytesIO(data))))  # the Draw page's path
    uploaded = prepare_upload(data, (1, 28, 28))  # the Feature maps page's path
    assert not drawn.empty
    assert uploaded.x.shape == (1, 28, 28) and uploaded.x.dtype == np.float32
    np.testing.assert_array_equal(uploaded.x[0], drawn.image)
    np.testing.assert_array_equal(uploaded.display, drawn.image)
    assert uploaded.notes == drawn.notes


def test_forced_inversion_reaches_the_shared_pipeline():
    data = _encoded(_grey_on_white())
    kept = prepare_upload(data, (1, 28, 28), invert=False)
    assert kept.notes and not any("inverted" in n for n in kept.notes)
    np.testing.assert_array_equal(
        kept.x[0], prepare_digit(np.asarray(Image.open(io.BytesIO(data))), invert=False).image)
