"""Image training in the real browser: a LeNet-like CNN on 20,000 MNIST digits for one epoch,
then the Feature maps page for a chosen digit. Needs the real MNIST (PLAYGROUND_DATA_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    assert_no_exception,
    open_app,
    wait_for_rerun,
    wait_for_text,
    wait_live,
)

SLOW_MS = 120_000  # a CNN epoch on a busy 2-core box, plus loading 70,000 digits

pytestmark = pytest.mark.skipif(
    not (Path(os.environ.get("PLAYGROUND_DATA_DIR", "")) / "mnist.npz").is_file(),
    reason="needs mnist.npz in PLAYGROUND_DATA_DIR (CI points it at ../shared/data)")


LIVE = "img_live"  # the live view's component key (playground/live/image_view.py)


def test_train_cnn_on_mnist_subset_shows_accuracy_and_confusion(app_server: str,
                                                                 page: Page) -> None:
    open_app(page, app_server, "images", timeout_ms=SLOW_MS)
    wait_for_text(page, "Layers, shapes and parameters", timeout_ms=SLOW_MS)
    expect(page.get_by_text("18,000 training · 2,000 validation")).to_be_visible()
    wait_live(page, LIVE, "the ready view", "return r.state === 'ready' && r;",
              timeout_ms=SLOW_MS)
    epochs = page.get_by_label("Epochs")
    epochs.fill("1")
    wait_for_rerun(page, lambda: epochs.press("Enter"), timeout_ms=SLOW_MS)
    page.get_by_role("button", name="Train", exact=True).click()
    # live: the accuracy appears, then the run ends after its one epoch
    wait_live(page, LIVE, "a validation accuracy",
              r"return /^\d+\.\d%$/.test(r.counters['Validation accuracy']) && r;",
              timeout_ms=SLOW_MS)
    wait_for_text(page, "Finished 1 epoch", timeout_ms=SLOW_MS)
    done = wait_live(page, LIVE, "the finished view", """
        return r.state === 'finished' && r.drawn.confusion && r.drawn.loss && r.drawn.accuracy
               && r;""", timeout_ms=SLOW_MS)
    accuracy = float(done["counters"]["Validation accuracy"].rstrip("%"))
    assert accuracy > 50.0, f"one epoch of LeNet on 18,000 digits reached only {accuracy}%"
    view = page.locator(f".st-key-{LIVE} .nnp-live")
    expect(view.locator(".progress .ptext")).to_have_text("Epoch 1 of 1 · finished")
    expect(view.locator("table.perclass tr")).to_have_count(11)  # a header and ten digits
    expect(view.locator(".gallery-title")).to_contain_text(
        "Current mistakes on validation images (epoch 1)")
    expect(view.locator(".gallery img").first).to_be_visible()
    assert view.locator(".gallery img").count() <= 16
    assert_no_exception(page)
    page.screenshot(path=str(Path("tests/artifacts/images-trained.png")), full_page=True)


def test_feature_maps_show_a_grid_for_a_chosen_digit(app_server: str, page: Page) -> None:
    open_app(page, app_server, "feature-maps", timeout_ms=SLOW_MS)
    wait_for_text(page, "Feature maps", timeout_ms=SLOW_MS)
    plots = page.locator(".js-plotly-plot")
    expect(plots.first).to_be_visible(timeout=SLOW_MS)
    images = page.locator(".js-plotly-plot .layer-above image")
    expect(images.first).to_be_attached(timeout=SLOW_MS)
    assert images.count() >= 6, "expected a grid of feature maps (one image per map)"
    assert_no_exception(page)
