"""Draw a digit in the real browser: a "1", a "0" and a "7" drawn with the mouse on the canvas,
each read by the shipped CNN as soon as the stroke ends; the canvas toolbar's undo and "reset
canvas" and the page's Clear button each bring the invitation back; then a "1" drawn with touch
events, as a finger on a phone draws it.

streamlit-drawable-canvas 0.13 is a Streamlit v2 component: it renders into the page itself
(inside a shadow root), not into an iframe, so the Fabric.js drawing surface is
`canvas.upper-canvas` on the page (Playwright's CSS locators pierce open shadow roots), and the
strokes go through `page.mouse` at coordinates inside its bounding box."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import assert_no_exception, open_app, wait_for_app, wait_for_text

ASSETS = Path(__file__).resolve().parents[2] / "assets"
SLOW_MS = 60_000  # a rerun with feature maps on a busy 2-core box

pytestmark = pytest.mark.skipif(not (ASSETS / "mnist_cnn.safetensors").is_file(),
                                reason="the shipped MNIST CNN is not in assets/")

ONE = [[(145, 35), (138, 245)]]
ZERO = [[(140 + 62 * math.sin(t), 140 - 95 * math.cos(t))
         for t in [2 * math.pi * i / 36 for i in range(38)]]]
SEVEN = [[(65, 50), (215, 50), (115, 245)]]
INVITATION = "Lift the pen, and the network's answer appears here"


def draw(page: Page, strokes: list[list[tuple[float, float]]]) -> None:
    """Each stroke: press at its first point, move through the others, release."""
    surface = page.locator("canvas.upper-canvas")
    expect(surface).to_be_visible(timeout=SLOW_MS)
    box = surface.bounding_box()
    assert box is not None and round(box["width"]) == 280 and round(box["height"]) == 280
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
        page.mouse.up()


def touch(page: Page, strokes: list[list[tuple[float, float]]]) -> None:
    """Each stroke as touch events (Chromium's DevTools protocol; Playwright's touchscreen
    only taps), with touch emulation on as on a phone."""
    box = page.locator("canvas.upper-canvas").bounding_box()
    assert box is not None
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})

    def at(x: float, y: float) -> list[dict]:
        return [{"x": box["x"] + x, "y": box["y"] + y, "id": 1}]

    for stroke in strokes:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": at(*stroke[0])})
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
            for i in range(1, 9):
                cdp.send("Input.dispatchTouchEvent", {
                    "type": "touchMove",
                    "touchPoints": at(x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8)})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def expect_digit(page: Page, digit: int) -> None:
    expect(page.locator(".draw-digit")).to_have_text(str(digit), timeout=SLOW_MS)
    wait_for_app(page, SLOW_MS)
    expect(page.locator(".draw-digit")).to_have_text(str(digit))


def expect_invitation(page: Page) -> None:
    expect(page.get_by_text(INVITATION)).to_be_visible(timeout=SLOW_MS)
    wait_for_app(page, SLOW_MS)
    expect(page.locator(".draw-digit")).to_have_count(0)


def toolbar(page: Page, name: str) -> None:
    """Click a button of the canvas's toolbar, which shows while the pointer is on the canvas."""
    page.locator("canvas.upper-canvas").hover()
    button = page.get_by_role("button", name=name, exact=True)
    expect(button).to_be_visible()
    button.click()


def test_draw_one_zero_seven_and_clear(app_server: str, page: Page, artifacts_dir: Path) -> None:
    open_app(page, app_server, "draw", timeout_ms=SLOW_MS)
    wait_for_text(page, "Your drawing", timeout_ms=SLOW_MS)
    expect_invitation(page)

    draw(page, ONE)
    expect_digit(page, 1)
    expect(page.get_by_text("What the network sees")).to_be_visible()
    expect(page.get_by_text("The other models read: MNIST MLP")).to_be_visible()
    assert_no_exception(page)
    page.screenshot(path=str(artifacts_dir / "draw-1.png"), full_page=True)
    toolbar(page, "Undo")  # the only stroke undone: an empty canvas again
    expect_invitation(page)

    draw(page, ZERO)
    expect_digit(page, 0)
    page.screenshot(path=str(artifacts_dir / "draw-0.png"), full_page=True)
    toolbar(page, "Reset canvas & history")
    expect_invitation(page)

    draw(page, SEVEN)
    expect_digit(page, 7)
    expect(page.get_by_role("heading", name="Look inside the network")).to_be_visible()
    assert_no_exception(page)
    page.screenshot(path=str(artifacts_dir / "draw-7.png"), full_page=True)
    page.get_by_test_id("stMain").get_by_role("button", name="Clear", exact=True).click()
    expect_invitation(page)

    touch(page, ONE)  # a finger on a touch screen: the same strokes as touch events
    expect_digit(page, 1)
    assert_no_exception(page)
