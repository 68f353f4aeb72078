"""Three waves of 10 students on one server: when each wave has left (tabs closed, workers
ended, kept runs expired), the server's memory is back within 10 % of its baseline.

A server of its own with short timeouts: a closed tab's run ends after 5 s and is let go 5 s
later, and Streamlit drops a disconnected session after 5 s (production: 30 s, 30 minutes and
Streamlit's 120 s), so what is measured is what a wave leaves behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.helpers import DEFAULT_TIMEOUT_MS
from tests.e2e.processes import rss_bytes, worker_pids
from tests.e2e.server import AppServer, running_app_server
from tests.e2e.test_playground import control, open_playground, poll

WAVES, STUDENTS = 3, 10
ENV = {"PLAYGROUND_OWNER_TIMEOUT_S": "5", "PLAYGROUND_RUN_TTL_S": "5",
       "PLAYGROUND_MAX_JOBS": str(STUDENTS), "PLAYGROUND_JOBS": "process",
       "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "5"}


@pytest.fixture(scope="module")
def server(artifacts_dir: Path) -> Iterator[AppServer]:
    with running_app_server(log_path=artifacts_dir / "streamlit-server-waves.log",
                            env=ENV) as server:
        yield server


def _wave(browser: Browser, base_url: str, students: int) -> None:
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900})
                for _ in range(students)]
    pages: list[Page] = []
    try:
        for context in contexts:  # the whole wave arrives at once, as a room does
            context.set_default_timeout(DEFAULT_TIMEOUT_MS * 4)
            page = context.new_page()
            page.goto(f"{base_url}/playground", wait_until="commit",
                      timeout=DEFAULT_TIMEOUT_MS * 4)
            pages.append(page)
        for page in pages:
            # ten pages load at once on the test box's two cores: the first waits for all
            open_playground(page, base_url, navigate=False, timeout_ms=DEFAULT_TIMEOUT_MS * 6)
            control(page, "Train").click()
        for page in pages:
            poll(page, "training", "const r = reading(); return r.epoch >= 2;",
                 timeout_ms=DEFAULT_TIMEOUT_MS * 6)
    finally:
        for context in contexts:
            context.close()


def _settled(server: AppServer, timeout_s: float = 120) -> None:
    """No workers left, and the kept runs expired (the store sweeps every 10 s)."""
    deadline = time.monotonic() + timeout_s
    while worker_pids(server.process.pid):
        assert time.monotonic() < deadline, "workers outlived their closed tabs"
        time.sleep(0.5)  # outside processes: nothing to wait on but time
    time.sleep(5 + 10 + 2)


def test_three_waves_leave_the_server_as_they_found_it(server: AppServer,
                                                       browser: Browser) -> None:
    _wave(browser, server.base_url, 1)  # everything a session imports and caches, once
    _settled(server)
    baseline = rss_bytes(server.process.pid)
    after = []
    for _ in range(WAVES):
        _wave(browser, server.base_url, STUDENTS)
        _settled(server)
        after.append(rss_bytes(server.process.pid))
    mb = [f"{a / 2**20:.0f}" for a in after]
    assert max(after) <= 1.10 * baseline, (
        f"baseline {baseline / 2**20:.0f} MB, after each wave {', '.join(mb)} MB")
