"""Screenshot one page of the app: starts `streamlit run app.py` itself, then headless Chromium.

    python tools/screenshot.py URL_PATH OUT.png [--wait-text TEXT] [--width 1400 --height 900]

URL_PATH is the page's url path, e.g. "" or "/" for Home, "playground" for the Playground.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.helpers import launch_browser, open_app, wait_for_text  # noqa: E402
from tests.e2e.server import ARTIFACTS_DIR, running_app_server  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url_path", help='page url path: "" or "/" for Home, "playground", ...')
    parser.add_argument("out", type=Path, help="output PNG file")
    parser.add_argument("--wait-text", help="also wait until this text is visible")
    parser.add_argument("--width", type=int, default=1400, help="viewport width (default 1400)")
    parser.add_argument("--height", type=int, default=900, help="viewport height (default 900)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the page (default 60)"
    )
    return parser.parse_args(argv)


def take_screenshot(
    url_path: str,
    out: Path,
    wait_text: str | None = None,
    width: int = 1400,
    height: int = 900,
    timeout_s: float = 60.0,
) -> Path:
    """Serve the app, open `url_path`, wait until idle (and for `wait_text`), save a PNG.

    The server's output goes to `tests/artifacts/screenshot-server.log`.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    timeout_ms = timeout_s * 1000
    log_path = ARTIFACTS_DIR / "screenshot-server.log"
    with running_app_server(log_path=log_path) as server, sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            if url_path.strip("/"):
                # Visit the root first: while a `pages/` folder sits beside app.py, a fresh
                # server serves the legacy file-name navigation to deep links until one
                # session has run app.py's st.navigation (see tests/e2e/test_home.py).
                open_app(page, server.base_url, "", timeout_ms)
            open_app(page, server.base_url, url_path, timeout_ms)
            if wait_text:
                wait_for_text(page, wait_text, timeout_ms)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; prints the PNG's path."""
    args = parse_args(argv)
    start = time.monotonic()
    out = take_screenshot(
        args.url_path, args.out, args.wait_text, args.width, args.height, args.timeout
    )
    print(f"{out} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
