"""End-to-end fixtures: one shared `streamlit run app.py` server and headless system Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.helpers import CHROMIUM_PATH, DEFAULT_TIMEOUT_MS, launch_browser, safe_filename
from tests.e2e.server import running_app_server

_E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with `pytest.mark.e2e`."""
    for item in items:
        if _E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def app_server(artifacts_dir: Path) -> Iterator[str]:
    """Base URL (`http://127.0.0.1:PORT`) of `streamlit run app.py`, shared by the session.

    Server output goes to `tests/artifacts/streamlit-server.log`.
    """
    with running_app_server(log_path=artifacts_dir / "streamlit-server.log") as server:
        yield server.base_url


@pytest.fixture
def fresh_app_server(artifacts_dir: Path) -> Iterator[str]:
    """Base URL of a server of its own that no browser has visited yet (~2 s to start).

    For first-visit behaviour; request it before `page` so the server outlives the screenshot.
    """
    log_path = artifacts_dir / "streamlit-server-fresh.log"
    with running_app_server(log_path=log_path) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium. Skips locally when it is missing; fails in CI."""
    if not CHROMIUM_PATH.exists() and not _in_ci():
        pytest.skip(f"{CHROMIUM_PATH} not found (apt-get install chromium); e2e tests skipped")
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, artifacts_dir: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh 1400x900 page; saves `tests/artifacts/<test-name>.png` (full page) on teardown."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        try:
            page.screenshot(
                path=str(artifacts_dir / f"{safe_filename(request.node.name)}.png"),
                full_page=True,
            )
        finally:
            context.close()
