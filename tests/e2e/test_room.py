"""A room full of students on one server: a reload finds the run, a closed tab's worker ends,
a killed worker leaves a message and a working page, a full server queues with the place.

One server of their own, with a tab counted as gone after 20 s unseen (production: 30 s):
long enough for a reload on a busy 2-core box, short enough to wait for."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from core.share import config_to_params
from playground.presets import DEFAULT_PRESET, PRESETS
from tests.e2e.helpers import DEFAULT_TIMEOUT_MS, LIVE_JS, assert_no_exception, wait_for_app
from tests.e2e.processes import worker_pids
from tests.e2e.server import AppServer, running_app_server
from tests.e2e.test_playground import control, open_playground, poll

ROOM_ENV = {"PLAYGROUND_OWNER_TIMEOUT_S": "20", "PLAYGROUND_MAX_JOBS": "1",
            "PLAYGROUND_JOBS": "process"}
SETTLE_S = 60.0


@pytest.fixture(scope="module")
def room_server(artifacts_dir: Path) -> Iterator[AppServer]:
    with running_app_server(log_path=artifacts_dir / "streamlit-server-room.log",
                            env=ROOM_ENV) as server:
        yield server


def _wait(condition, what: str, timeout_s: float = SETTLE_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)  # an outside process, not the page: nothing to wait on but time


def open_room_page(page: Page, base_url: str, query: str = "") -> None:
    """The Playground, once the page knows which tab it is in (a rerun after the first)."""
    open_playground(page, base_url, query)
    expect(page.locator(".st-key-nn_tab_known")).to_be_attached()
    wait_for_app(page)


def _long_run() -> str:
    """The default setup with an epoch limit no test reaches."""
    config = PRESETS[DEFAULT_PRESET].config()
    config.training.epochs = 1_000_000
    return "?" + urlencode(config_to_params(config))


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context.new_page()


def _epoch_at_least(page: Page, epoch: int, what: str) -> dict:
    return poll(page, what, "const r = reading(); return r.epoch >= arg && r;", arg=epoch)


def _loss_points(page: Page) -> int:
    """Epochs on the loss curve the browser holds (the live view's data-rows)."""
    return page.evaluate(f"""() => {{ {LIVE_JS}
        const h = liveHost('pg_live');
        return h ? Number((h.dataset.rows || '0').split(',')[0]) : 0;
    }}""")


def test_a_reload_finds_the_same_run_and_its_curves(room_server: AppServer, page: Page,
                                                     artifacts_dir: Path) -> None:
    open_room_page(page, room_server.base_url)
    control(page, "Train").click()
    before = _epoch_at_least(page, 30, "epoch 30")
    workers = worker_pids(room_server.process.pid)
    assert len(workers) == 1, workers

    page.reload()
    wait_for_app(page)
    after = _epoch_at_least(page, before["epoch"], "the same run after the reload")
    assert after["epoch"] >= before["epoch"]
    expect(control(page, "Pause")).to_be_visible()  # still training
    moving = _epoch_at_least(page, after["epoch"] + 5, "epochs after the reload")
    assert _loss_points(page) >= moving["epoch"] - 1  # the whole curve, not from the reload
    assert worker_pids(room_server.process.pid) == workers  # the same worker trains on
    assert_no_exception(page)
    page.screenshot(path=str(artifacts_dir / "room-after-reload.png"))
    control(page, "Pause").click()
    expect(control(page, "Train")).to_be_visible()


def test_a_closed_tab_ends_its_worker(room_server: AppServer, browser: Browser) -> None:
    page = _new_page(browser)
    open_room_page(page, room_server.base_url)
    control(page, "Train").click()
    _epoch_at_least(page, 3, "training")
    _wait(lambda: len(worker_pids(room_server.process.pid)) == 1, "the worker")
    assert_no_exception(page)
    page.context.close()
    closed = time.monotonic()
    _wait(lambda: not worker_pids(room_server.process.pid), "the worker to end")
    assert time.monotonic() - closed < SETTLE_S


def test_a_killed_worker_gives_a_message_and_the_page_trains_again(
        room_server: AppServer, page: Page) -> None:
    open_room_page(page, room_server.base_url)
    control(page, "Train").click()
    reached = _epoch_at_least(page, 5, "training")
    # one slot (PLAYGROUND_MAX_JOBS=1): an earlier test's paused worker was parked for this one
    _wait(lambda: len(worker_pids(room_server.process.pid)) == 1, "one worker")
    (pid,) = worker_pids(room_server.process.pid)
    os.kill(pid, signal.SIGKILL)
    message = page.get_by_test_id("stAlertContentError").filter(
        has_text="the training worker stopped unexpectedly")
    expect(message).to_be_visible(timeout=SETTLE_S * 1000)
    expect(message).to_contain_text("press Train to go on")
    assert_no_exception(page)  # a plain message, not the crash's traceback
    control(page, "Train").click()
    _epoch_at_least(page, reached["epoch"] + 5, "training after the crash")
    expect(message).to_have_count(0)
    assert_no_exception(page)
    control(page, "Pause").click()


def test_a_full_server_queues_and_says_the_place(room_server: AppServer, page: Page,
                                                 browser: Browser) -> None:
    open_room_page(page, room_server.base_url, _long_run())  # still training when the other
    control(page, "Train").click()                           # student arrives, however slow
    _epoch_at_least(page, 3, "the first student's run")

    other = _new_page(browser)
    try:
        open_room_page(other, room_server.base_url)
        control(other, "Train").click()
        note = other.get_by_test_id("stAlertContentInfo").filter(
            has_text="Waiting for a free training slot")
        expect(note).to_contain_text("place 1 in the queue (you are next)")
        assert_no_exception(other)
        control(page, "Pause").click()  # the first student pauses: the slot moves on
        expect(note).to_have_count(0, timeout=SETTLE_S * 1000)
        _epoch_at_least(other, 3, "the second student's run")
        assert_no_exception(page)
        assert_no_exception(other)
        control(other, "Pause").click()
    finally:
        other.context.close()
