"""Draw a digit on a phone-sized screen: the answer shows under the canvas, inside the first
screen, without scrolling (the page's columns stack below 640 px)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.helpers import DEFAULT_TIMEOUT_MS, assert_no_exception, open_app
from tests.e2e.test_draw import ASSETS, ONE, SLOW_MS, draw

pytestmark = pytest.mark.skipif(not (ASSETS / "mnist_cnn.safetensors").is_file(),
                                reason="the shipped MNIST CNN is not in assets/")
PHONE = {"width": 390, "height": 844}


def test_the_answer_is_on_the_first_screen_of_a_phone(app_server: str, browser: Browser,
                                                      artifacts_dir: Path) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        open_app(page, app_server, "draw", timeout_ms=SLOW_MS)
        draw(page, [ONE[0]])
        answer = page.locator(".st-key-draw_phone_answer").get_by_text("It reads a 1")
        expect(answer).to_be_visible(timeout=SLOW_MS)
        page.evaluate("window.scrollTo(0, 0)")
        box = answer.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
        page.screenshot(path=str(artifacts_dir / "draw-phone.png"))
        assert_no_exception(page)
    finally:
        context.close()
