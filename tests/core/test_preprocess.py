"""core.pictures.preprocess: MNIST's own recipe (crop to the ink, longer side 20 px, centre of mass
at
the centre of 28×28) for drawings of any size, colour scheme and stroke width."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.pictures.preprocess import (
    BOX,
    MAX_PIXELS,
    SIZE,
    ImageRefused,
    centre_of_mass,
    load_image,
    prepare_digit,
    stroke_width,
)

SEVEN = [(70, 50), (210, 50), (120, 240)]


def drawing(size=(280, 280), lines=(SEVEN,), width=20, ink=255, paper=0, mode="L"):
    """Strokes on a canvas (PIL size is width × height), as a NumPy array."""
    im = Image.new(mode, size, paper)
    d = ImageDraw.Draw(im)
    for pts in lines:
        d.line(pts, fill=ink, width=width, joint="curve")
    return np.asarray(im)


def ink_box(image: np.ndarray, level: float = 0.0) -> tuple[int, int]:
    """(height, width) of the box around pixels above `level`."""
    rows = np.flatnonzero((image > level).any(axis=1))
    cols = np.flatnonzero((image > level).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def assert_centred(image: np.ndarray) -> None:
    cy, cx = centre_of_mass(image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5, (cy, cx)


def test_bounding_box_is_the_ink_exactly():
    a = np.zeros((80, 100), np.uint8)
    a[13:61, 27:45] = 255  # rows 13-60, columns 27-44
    p = prepare_digit(a)
    assert p.box == (13, 27, 61, 45)
    assert p.source_size == (80, 100)
    assert not p.empty and not p.inverted


@pytest.mark.parametrize("rect, digit", [((10, 10, 70, 40), (20, 10)),   # tall 60×30 → 20×10
                                         ((5, 20, 35, 110), (7, 20)),    # wide 30×90 → 7×20
                                         ((0, 0, 4, 4), (20, 20))])      # tiny square
def test_longer_side_is_exactly_20_and_aspect_ratio_is_kept(rect, digit):
    top, left, bottom, right = rect
    a = np.zeros((120, 120), np.uint8)
    a[top:bottom, left:right] = 255
    p = prepare_digit(a)
    assert p.image.shape == (SIZE, SIZE) and p.image.dtype == np.float32
    assert p.digit_size == digit
    assert max(ink_box(p.image)) == BOX
    h, w = ink_box(p.image)
    assert abs(h / w - (bottom - top) / (right - left)) <= 0.2 * (bottom - top) / (right - left)
    assert_centred(p.image)
    assert p.image.min() >= 0.0 and p.image.max() <= 1.0


@pytest.mark.parametrize("where", ["centre", "corner", "edge"])
def test_off_centre_drawings_land_in_the_same_place(where):
    shift = {"centre": (0, 0), "corner": (-60, -40), "edge": (55, 30)}[where]
    seven = [(x + shift[0], y + shift[1]) for x, y in SEVEN]
    p = prepare_digit(drawing(lines=(seven,)))
    reference = prepare_digit(drawing()).image
    assert_centred(p.image)
    assert np.abs(p.image - reference).max() < 1e-5


def test_tiny_and_huge_drawings_scale_to_the_same_box():
    tiny = prepare_digit(drawing(lines=([(20, 10), (30, 10), (24, 26)],), width=2))
    huge = prepare_digit(drawing(size=(1200, 1200), lines=([(50, 20), (1150, 20), (450, 1180)],),
                                 width=90))
    for p in (tiny, huge):
        assert max(p.digit_size) == BOX and max(ink_box(p.image)) == BOX
        assert_centred(p.image)
        assert p.image.max() > 0.95


def test_thin_strokes_are_thickened_to_mnist_width():
    p = prepare_digit(drawing(width=1))
    assert p.thickened and p.stroke_px < 0.5
    assert p.image.max() > 0.95
    width = stroke_width(p.image >= 0.5)
    assert 1.8 <= width <= 4.0, width
    regular = prepare_digit(drawing(width=24))
    assert not regular.thickened and regular.stroke_px == pytest.approx(2.4, abs=0.6)


def test_empty_inputs_say_so():
    for blank in (np.zeros((280, 280)), np.full((280, 280), 255, np.uint8),
                  np.full((64, 48, 3), 128, np.uint8), np.zeros((280, 280, 4), np.uint8)):
        p = prepare_digit(blank)
        assert p.empty and p.box is None
        assert p.image.shape == (28, 28) and not p.image.any()


def test_black_on_white_is_inverted():
    white_on_black = prepare_digit(drawing())
    black_on_white = prepare_digit(drawing(ink=0, paper=255))
    assert black_on_white.inverted and not white_on_black.inverted
    np.testing.assert_allclose(black_on_white.image, white_on_black.image, atol=1e-5)
    grey_paper = prepare_digit(drawing(ink=(40, 40, 40), paper=(225, 220, 210), mode="RGB"))
    assert grey_paper.inverted
    assert np.abs(grey_paper.image - white_on_black.image).max() < 0.15


def test_rgba_with_uniform_colour_uses_alpha_as_ink():
    alpha = drawing()
    for rgb in (0, 255):  # black or white pen on a transparent canvas
        rgba = np.zeros((*alpha.shape, 4), np.uint8)
        rgba[..., :3] = rgb
        rgba[..., 3] = alpha
        p = prepare_digit(rgba)
        assert p.alpha_ink and not p.inverted
        np.testing.assert_allclose(p.image, prepare_digit(alpha).image, atol=1e-5)
    opaque = np.dstack([alpha] * 3 + [np.full_like(alpha, 255)])  # the page's canvas
    np.testing.assert_allclose(prepare_digit(opaque).image, prepare_digit(alpha).image,
                               atol=1e-5)


def test_float_bool_and_uint8_inputs_agree():
    a = drawing()
    reference = prepare_digit(a).image
    np.testing.assert_allclose(prepare_digit(a.astype(np.float32) / 255).image, reference,
                               atol=1e-5)
    assert not prepare_digit(a > 127).empty


@pytest.mark.parametrize("shape", [(1, 1), (1, 500), (500, 1), (2, 2), (3, 1)])
def test_any_small_size_works(shape):
    for value in (0, 255):
        a = np.full(shape, value, np.uint8)
        p = prepare_digit(a)
        assert p.image.shape == (28, 28) and p.empty
    a = np.zeros((5, 5), np.uint8)
    a[2, 2] = 255  # one dot
    p = prepare_digit(a)
    assert not p.empty and p.digit_size == (20, 20)


def test_a_photo_sized_image_works_quickly():
    a = drawing(size=(4000, 3000), lines=([(1000, 400), (3000, 400), (1700, 2700)],), width=80,
                ink=(20, 20, 20), paper=(240, 240, 235), mode="RGB")
    start = time.perf_counter()
    p = prepare_digit(a)
    assert time.perf_counter() - start < 10
    assert p.inverted and max(p.digit_size) == BOX
    assert_centred(p.image)


def test_more_than_50_megapixels_is_refused_in_plain_words():
    huge = np.broadcast_to(np.uint8(0), (8000, 7000))  # no memory: a view of one byte
    assert MAX_PIXELS < 8000 * 7000
    with pytest.raises(ImageRefused, match=r"7,000×8,000 pixels \(56 megapixels\).*50 "):
        prepare_digit(huge)
    with pytest.raises(ImageRefused, match="shape"):
        prepare_digit(np.zeros((4, 4, 7)))


def test_load_image_reads_files_and_refuses_the_rest(tmp_path):
    png = io.BytesIO()
    Image.fromarray(drawing(ink=0, paper=255)).save(png, format="PNG")
    a = load_image(png.getvalue())
    assert a.shape == (280, 280) and a.dtype == np.uint8
    path = tmp_path / "seven.jpg"
    Image.fromarray(drawing()).convert("RGB").save(path, quality=90)
    assert load_image(path).shape == (280, 280, 3)
    assert not prepare_digit(load_image(path)).empty
    with pytest.raises(ImageRefused, match="no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageRefused, match="could not be read as an image"):
        load_image(b"not an image")
    with pytest.raises(ImageRefused, match="empty"):
        load_image(b"")
