"""Your own table in a real browser: upload a CSV on the Playground, train on it, and download
the standalone training script and the model file from the export panel (Streamlit's deferred
download, one click each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from core.models.model_io import load_model
from tests.e2e.helpers import (
    DEFAULT_TIMEOUT_MS,
    assert_no_exception,
    wait_for_app,
    wait_for_text,
    wait_live,
)
from tests.e2e.test_playground import (
    LIVE,
    TRAIN_TIMEOUT_MS,
    choose,
    control,
    open_playground,
    screenshot_whole_app,
    selectbox,
)

DOWNLOAD_TIMEOUT_MS = 20_000  # the file is made at the click, from the paused weights


def catalogue(path: Path) -> Path:
    """Two overlapping populations in two colours and a magnitude."""
    rng = np.random.default_rng(1)
    rows = ["g_r,u_g,r_mag,population"]
    for name, centre in (("red", (0.9, 2.4)), ("blue", (0.4, 1.4))):
        for _ in range(150):
            rows.append(f"{rng.normal(centre[0], 0.15):.3f},{rng.normal(centre[1], 0.3):.3f},"
                        f"{rng.uniform(14, 18):.2f},{name}")
    path.write_text("\n".join(rows) + "\n")
    return path


def choose_settled(page: Page, label: str, option: str, tries: int = 3) -> None:
    """`choose`, again if a late rerun closed the dropdown before the option was clicked."""
    for attempt in range(tries):
        try:
            selectbox(page, label).click()
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            wait_for_app(page)
    expect(selectbox(page, label)).to_have_value(option, timeout=DEFAULT_TIMEOUT_MS)


def test_upload_a_csv_train_and_download_the_script(app_server: str, page: Page,
                                                    artifacts_dir: Path, tmp_path: Path) -> None:
    open_playground(page, app_server)
    choose(page, "Dataset", "Your own table (CSV)")
    wait_for_text(page, "Plot across (x1)")
    expect(page.get_by_text("The plane: x1 = u_g").first).to_be_visible(
        timeout=TRAIN_TIMEOUT_MS)  # the run after the switch has settled
    wait_for_app(page)
    choose_settled(page, "Table", "Upload a CSV file…")
    page.locator('input[data-testid="stFileUploaderDropzoneInput"][accept*=".csv"]').set_input_files(
        str(catalogue(tmp_path / "colours.csv")))
    expect(page.get_by_role("combobox", name="Plot across (x1)", exact=True)).to_have_value(
        "g_r", timeout=TRAIN_TIMEOUT_MS)
    wait_for_text(page, "300 rows, 4 columns")
    expect(page.get_by_text("x1 = g_r, x2 = u_g").first).to_be_visible()

    control(page, "Train").click()
    wait_live(page, LIVE, "epoch 10 with a test accuracy", """
        return r.epoch >= 10 && liveNumber(r.counters['Test accuracy']) !== null
               && r.drawn.output && r;""", timeout_ms=TRAIN_TIMEOUT_MS)
    control(page, "Pause").click()
    expect(control(page, "Train")).to_be_visible(timeout=DEFAULT_TIMEOUT_MS)
    wait_for_app(page)
    paused = wait_live(page, LIVE, "the paused state", "return r.state === 'paused' && r;",
                       timeout_ms=DEFAULT_TIMEOUT_MS)
    accuracy = float(paused["counters"]["Test accuracy"].rstrip("%"))
    assert accuracy > 80, paused

    page.get_by_text("Export: take the model home").click()
    button = page.get_by_role("button", name="Training script (.py)")
    expect(button).to_be_visible()
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as download:
        button.click()
    script = Path(download.value.path()).read_text()
    assert "COLUMNS = ['g_r', 'u_g']" in script
    assert "DEFAULT_DATA = 'colours.csv'" in script
    compile(script, "train.py", "exec")
    # one click each, straight after the other: a download must not rerun the page (a rerun
    # revoked the file the click was fetching, and nothing came)
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as download:
        page.get_by_role("button", name="Model (.safetensors)").click()
    model, meta = load_model(download.value.path())
    assert sorted(meta["class_names"]) == ["blue", "red"], meta
    assert sum(p.numel() for p in model.model.parameters()) > 0
    assert_no_exception(page)
    screenshot_whole_app(page, artifacts_dir / "playground-csv.png")
    page.get_by_text("Export: take the model home").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "playground-export-panel.png"))
