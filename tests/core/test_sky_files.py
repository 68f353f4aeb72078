"""Reading galaxy pictures (core.galaxies.sky_files): every file is made here in memory (Pillow,
NumPy,
astropy.io.fits); each unusable one must end in ImageRefused with a plain sentence, and each
readable one must come back with the right numbers, orientation and notes."""

from __future__ import annotations

import gzip
import io
import struct
import time
import zlib

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image, ImageFile

from core.galaxies import sky_files
from core.galaxies.galaxy_prep import to_display
from core.galaxies.sky_files import SkyImage, choose_planes, read_sky_file, reduce_to
from core.pictures.preprocess import ImageRefused


# ----- making files ------------------------------------------------------------------------------
def image_bytes(image: Image.Image | np.ndarray, fmt: str = "PNG", **options) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def fits_bytes(*hdus) -> bytes:
    hdus = list(hdus)
    if not isinstance(hdus[0], fits.PrimaryHDU):
        hdus.insert(0, fits.PrimaryHDU())
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    return buffer.getvalue()


def with_size(png: bytes, width: int, height: int) -> bytes:
    """The same PNG with its IHDR saying another size (CRC fixed): a header that lies."""
    assert png[12:16] == b"IHDR"
    body = struct.pack(">II", width, height) + png[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + body) & 0xFFFFFFFF)
    return png[:16] + body + crc + png[33:]


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Sizes of the images Pillow decodes (ImageFile.load) while the test runs."""
    calls: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def spy(self):
        calls.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def noisy_rgb(h: int = 64, w: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


# ----- files that cannot be used ------------------------------------------------------------------
def test_empty_file_is_refused() -> None:
    with pytest.raises(ImageRefused, match=r"the file is empty \(0 bytes\)"):
        read_sky_file("galaxy.png", b"")


def test_pdf_named_jpg_is_called_a_pdf() -> None:
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
    with pytest.raises(ImageRefused, match="this is a PDF document, not an image"):
        read_sky_file("galaxy.jpg", pdf)


def test_other_junk_is_refused_plainly() -> None:
    for junk in (b"<html><body>not a picture</body></html>", bytes(range(256)) * 8):
        with pytest.raises(ImageRefused, match="could not be read as an image"):
            read_sky_file("galaxy.png", junk)


def test_truncated_jpeg_is_refused_not_a_traceback() -> None:
    jpeg = image_bytes(noisy_rgb(), "JPEG", quality=90)
    assert read_sky_file("ok.jpg", jpeg).data.shape == (64, 64, 3)  # the whole file reads
    with pytest.raises(ImageRefused, match="could not be read as an image: it may be damaged"):
        read_sky_file("galaxy.jpg", jpeg[: len(jpeg) // 2])


def test_decompression_bomb_is_refused_from_its_header(decoded: list) -> None:
    bomb = image_bytes(Image.new("1", (8000, 8000)))  # 64 megapixels in a few kilobytes
    assert len(bomb) < 20_000
    with pytest.raises(ImageRefused, match=r"8,000×8,000 pixels \(64 megapixels\), more than "
                                           r"the 40 megapixels"):
        read_sky_file("bomb.png", bomb)
    assert decoded == []  # refused before a pixel was decoded


def test_huge_header_is_refused_with_its_size_quickly(decoded: list) -> None:
    lie = with_size(image_bytes(np.zeros((8, 8), np.uint8)), 30_000, 30_000)
    start = time.perf_counter()
    with pytest.raises(ImageRefused, match=r"the image is 30,000×30,000 pixels \(900 "
                                           r"megapixels\)"):
        read_sky_file("huge.png", lie)
    assert time.perf_counter() - start < 1.0
    assert decoded == []


def test_pillow_bomb_guard_stays_on_behind_our_limit(monkeypatch: pytest.MonkeyPatch,
                                                     decoded: list) -> None:
    """With this module's own limit lifted, Pillow's guard still refuses: it was never
    switched off (and is not changed by reading)."""
    limit = Image.MAX_IMAGE_PIXELS
    monkeypatch.setattr(sky_files, "MAX_PIXELS", 10**12)
    small = image_bytes(np.zeros((8, 8), np.uint8))
    for width, height in ((10_000, 10_000), (30_000, 30_000)):  # Pillow's warning, its error
        with pytest.raises(ImageRefused, match=f"too large \\({width:,}×{height:,} pixels\\)"):
            read_sky_file("huge.png", with_size(small, width, height))
    assert decoded == []
    assert limit == Image.MAX_IMAGE_PIXELS  # the guard was not touched


# ----- photos -------------------------------------------------------------------------------------
def test_8bit_rgb_png_is_display_ready() -> None:
    rgb = noisy_rgb(20, 30)
    sky = read_sky_file("photo.png", image_bytes(rgb))
    assert (sky.kind, sky.raw, sky.cube, sky.planes) == ("PNG", False, False, 1)
    assert sky.data.dtype == np.float32 and sky.data.shape == (20, 30, 3)
    np.testing.assert_array_equal(sky.data, rgb.astype(np.float32) / np.float32(255))
    assert sky.original_size == (20, 30) and sky.notes == []


def test_16bit_png_is_raw_and_keeps_the_order_of_values() -> None:
    rng = np.random.default_rng(1)
    values = rng.permutation(np.arange(0, 60_000, 15, dtype=np.uint16))[:40 * 50]
    grey = values.reshape(40, 50)
    png = image_bytes(grey)
    assert Image.open(io.BytesIO(png)).mode == "I;16"
    sky = read_sky_file("deep.png", png)
    assert sky.raw and sky.kind == "PNG (16-bit)" and sky.data.shape == (40, 50)
    assert sky.data.dtype == np.float32
    # scaled to the brightest pixel, every value kept in the same order
    np.testing.assert_allclose(sky.data, grey / grey.max(), rtol=1e-6)
    np.testing.assert_array_equal(np.argsort(sky.data, axis=None), np.argsort(grey, axis=None))


def test_float_tiff_is_raw_floating_point() -> None:
    ramp = np.linspace(0, 3, 24 * 16, dtype=np.float32).reshape(24, 16)
    sky = read_sky_file("deep.tif", image_bytes(Image.fromarray(ramp, mode="F"), "TIFF"))
    assert sky.raw and sky.kind == "TIFF (floating point)"
    np.testing.assert_allclose(sky.data, ramp / 3, rtol=1e-6)


def test_cmyk_jpeg_becomes_rgb_with_a_note() -> None:
    jpeg = image_bytes(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)
    assert Image.open(io.BytesIO(jpeg)).mode == "CMYK"
    sky = read_sky_file("print.jpg", jpeg)
    assert sky.kind == "JPEG" and not sky.raw and sky.data.shape == (16, 16, 3)
    np.testing.assert_allclose(sky.data[8, 8], [1, 0, 0], atol=0.02)  # no cyan nor yellow ink
    assert sky.notes == ["CMYK colours converted to RGB"]


def test_rgba_png_is_composited_over_black_with_a_note() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[...] = (200, 100, 50, 255)
    rgba[0, 0, 3] = 0
    rgba[1, 1, 3] = 128
    sky = read_sky_file("cutout.png", image_bytes(rgba))
    assert sky.data.shape == (4, 4, 3)
    colour = np.array([200, 100, 50], np.float32) / 255
    np.testing.assert_allclose(sky.data[2, 2], colour, rtol=1e-6)
    np.testing.assert_allclose(sky.data[1, 1], colour * (128 / 255), rtol=1e-6)
    np.testing.assert_array_equal(sky.data[0, 0], [0, 0, 0])
    assert sky.notes == ["transparent parts are shown as black sky"]
    opaque = rgba.copy()
    opaque[..., 3] = 255
    assert read_sky_file("opaque.png", image_bytes(opaque)).notes == []


def test_palette_png_becomes_rgb_with_a_note() -> None:
    palette = Image.new("P", (6, 5))
    palette.putpalette([0, 0, 0, 255, 128, 0] + [0] * 762)
    palette.putpixel((4, 2), 1)
    sky = read_sky_file("map.png", image_bytes(palette))
    assert sky.data.shape == (5, 6, 3) and not sky.raw
    np.testing.assert_allclose(sky.data[2, 4], [1, 128 / 255, 0], rtol=1e-6)
    assert sky.data[0, 0].tolist() == [0, 0, 0]
    assert sky.notes == ["palette colours converted to RGB"]


def test_animated_gif_uses_its_first_frame() -> None:
    frames = [Image.new("L", (10, 8), level) for level in (50, 150, 250)]
    gif = image_bytes(frames[0], "GIF", save_all=True, append_images=frames[1:])
    sky = read_sky_file("blink.gif", gif)
    assert sky.kind == "GIF" and sky.data.shape == (8, 10, 3)
    np.testing.assert_allclose(sky.data, 50 / 255, rtol=1e-6)
    assert sky.notes[0] == "the file holds 3 frames; the first one is used"


def test_big_image_is_reduced_at_once_with_a_note() -> None:
    grey = np.tile((np.arange(5000) % 251).astype(np.uint8), (300, 1))  # 5000 wide, 300 high
    sky = read_sky_file("strip.png", image_bytes(grey))
    assert sky.original_size == (300, 5000)
    assert sky.data.shape == (100, 1666) and sky.data.dtype == np.float32  # 3× block average
    assert sky.notes == ["reduced 3× to 1,666×100 pixels for framing"]
    expected = grey[:300, :4998].reshape(100, 3, 1666, 3).mean(axis=(1, 3)) / 255
    np.testing.assert_allclose(sky.data, expected, rtol=1e-5)


def test_reduce_to_leaves_small_images_alone() -> None:
    notes: list[str] = []
    image = np.ones((10, 20, 3), np.float32)
    assert reduce_to(image, 20, notes) is image and notes == []
    assert reduce_to(image, 9, notes).shape == (3, 6, 3)  # factor 3: a whole factor
    assert notes == ["reduced 3× to 6×3 pixels for framing"]


def test_all_zero_png_is_blank() -> None:
    sky = read_sky_file("black.png", image_bytes(np.zeros((16, 16), np.uint8)))
    with pytest.raises(ImageRefused, match=r"the image is blank: every pixel has the same "
                                           r"value \(0\)"):
        to_display(sky)


# ----- FITS ---------------------------------------------------------------------------------------
def test_fits_rows_are_flipped_to_draw_top_row_first() -> None:
    array = np.arange(12 * 7, dtype=np.float32).reshape(12, 7)
    sky = read_sky_file("m51.fits", fits_bytes(fits.PrimaryHDU(array)))
    assert (sky.kind, sky.raw, sky.cube, sky.original_size) == ("FITS", True, False, (12, 7))
    np.testing.assert_array_equal(sky.data[-1], array[0])  # FITS row 0 is the bottom row
    np.testing.assert_array_equal(sky.data, array[::-1])
    assert sky.notes == []


def test_fits_is_told_by_its_first_bytes_whatever_the_name() -> None:
    array = np.eye(8, dtype=np.float32)
    sky = read_sky_file("upload.bin", fits_bytes(fits.PrimaryHDU(array)))
    assert sky.kind == "FITS" and sky.data.shape == (8, 8)


def test_gzipped_fits_is_read() -> None:
    array = np.arange(64, dtype=np.float32).reshape(8, 8)
    sky = read_sky_file("field.fits.gz", gzip.compress(fits_bytes(fits.PrimaryHDU(array))))
    np.testing.assert_array_equal(sky.data, array[::-1])


def test_scaled_integer_fits_keeps_its_values() -> None:
    array = (np.arange(32 * 32).reshape(32, 32) * 61).astype(np.uint16)  # astropy: BZERO 32768
    sky = read_sky_file("counts.fits", fits_bytes(fits.PrimaryHDU(array)))
    np.testing.assert_array_equal(sky.data, array[::-1].astype(np.float32))


def test_fits_nan_and_inf_become_the_median_with_a_count() -> None:
    array = np.arange(100, dtype=np.float32).reshape(10, 10)
    array[0, 0] = np.nan
    array[3, 4] = np.inf
    array[9, 9] = -np.inf
    array[5, 5] = np.nan
    sky = read_sky_file("holes.fits", fits_bytes(fits.PrimaryHDU(array)))
    median = np.float32(np.median(array[np.isfinite(array)]))
    flipped = array[::-1]
    assert np.isfinite(sky.data).all()
    bad = ~np.isfinite(flipped)
    np.testing.assert_array_equal(sky.data[bad], median)
    np.testing.assert_array_equal(sky.data[~bad], flipped[~bad])
    assert sky.notes == ["4 NaN or infinite pixels set to the median level"]


def test_fits_all_nan_is_refused() -> None:
    array = np.full((8, 8), np.nan, np.float32)
    with pytest.raises(ImageRefused, match="every pixel of the FITS image is NaN or infinite"):
        read_sky_file("void.fits", fits_bytes(fits.PrimaryHDU(array)))


def test_fits_without_image_says_so() -> None:
    table = fits.BinTableHDU.from_columns([fits.Column(name="flux", format="E",
                                                       array=np.ones(5))])
    with pytest.raises(ImageRefused, match=r"this FITS file holds no image \(it holds: Primary "
                                           r"HDU, BinTable HDU\)"):
        read_sky_file("catalogue.fits", fits_bytes(fits.PrimaryHDU(), table))


def test_fits_in_an_image_extension_after_an_empty_primary_is_read() -> None:
    array = np.arange(20 * 30, dtype=np.float32).reshape(20, 30)
    sky = read_sky_file("hst.fits", fits_bytes(fits.PrimaryHDU(), fits.ImageHDU(array)))
    np.testing.assert_array_equal(sky.data, array[::-1])


def test_fits_length_one_axes_are_dropped_with_a_note() -> None:
    array = np.arange(32 * 32, dtype=np.float32).reshape(1, 32, 32)
    sky = read_sky_file("plane.fits", fits_bytes(fits.PrimaryHDU(array)))
    assert not sky.cube and sky.data.shape == (32, 32)
    np.testing.assert_array_equal(sky.data, array[0, ::-1])
    assert sky.notes == ["axes of length 1 dropped (shape 1 × 32 × 32)"]


def test_fits_4d_cube_is_refused_by_its_axes() -> None:
    array = np.zeros((2, 3, 16, 16), np.float32)
    with pytest.raises(ImageRefused, match=r"the FITS image has 4 axes \(shape 2 × 3 × 16 × "
                                           r"16\); only 2-D images and 3-D cubes"):
        read_sky_file("hyper.fits", fits_bytes(fits.PrimaryHDU(array)))


def test_fits_1d_spectrum_is_not_an_image() -> None:
    with pytest.raises(ImageRefused, match=r"the FITS data is not an image \(shape 1 × 50\)"):
        read_sky_file("spectrum.fits", fits_bytes(fits.PrimaryHDU(np.ones((1, 50)))))


def test_fits_cube_planes_by_index_and_as_rgb() -> None:
    planes = np.stack([np.full((20, 24), 10.0 * (p + 1), np.float32) for p in range(3)])
    planes[:, 0, :] += 1  # FITS row 0: the bottom row once read
    sky = read_sky_file("bands.fits", fits_bytes(fits.PrimaryHDU(planes)))
    assert sky.cube and sky.planes == 3 and sky.data.shape == (3, 20, 24)
    assert sky.notes == ["a cube of 3 planes"]
    with pytest.raises(ImageRefused, match="pick a plane of the cube"):
        to_display(sky)

    one = choose_planes(sky, plane=1)
    assert not one.cube and one.data.shape == (20, 24) and one.raw
    np.testing.assert_array_equal(one.data, planes[1, ::-1])
    assert one.notes == ["a cube of 3 planes", "plane 1 of 3"]
    assert choose_planes(sky).notes[-1] == "plane 0 of 3"

    colour = choose_planes(sky, rgb=(2, 0, 1))
    assert colour.data.shape == (20, 24, 3)
    assert colour.data[5, 5].tolist() == [30.0, 10.0, 20.0]
    assert colour.data[-1, 0].tolist() == [31.0, 11.0, 21.0]
    assert colour.notes[-1] == "planes 2, 0, 1 shown as red, green, blue"
    assert to_display(colour).shape == (20, 24, 3)

    with pytest.raises(ImageRefused, match="the cube has planes 0 to 2; there is no plane 3"):
        choose_planes(sky, plane=3)
    with pytest.raises(ImageRefused, match=r"cannot use \[0, 1, 5\]"):
        choose_planes(sky, rgb=(0, 1, 5))
    flat = SkyImage(np.ones((4, 4), np.float32), True, "FITS")
    assert choose_planes(flat, plane=7) is flat  # not a cube: as it is


def test_fits_oversized_header_is_refused_before_reading_data() -> None:
    header = fits.Header([("SIMPLE", True), ("BITPIX", -32), ("NAXIS", 2),
                          ("NAXIS1", 30_000), ("NAXIS2", 30_000)])
    start = time.perf_counter()
    with pytest.raises(ImageRefused, match=r"the FITS image is 30,000×30,000 pixels, more "
                                           r"than the 40 megapixels"):
        read_sky_file("survey.fits", header.tostring().encode())  # header only: no data at all
    assert time.perf_counter() - start < 1.0
    header["NAXIS"], header["NAXIS1"], header["NAXIS2"], header["NAXIS3"] = 3, 4000, 1000, 40
    with pytest.raises(ImageRefused, match=r"160,000,000 values \(shape 40 × 1000 × 4000\)"):
        read_sky_file("cube.fits", header.tostring().encode())


def test_truncated_or_damaged_fits_is_refused() -> None:
    whole = fits_bytes(fits.PrimaryHDU(np.ones((64, 64), np.float32)))
    with pytest.raises(ImageRefused, match="could not be read: the file may be truncated"):
        read_sky_file("cut.fits", whole[: len(whole) // 2])
    with pytest.raises(ImageRefused, match="could not be read as FITS"):
        read_sky_file("cut.fits", whole[:2000])  # not even a whole header


def test_all_zero_fits_is_blank() -> None:
    sky = read_sky_file("dark.fits", fits_bytes(fits.PrimaryHDU(np.zeros((16, 16), np.float32))))
    with pytest.raises(ImageRefused, match="the image is blank"):
        to_display(sky)
