"""The labs in a real browser: a learning rate past 2/L is reported as divergence, three
learning rates train side by side in the live "runs" view, and the optimizer race draws one
path per enabled optimizer. All waits poll the page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    DEFAULT_TIMEOUT_MS,
    assert_no_exception,
    open_app,
    set_checkbox,
    wait_for_app,
    wait_for_rerun,
    wait_for_text,
    wait_live,
)

LOAD_TIMEOUT_MS = 60_000

# Optimizer paths in the race chart: Plotly keeps the decoded traces in gd._fullData.
_RACE_PATHS_JS = """() => {
    const gd = document.querySelector('[class*="st-key-opt_race_"] .js-plotly-plot');
    if (!gd || !gd._fullData) return null;
    const legend = [...gd.querySelectorAll('.legend .traces .legendtext')].map(e => e.textContent);
    const paths = gd._fullData.filter(t => t.mode === 'lines+markers' && t.xaxis === 'x')
        .map(t => ({name: t.name, points: t.x.length}));
    return {legend, paths};
}"""


def open_lab(page: Page, base_url: str, url_path: str) -> None:
    """Open a lab page and wait until its lazily loaded widgets and charts are drawn."""
    open_app(page, base_url, url_path, timeout_ms=LOAD_TIMEOUT_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=LOAD_TIMEOUT_MS)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(
        timeout=LOAD_TIMEOUT_MS)


def test_learning_rate_past_2_over_l_reports_divergence(app_server: str, page: Page) -> None:
    open_lab(page, app_server, "learning-rate")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Small: crawling")).to_be_visible()
    slider = main.get_by_role("slider", name="Learning rate")
    expect(slider).to_have_attribute("aria-valuetext", "0.3")

    # The slider's last value, 10, lies far past 2/L = 2 for the default curvature L = 1.
    slider.focus()
    page.keyboard.press("End")
    expect(slider).to_have_attribute("aria-valuetext", "10", timeout=DEFAULT_TIMEOUT_MS)
    wait_for_text(page, "Too large: diverging", timeout_ms=LOAD_TIMEOUT_MS)
    expect(main.get_by_text("lr = 10 is above 2/L = 2")).to_be_visible()
    expect(main.get_by_text("Diverged after 3 steps")).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)


def test_side_by_side_runs_train_three_rates_in_the_live_view(app_server: str,
                                                             page: Page) -> None:
    open_lab(page, app_server, "learning-rate")
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="Side by side").click()
    train = main.get_by_role("button", name="Train all three")
    expect(train).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    wait_for_app(page)
    epochs = main.get_by_role("spinbutton", name="Epochs")
    epochs.fill("15")
    wait_for_rerun(page, lambda: epochs.press("Enter"), timeout_ms=LOAD_TIMEOUT_MS)
    train.click()

    # The default spiral at lr 0.03 (no range test run): 0.003, 0.03 and 0.3, from one start.
    labels = ["too small (lr 0.003)", "suggested (lr 0.03)", "too large (lr 0.3)"]
    view = page.locator(".st-key-lr_side_live .nnp-live")
    expect(view).to_have_attribute("data-kind", "runs", timeout=LOAD_TIMEOUT_MS)
    for label in labels:
        expect(view.locator(f'.counter .value[data-counter="{label}"]')).to_be_attached()
    # All three settle after their 15 epochs; the page then reruns once by itself.
    expect(train).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    wait_for_app(page)
    wait_live(page, "lr_side_live", "the loss curves drawn",
              "return r.drawn['training loss'] && r;", timeout_ms=LOAD_TIMEOUT_MS)
    notes = view.locator(".counter .note")
    expect(notes).to_have_count(3)
    for note in notes.all():
        expect(note).to_have_text(re.compile(r"^(finished|diverged) · epoch \d+"))
    expect(notes.first).to_have_text(re.compile(r"^finished · epoch 15$"))
    for label in labels:
        value = view.locator(f'.counter .value[data-counter="{label}"]').inner_text()
        assert value != "—", f"{label} shows no training loss"
    assert_no_exception(page)


def test_optimizer_race_draws_a_path_per_enabled_optimizer(app_server: str,
                                                           page: Page) -> None:
    open_lab(page, app_server, "optimizers")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Pick the optimizers and press")).to_be_visible()
    set_checkbox(page, main, "RMSProp", False)  # leaves SGD, momentum and Adam

    main.get_by_role("button", name="Start race").click()
    wait_for_text(page, "of the minimum", timeout_ms=LOAD_TIMEOUT_MS)
    enabled = ["SGD", "SGD + momentum", "Adam"]
    handle = page.wait_for_function(
        f"() => {{ const r = ({_RACE_PATHS_JS})(); "
        f"return r && r.paths.length === {len(enabled)} ? r : null; }}",
        timeout=LOAD_TIMEOUT_MS, polling=200)
    drawn = handle.json_value()
    assert sorted(p["name"] for p in drawn["paths"]) == sorted(enabled), drawn
    assert all(p["points"] == 501 for p in drawn["paths"]), drawn  # 500 steps + the start
    for name in enabled:
        assert name in drawn["legend"], drawn["legend"]
    assert "RMSProp" not in drawn["legend"] and "Nesterov" not in drawn["legend"]
    assert_no_exception(page)
