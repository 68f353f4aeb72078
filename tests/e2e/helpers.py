"""Reusable Playwright helpers for driving the Streamlit app in headless Chromium."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 30_000

# True once the app is connected, its script has finished a run and no "Running..." is shown.
# `stApp` carries `data-test-script-state` (initial/running/notRunning/rerunRequested/...) and
# `data-test-connection-state` (INITIAL/CONNECTING/CONNECTED/...).
_APP_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return false;
    if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const widget = document.querySelector('[data-testid="stStatusWidget"]');
    if (!widget) return true;
    const running = widget.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
    return !running && !/Running/.test(widget.innerText);
}"""


def launch_browser(playwright: Playwright) -> Browser:
    """Launch Debian's system Chromium headless (never a Playwright-downloaded browser)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)


def wait_for_app(page: Page, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until Streamlit is connected and idle: `stApp` is present and nothing is running.

    Right after an interaction (click, widget change) the previous idle state can still be
    showing; wait for an effect of the interaction too (URL, text) with `wait_for_text`.
    """
    expect(page.locator('[data-testid="stApp"]')).to_be_attached(timeout=timeout_ms)
    page.wait_for_function(_APP_IDLE_JS, timeout=timeout_ms, polling=100)


def set_checkbox(page: Page, scope: Locator, name: str, checked: bool,
                 timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Tick or untick the Streamlit checkbox labelled `name` and wait until the app holds
    that state: a click that lands while a rerun redraws the widget can be undone by it, so
    click again (after the app settles) until the state sticks."""
    box = scope.get_by_role("checkbox", name=name)
    label = scope.get_by_text(name, exact=True)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        wait_for_app(page, timeout_ms)
        if box.is_checked() == checked:
            page.wait_for_timeout(500)  # a rerun already on its way may still reset it
            wait_for_app(page, timeout_ms)
            if box.is_checked() == checked:
                return
        elif time.monotonic() > deadline:
            raise AssertionError(f"the checkbox {name!r} did not stay {checked}")
        else:
            label.click()
            page.wait_for_timeout(300)


def wait_for_text(page: Page, text: str, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until `text` is visible somewhere in the app, then until the app is idle."""
    expect(page.get_by_text(text).first).to_be_visible(timeout=timeout_ms)
    wait_for_app(page, timeout_ms)


def open_app(
    page: Page, base_url: str, url_path: str = "", timeout_ms: float = DEFAULT_TIMEOUT_MS,
    navigate: bool = True,
) -> None:
    """Navigate to `base_url/url_path` and wait for the app to finish loading: the first run,
    then the rerun that follows once the page has told the server its tab id (a click that
    lands during that rerun can be lost, so tests start after it). `navigate=False`: the page
    is already on its way there (several pages loading at once)."""
    if navigate:
        page.goto(f"{base_url}/{url_path.lstrip('/')}", timeout=timeout_ms)
    wait_for_app(page, timeout_ms)
    expect(page.locator(".st-key-nn_tab_known")).to_be_attached(timeout=timeout_ms)
    wait_for_app(page, timeout_ms)


def sidebar_nav_labels(page: Page) -> list[str]:
    """The visible labels of the sidebar navigation links, in order (icons stripped)."""
    links = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')
    expect(links.first).to_be_visible()
    return [_strip_icon(label) for label in links.all_inner_texts()]


def safe_filename(name: str) -> str:
    """`name` made safe to use as a file name (test ids can contain brackets, slashes...)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "unnamed"


def _strip_icon(label: str) -> str:
    """Drop a leading emoji, or a Material icon's ligature name (rendered as its own line)."""
    lines = [line.strip() for line in label.strip().splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    return re.sub(r"^[^\w(]+", "", text).strip()


def assert_no_exception(page: Page) -> None:
    """Fail when the page shows a Streamlit exception box or a Python traceback anywhere
    (shadow roots included: Playwright's text locators pierce open ones)."""
    expect(page.get_by_test_id("stException")).to_have_count(0, timeout=1)
    expect(page.get_by_text("Traceback", exact=False)).to_have_count(0, timeout=1)


# ----- the live view (playground/live): a components-v2 element in an open shadow root.
# Playwright CSS locators pierce it; code run in the page has to walk `shadowRoot` itself.
LIVE_JS = """
const liveHost = (key) => {
    const box = document.querySelector('.st-key-' + key);
    if (!box) return null;
    for (const e of box.querySelectorAll('*')) {
        if (!e.shadowRoot) continue;
        const host = e.shadowRoot.querySelector('.nnp-live');
        if (host) return host;
    }
    return null;
};
const liveNumber = (text) => {
    if (text === null || text === undefined) return null;
    const n = Number(String(text).replace(/[,%]/g, ''));
    return text !== '' && Number.isFinite(n) ? n : null;
};
const liveReading = (key) => {
    const h = liveHost(key);
    if (!h) return null;
    const counters = {};
    for (const v of h.querySelectorAll('.counter .value')) {
        counters[v.dataset.counter] = v.textContent;
    }
    const drawn = {};
    for (const s of h.querySelectorAll('.surface')) {
        const name = s.dataset.panel || [...s.classList].filter(c => c !== 'surface').join('.');
        drawn[name] = s.dataset.drawn === '1';
    }
    const status = h.querySelector('.caption.status');
    return {kind: h.dataset.kind, epoch: liveNumber(h.dataset.epoch),
            frames: liveNumber(h.dataset.frames), state: h.dataset.state || null,
            counters, drawn, status: status ? status.textContent : null};
};
"""


def live_reading(page: Page, key: str) -> dict | None:
    """What the live view `key` shows: kind, epoch, frames, state, counters, drawn panels."""
    return page.evaluate(f"(key) => {{ {LIVE_JS}\nreturn liveReading(key); }}", key)


def wait_live(page: Page, key: str, what: str, body: str, arg: object = None,
              timeout_ms: float = 60_000, polling: float = 100) -> object:
    """Poll `(key, arg)` → `body` (with `r = liveReading(key)` and LIVE_JS's readers in scope)
    until it is truthy; on timeout fail saying what the view showed."""
    script = (f"([key, arg]) => {{ {LIVE_JS}\nconst r = liveReading(key);\n"
              f"if (!r) return false;\n{body} }}")
    try:
        handle = page.wait_for_function(script, arg=[key, arg], timeout=timeout_ms,
                                        polling=polling)
    except PlaywrightTimeoutError:
        raise AssertionError(f"timed out after {timeout_ms / 1000:.0f} s waiting for {what}; "
                             f"the live view shows {live_reading(page, key)}") from None
    return handle.json_value()


_WATCH_RUNS_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (window.__e2eRunWatch) window.__e2eRunWatch.disconnect();
    window.__e2eRuns = 0;
    let busy = false;
    window.__e2eRunWatch = new MutationObserver(() => {
        const state = app.getAttribute('data-test-script-state');
        if (state !== 'notRunning') busy = true;
        else if (busy) { busy = false; window.__e2eRuns += 1; }
    });
    window.__e2eRunWatch.observe(app, {attributes: true,
                                       attributeFilter: ['data-test-script-state']});
}"""


def wait_for_rerun(page: Page, action: Callable[[], None],
                   timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Do `action` (a widget change) and wait until the script run it caused has finished.

    `wait_for_app` alone can see the idle state from before the run started; a click sent
    then may reach a callback bound to the old widget values."""
    page.evaluate(_WATCH_RUNS_JS)
    action()
    page.wait_for_function("() => window.__e2eRuns > 0", timeout=timeout_ms, polling=50)
    wait_for_app(page, timeout_ms)
