"""Two lessons in a real browser: the perceptron's learning rule steps corner by corner and
its "try it" button lands on the Playground with the XOR preset; the code lesson shows the
lecture MLP's 13,002 parameters. Full-page screenshots land in tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.helpers import assert_no_exception, open_app, wait_for_app, wait_for_text

LOAD_TIMEOUT_MS = 60_000


def open_lesson(page: Page, base_url: str, url_path: str) -> None:
    open_app(page, base_url, url_path, timeout_ms=LOAD_TIMEOUT_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=LOAD_TIMEOUT_MS)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(
        timeout=LOAD_TIMEOUT_MS)


def test_perceptron_steps_and_opens_the_xor_preset(app_server: str, page: Page,
                                                    artifacts_dir: Path) -> None:
    open_lesson(page, app_server, "lesson-perceptron")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Start: w₁ = w₂ = b = 0.")).to_be_visible()
    next_button = main.get_by_role("button", name="Next", exact=True)
    for _ in range(4):
        next_button.click()
        wait_for_app(page)
    wait_for_text(page, "Epoch 1, corner (1.0, 1.0)", timeout_ms=LOAD_TIMEOUT_MS)
    expect(main.get_by_text("Learned: epoch 6 had every corner right")).to_be_visible()
    assert_no_exception(page)
    page.screenshot(path=str(artifacts_dir / "lesson-perceptron.png"))

    main.get_by_role("button", name=re.compile("Try it in the Playground: A single")).click()
    expect(page).to_have_url(re.compile(r"/playground\?.*dataset\.name=xor"),
                             timeout=LOAD_TIMEOUT_MS)
    wait_for_text(page, "A single perceptron cannot solve XOR", timeout_ms=LOAD_TIMEOUT_MS)
    assert_no_exception(page)


def test_code_lesson_shows_the_lecture_mlp(app_server: str, page: Page,
                                           artifacts_dir: Path) -> None:
    open_app(page, app_server, "lesson-code", timeout_ms=LOAD_TIMEOUT_MS)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text('layers.Dense(16, activation="relu"').first).to_be_visible(
        timeout=LOAD_TIMEOUT_MS)
    main.get_by_role("tab", name="PyTorch").click()
    expect(main.get_by_text("nn.Linear(784, 16),").first).to_be_visible()
    main.get_by_role("tab", name="model.summary()").click()
    expect(main.get_by_test_id("stMetricValue").get_by_text("13,002")).to_be_visible()
    assert_no_exception(page)
    page.screenshot(path=str(artifacts_dir / "lesson-code.png"))
