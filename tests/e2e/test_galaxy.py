"""Classify galaxies in the real browser: a JPEG and a FITS file (both made here: an elliptical
galaxy's light on sky noise) uploaded together through the Streamlit file uploader and
classified by the shipped galaxy CNN; a broken file among good ones is named in an error while
the good one is still classified; "Try an example" adds held-out Galaxy Zoo galaxies with their
true classes. Uses the shipped `galaxy_cnn.safetensors` (required by
tests/core/test_shipped_models.py); the examples also need galaxy_zoo1_sdss.npz in
PLAYGROUND_DATA_DIR."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import assert_no_exception, open_app, wait_for_app

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("PLAYGROUND_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")
SLOW_MS = 90_000  # first model load and classification on a busy 2-core box


HEADING = re.compile(r"( · \d+%|^Unsure: .+ \d+% or .+ \d+%)$")
"""The call: "### elliptical · 87%", or below the model's threshold "### Unsure: elliptical 48% or
spiral 31%"."""
NAN_PIXELS = 7


# ----- synthetic galaxies -----------------------------------------------------------------------
def galaxy_light(side: int, seed: int) -> np.ndarray:
    """(side, side) float sky: a tilted elliptical galaxy (de Vaucouleurs-like profile, axis
    ratio 0.7) in the centre, a faint star, and Gaussian sky noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype(np.float64) - (side - 1) / 2
    angle = np.deg2rad(35)
    u = x * np.cos(angle) + y * np.sin(angle)
    v = (-x * np.sin(angle) + y * np.cos(angle)) / 0.7
    r = np.hypot(u, v) / (side / 14)
    light = np.exp(-7.67 * (r ** 0.25 - 1))
    sy, sx = side * 0.2, side * 0.75
    light += 40 * np.exp(-((y + side / 2 - sy) ** 2 + (x + side / 2 - sx) ** 2) / 2)
    return light + rng.normal(0, 0.3, size=light.shape)


def jpeg_bytes(seed: int = 0, side: int = 256) -> bytes:
    """An 8-bit RGB JPEG of a yellowish elliptical, as an SDSS cut-out would look."""
    from PIL import Image

    light = galaxy_light(side, seed)
    grey = np.clip(light / np.percentile(light, 99.7), 0, 1)
    rgb = np.stack([grey, grey * 0.9, grey * 0.75], axis=-1)
    image = Image.fromarray((rgb * 255).round().astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def fits_bytes(seed: int = 1, side: int = 160) -> bytes:
    """A single-plane FITS image of raw float32 counts (sky level 100) with a few NaN pixels,
    as a CCD frame with dead pixels would have."""
    from astropy.io import fits

    counts = (100 + 25 * galaxy_light(side, seed)).astype(np.float32)
    counts[3, 5:5 + NAN_PIXELS] = np.nan
    hdu = fits.PrimaryHDU(counts)
    hdu.header["BUNIT"] = "counts"
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def upload(page: Page, files: list[tuple[str, str, bytes]]) -> None:
    """Give the page's file uploader these (name, MIME type, bytes) files at once."""
    dropzone = (page.get_by_test_id("stFileUploader").filter(has_text="Galaxy pictures")
                .get_by_test_id("stFileUploaderDropzoneInput"))
    expect(dropzone).to_be_attached(timeout=SLOW_MS)
    dropzone.set_input_files([{"name": n, "mimeType": m, "buffer": b} for n, m, b in files])
    uploaded = (page.get_by_test_id("stFileUploader").filter(has_text="Galaxy pictures")
                .get_by_test_id("stFileChip"))
    expect(uploaded).to_have_count(len(files), timeout=SLOW_MS)


def top_heading(page: Page) -> Locator:
    return page.get_by_role("heading", name=HEADING)


def open_galaxies(page: Page, base_url: str) -> None:
    # tall enough that the screenshots show the detail view (Streamlit scrolls inside the page,
    # so a full-page screenshot is only the viewport)
    page.set_viewport_size({"width": 1400, "height": 2000})
    open_app(page, base_url, "galaxies", timeout_ms=SLOW_MS)
    expect(page.get_by_role("heading", name="Classify galaxies")).to_be_visible()
    expect(page.get_by_text("No galaxy model is here")).to_have_count(0)
    expect(page.get_by_text("This model cannot be used")).to_have_count(0)


def shoot(page: Page, path: Path) -> None:
    """Screenshot with the mouse off any widget (no tooltip in the picture)."""
    page.mouse.move(1, 1)
    page.screenshot(path=str(path), full_page=True)


def no_traceback(page: Page) -> None:
    assert_no_exception(page)
    assert "Traceback" not in page.locator('[data-testid="stApp"]').inner_text()


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the Streamlit selectbox labelled `label`."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


# ----- the tests --------------------------------------------------------------------------------
def test_jpeg_and_fits_together_are_classified_with_chart_and_grad_cam(
        app_server: str, page: Page, artifacts_dir: Path) -> None:
    open_galaxies(page, app_server)
    expect(page.get_by_text("Upload one or more pictures")).to_be_visible()
    upload(page, [("elliptical.jpg", "image/jpeg", jpeg_bytes()),
                  ("ccd_frame.fits", "application/fits", fits_bytes())])

    heading = top_heading(page)
    expect(heading).to_be_visible(timeout=SLOW_MS)
    wait_for_app(page, SLOW_MS)
    # one table for both files, and a picker among them; the first file is shown in detail
    table = page.get_by_test_id("stDataFrame")
    expect(table).to_have_count(1)
    expect(table).to_contain_text("elliptical.jpg")
    expect(table).to_contain_text("ccd_frame.fits")
    expect(page.get_by_text("Look closer at")).to_be_visible()
    expect(page.get_by_role("combobox", name="Look closer at")).to_have_value("elliptical.jpg")
    expect(page.get_by_role("button", name="Download all predictions (CSV)")).to_be_visible()
    expect(heading).to_have_count(1)
    expect(page.get_by_test_id("stVegaLiteChart")).to_be_visible()
    captions = page.get_by_test_id("stImageCaption")
    expect(captions.filter(has_text="Grad-CAM")).to_be_visible()
    expect(captions.filter(has_text="elliptical.jpg")).to_be_visible()
    expect(captions.filter(has_text="What the network gets")).to_be_visible()
    alerts = page.get_by_test_id("stAlert")
    expect(alerts.filter(has_text=re.compile(r"elliptical\.jpg|ccd_frame\.fits"))) \
        .to_have_count(0)  # neither file was refused
    no_traceback(page)
    shoot(page, artifacts_dir / "galaxy-jpeg.png")

    choose(page, "Look closer at", "ccd_frame.fits")
    expect(captions.filter(has_text="ccd_frame.fits")).to_be_visible(timeout=SLOW_MS)
    expect(captions.filter(has_text="FITS")).to_be_visible()
    expect(page.get_by_text(f"{NAN_PIXELS} NaN or infinite pixels set to the median"))\
        .to_be_visible()
    wait_for_app(page, SLOW_MS)
    expect(captions.filter(has_text="elliptical.jpg")).to_have_count(0)
    expect(top_heading(page)).to_have_count(1)
    expect(page.get_by_test_id("stVegaLiteChart")).to_be_visible()
    expect(captions.filter(has_text="Grad-CAM")).to_be_visible()
    no_traceback(page)
    shoot(page, artifacts_dir / "galaxy-fits.png")


def test_broken_file_is_named_while_the_good_one_is_classified(
        app_server: str, page: Page, artifacts_dir: Path) -> None:
    open_galaxies(page, app_server)
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    truncated = jpeg_bytes(seed=3)[:300]
    upload(page, [("broken.jpg", "image/jpeg", pdf),
                  ("cut_short.jpg", "image/jpeg", truncated),
                  ("good.jpg", "image/jpeg", jpeg_bytes(seed=2))])

    errors = page.get_by_test_id("stAlert")
    broken = errors.filter(has_text="broken.jpg")
    expect(broken).to_be_visible(timeout=SLOW_MS)
    expect(broken).to_contain_text("PDF document")
    expect(errors.filter(has_text="cut_short.jpg")).to_be_visible()
    expect(errors.filter(has_text="good.jpg")).to_have_count(0)
    expect(top_heading(page)).to_be_visible(timeout=SLOW_MS)
    wait_for_app(page, SLOW_MS)
    expect(page.get_by_test_id("stImageCaption").filter(has_text="good.jpg")).to_be_visible()
    table = page.get_by_test_id("stDataFrame")
    expect(table).to_contain_text("broken.jpg")
    expect(table).to_contain_text("good.jpg")
    # one good file: no picker, it is shown straight away
    expect(page.get_by_text("Look closer at")).to_have_count(0)
    no_traceback(page)
    shoot(page, artifacts_dir / "galaxy-broken.png")


@pytest.mark.skipif(not (DATA / "galaxy_zoo1_sdss.npz").is_file(),
                    reason="needs galaxy_zoo1_sdss.npz in PLAYGROUND_DATA_DIR")
def test_try_an_example_shows_true_classes(app_server: str, page: Page,
                                           artifacts_dir: Path) -> None:
    open_galaxies(page, app_server)
    page.get_by_role("button", name="Try an example").click()
    table = page.get_by_test_id("stDataFrame")
    expect(table).to_be_visible(timeout=SLOW_MS)
    expect(table).to_contain_text("true class", timeout=SLOW_MS)
    expect(top_heading(page)).to_be_visible(timeout=SLOW_MS)
    wait_for_app(page, SLOW_MS)
    expect(page.get_by_text("A held-out test galaxy that Galaxy Zoo volunteers called"))\
        .to_be_visible()
    expect(page.get_by_role("button", name="Clear examples")).to_be_visible()
    no_traceback(page)
    shoot(page, artifacts_dir / "galaxy-examples.png")
