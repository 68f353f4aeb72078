"""The Playground in a real browser: train / pause, a shared link, a diverging lesson, and
hovering the live view (a node, a link, the loss curve).

The live view is a components-v2 element in an open shadow root (playground/live); the
readers in `helpers.LIVE_JS` walk into it. All synchronisation polls the page; nothing sleeps.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.helpers import (
    DEFAULT_TIMEOUT_MS,
    LIVE_JS,
    assert_no_exception,
    live_reading,
    open_app,
    wait_for_app,
    wait_live,
)

TRAIN_TIMEOUT_MS = 60_000
LIVE = "pg_live"  # the live view's component key (playground/live/playground_view.py)

# A cheap fingerprint of what the decision-boundary canvas shows: a hash of its PNG export.
_OUTPUT_SIG_JS = """
const outputSig = (key) => {
    const c = liveHost(key).querySelector('.surface.output canvas');
    const url = c.toDataURL();
    let h = 0;
    for (let i = 0; i < url.length; i++) h = (h * 31 + url.charCodeAt(i)) | 0;
    return url.length + ':' + h;
};
"""


def open_playground(page: Page, base_url: str, query: str = "", navigate: bool = True,
                    timeout_ms: float = TRAIN_TIMEOUT_MS) -> None:
    """Open the page and wait until its lazily loaded widgets have replaced their skeletons
    (before that the browser is busy loading them and clicks stall) and the live view has
    drawn its diagram and output (`navigate=False`: the page was sent there already)."""
    open_app(page, base_url, "playground" + query, timeout_ms=timeout_ms, navigate=navigate)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
    wait_live(page, LIVE, "the live view's first paint",
              "return r.drawn.network && r.drawn.output && r.drawn.loss && r;",
              timeout_ms=timeout_ms)


def poll(page: Page, what: str, body: str, arg: object = None,
         timeout_ms: float = TRAIN_TIMEOUT_MS, polling: float = 100) -> object:
    """Poll `(arg) => { body }` until truthy, with `reading()` giving the Playground live
    view's reading (epoch, state, counters, drawn panels; see tests/e2e/helpers.py)."""
    return wait_live(page, LIVE, what,
                     "const reading = () => liveReading(key);\n"
                     f"return ((arg) => {{ {body} }})(arg);",
                     arg=arg, timeout_ms=timeout_ms, polling=polling)


def live(page: Page, selector: str) -> Locator:
    """An element of the Playground's live view (CSS locators pierce its shadow root)."""
    return page.locator(f".st-key-{LIVE} .nnp-live {selector}")


def output_signature(page: Page) -> str:
    return page.evaluate(f"(key) => {{ {LIVE_JS}\n{_OUTPUT_SIG_JS}\nreturn outputSig(key); }}",
                         LIVE)


def control(page: Page, label: str) -> Locator:
    """A control-bar button (Train, Pause, Step, Reset) in the main area."""
    return page.get_by_test_id("stMain").get_by_role("button", name=label, exact=True)


def selectbox(page: Page, label: str) -> Locator:
    return page.get_by_role("combobox", name=label, exact=True)


def number_input(page: Page, label: str) -> Locator:
    return page.get_by_role("spinbutton", name=label, exact=True)


def choose(page: Page, label: str, option: str) -> None:
    selectbox(page, label).click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(selectbox(page, label)).to_have_value(option, timeout=DEFAULT_TIMEOUT_MS)


def load_preset(page: Page, title: str) -> None:
    """Choose a lesson in the sidebar and press Load preset; waits for its lesson box."""
    choose(page, "Lesson preset", title)
    page.get_by_role("button", name="Load preset").click()
    expect(page.get_by_test_id("stAlertContentInfo")).to_contain_text(
        title, timeout=DEFAULT_TIMEOUT_MS)
    wait_for_app(page)


def canvas_box(page: Page, selector: str) -> dict[str, float]:
    """The viewport box of a live-view canvas, scrolled into view first."""
    canvas = live(page, f"{selector} canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, f"{selector} has no size: {box}"
    return box


def network_geometry(width: float, height: float, shown: list[int], sizes: list[int],
                     multiclass: bool = False) -> tuple[list[float], list[list[float]], float]:
    """Node centres (xs per layer, ys per node) and node size on the network canvas, as
    live_view.js `geometry()` lays them out."""
    n, rows = len(shown), max(shown)
    more = any(size > k for size, k in zip(sizes, shown, strict=True))
    top, bottom = 34, height - (24 if more else 8)
    pitch = min(60, (bottom - top) / rows)
    node = max(8, min(44, pitch * 0.78))
    pad_l, pad_r = 44, 70 if multiclass else 44
    xs = [width / 2 if n == 1 else pad_l + node / 2 + i * (width - pad_l - pad_r - node) / (n - 1)
          for i in range(n)]
    mid = (top + bottom) / 2
    ys = [[mid + (j - (k - 1) / 2) * pitch for j in range(k)] for k in shown]
    return xs, ys, node


def screenshot_whole_app(page: Page, path: Path) -> None:
    """Streamlit scrolls inside its own container, so a full-page shot would stop at the
    viewport: grow the viewport to the content's height, shoot, and restore it."""
    size = page.viewport_size or {"width": 1400, "height": 900}
    # No hover tooltip in the shot (a disabled button's one only goes on a hover elsewhere).
    page.get_by_role("heading", name="Playground", exact=True).hover()
    page.mouse.move(size["width"] - 5, size["height"] - 5)
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return Math.ceil(main ? main.scrollHeight : document.body.scrollHeight);
    }""")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        wait_live(page, LIVE, "the live view drawn", "return r.drawn.network && r.drawn.output;",
                  timeout_ms=DEFAULT_TIMEOUT_MS)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)


def test_train_lowers_test_loss_then_pause_holds(app_server: str, page: Page,
                                                 artifacts_dir: Path) -> None:
    open_playground(page, app_server)
    before = live_reading(page, LIVE)
    assert before["counters"]["Test loss"] == "—" and before["epoch"] == 0, before
    assert before["counters"]["Epoch"] == "0" and before["state"] == "ready", before
    sig0 = output_signature(page)

    control(page, "Train").click()
    first = wait_live(page, LIVE, "epoch 5 with a test loss", """
        const loss = liveNumber(r.counters['Test loss']);
        return r.epoch >= 5 && liveNumber(r.counters['Epoch']) >= 5 && loss !== null
               && r.drawn.output && r.drawn.accuracy && {...r, loss};""",
                      timeout_ms=TRAIN_TIMEOUT_MS)
    assert first["state"] == "running", first
    assert re.search(r"Frame: epoch [\d,]+, step [\d,]+ · [\d.]+ frames a second",
                     first["status"]), first["status"]
    sig1 = output_signature(page)
    assert sig1 != sig0, "the decision boundary did not change once training started"

    later = wait_live(page, LIVE, "a lower test loss and a redrawn boundary", f"""
        {_OUTPUT_SIG_JS}
        const loss = liveNumber(r.counters['Test loss']);
        return loss !== null && loss < arg.loss && r.frames > arg.frames
               && outputSig(key) !== arg.sig && {{...r, loss}};""",
                      arg={**first, "sig": sig1}, timeout_ms=TRAIN_TIMEOUT_MS)
    assert later["epoch"] > first["epoch"], (first["epoch"], later["epoch"])

    control(page, "Pause").click()
    # The view reports the settled run; the page reruns once and shows Train again.
    expect(control(page, "Train")).to_be_visible(timeout=DEFAULT_TIMEOUT_MS)
    wait_for_app(page)
    paused = wait_live(page, LIVE, "the paused state", "return r.state === 'paused' && r;",
                       timeout_ms=DEFAULT_TIMEOUT_MS)
    assert paused["counters"]["Epoch"] == f"{paused['epoch']:,}", paused
    t0 = page.evaluate("performance.now()")
    # Polls every 100 ms for 1.5 s: neither the epoch nor the counter may move once paused.
    held = wait_live(page, LIVE, "a second and a half of pause", """
        if (r.epoch !== arg.epoch || r.counters['Epoch'] !== arg.text || r.state !== 'paused')
            return 'moved to ' + JSON.stringify(r);
        return performance.now() - arg.t0 >= 1500 ? 'held' : false;""",
                     arg={"epoch": paused["epoch"], "text": paused["counters"]["Epoch"],
                          "t0": t0}, timeout_ms=DEFAULT_TIMEOUT_MS)
    assert held == "held", f"epoch {paused['epoch']} {held} while paused"

    # Hovering the loss curve shows the values at the nearest epoch (layout: Curves.layout()).
    box = canvas_box(page, '.surface.curve[data-panel="loss"]')
    left, right = 52, box["width"] - 10
    page.mouse.move(box["x"] + left + 0.5 * (right - left), box["y"] + box["height"] / 2)
    tip = live(page, ".tip")
    expect(tip).to_be_visible(timeout=DEFAULT_TIMEOUT_MS)
    expect(tip).to_have_text(re.compile(r"^epoch [\d,]+ · train \d+\.\d{4} · test \d+\.\d{4}$"))
    shown_epoch = int(re.match(r"epoch ([\d,]+)", tip.inner_text()).group(1).replace(",", ""))
    assert 0 < shown_epoch < paused["epoch"], (shown_epoch, paused["epoch"])
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] - 40)  # off the canvas
    expect(tip).to_be_hidden(timeout=DEFAULT_TIMEOUT_MS)

    assert_no_exception(page)
    screenshot_whole_app(page, artifacts_dir / "playground-trained.png")


def test_hovering_the_network_shows_roles_weights_and_node_maps(app_server: str,
                                                                page: Page) -> None:
    # The default lesson ("Start here: a circle"): inputs x1, x2; 4 tanh; 2 tanh; 1 sigmoid.
    open_playground(page, app_server)
    box = canvas_box(page, ".surface.network")
    xs, ys, _ = network_geometry(box["width"], box["height"], [2, 4, 2, 1], [2, 4, 2, 1])
    tip, caption = live(page, ".tip"), live(page, ".col.right .caption")
    before = output_signature(page)

    page.mouse.move(box["x"] + xs[1], box["y"] + ys[1][1])  # neuron h1.2
    expect(tip).to_be_visible(timeout=DEFAULT_TIMEOUT_MS)
    expect(tip).to_have_text(re.compile(
        r"^neuron h1\.2 · tanh · bias -?\d+\.\d{3} — its output over the plane is shown"))
    expect(caption).to_have_text("showing h1.2 — move off the node to see the output")
    swapped = output_signature(page)
    assert swapped != before, "hovering h1.2 did not swap the output for its map"

    page.mouse.move(box["x"] + xs[0], box["y"] + ys[0][0])  # input x1
    expect(tip).to_have_text(re.compile(r"^input x1: its value over the plane"))
    expect(caption).to_have_text("showing input x1 — move off the node to see the output")
    assert output_signature(page) not in (before, swapped)

    # The link x1 → h1.1 at its middle (the bezier's midpoint is the average of its ends).
    x0, x1 = xs[0], xs[1]
    page.mouse.move(box["x"] + (x0 + x1) / 2, box["y"] + (ys[0][0] + ys[1][0]) / 2)
    expect(tip).to_have_text(re.compile(r"^weight -?\d+\.\d{3} \(x1 → h1\.1\)$"))
    expect(caption).to_have_text("")
    assert output_signature(page) == before, "a link hover must leave the output as it was"

    page.mouse.move(box["x"] + xs[3], box["y"] + ys[3][0])  # the output node
    expect(tip).to_have_text(re.compile(r"^output output · sigmoid · bias -?\d+\.\d{3}"))

    page.mouse.move(box["x"] + box["width"] / 2, box["y"] - 40)  # off the diagram
    expect(tip).to_be_hidden(timeout=DEFAULT_TIMEOUT_MS)
    expect(caption).to_have_text("")
    assert output_signature(page) == before, "moving off the node did not restore the output"
    assert_no_exception(page)


def test_copied_link_reopens_the_same_setup(app_server: str, page: Page,
                                            browser: Browser) -> None:
    open_playground(page, app_server)
    choose(page, "Dataset", "Spirals")
    expect(page).to_have_url(re.compile(r"dataset\.name=spiral"), timeout=DEFAULT_TIMEOUT_MS)
    wait_for_app(page)
    hidden = number_input(page, "Hidden layers")
    expect(hidden).to_have_value("2", timeout=DEFAULT_TIMEOUT_MS)
    page.get_by_test_id("stNumberInput").filter(has=hidden).get_by_test_id(
        "stNumberInputStepUp").click()
    layers = urlencode({"network.layers": "4:tanh,2:tanh,2:tanh"})
    expect(page).to_have_url(re.compile(re.escape(layers)), timeout=DEFAULT_TIMEOUT_MS)
    wait_for_app(page)
    assert_no_exception(page)
    query = page.url[page.url.index("?"):]  # the whole setup lives in the query string

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        other = context.new_page()
        open_playground(other, app_server, query)
        expect(selectbox(other, "Dataset")).to_have_value("Spirals")
        expect(number_input(other, "Hidden layers")).to_have_value("3")
        expect(number_input(other, "Layer 3 neurons")).to_have_value("2")
        expect(other.get_by_test_id("stAlertContentWarning")).to_have_count(0)
        # No preset's lesson: this setup is none of them (it used to claim "Start here").
        expect(other.get_by_test_id("stAlertContentInfo")).to_have_count(0)
        # The reopened setup gets its live view too.
        wait_live(other, LIVE, "the three-layer diagram", "return r.drawn.network;")
        assert_no_exception(other)
    finally:
        context.close()


def test_divergence_preset_shows_message_and_keeps_charts(app_server: str, page: Page,
                                                          artifacts_dir: Path) -> None:
    title = "Learning rate too high: divergence"
    open_playground(page, app_server)
    load_preset(page, title)
    expect(selectbox(page, "Dataset")).to_have_value("Plane (2-D regression)",
                                                     timeout=DEFAULT_TIMEOUT_MS)

    control(page, "Train").click()
    # The view reports the diverged run and the page reruns by itself: no help from here.
    expect(page.get_by_test_id("stAlertContentError").filter(has_text="loss became")
           ).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_for_app(page)
    expect(control(page, "Train")).to_be_disabled(timeout=DEFAULT_TIMEOUT_MS)
    diverged = wait_live(page, LIVE, "the diverged state with its charts kept", """
        return r.state === 'diverged' && r.drawn.network && r.drawn.output && r.drawn.loss
               && r;""", timeout_ms=DEFAULT_TIMEOUT_MS)
    assert diverged["epoch"] >= 1, diverged
    for selector in (".surface.network", ".surface.output", '.surface.curve[data-panel="loss"]'):
        expect(live(page, f"{selector} canvas")).to_be_visible()
    assert_no_exception(page)
    screenshot_whole_app(page, artifacts_dir / "playground-diverged.png")
