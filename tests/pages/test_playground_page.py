"""The Playground page under `streamlit.testing.v1.AppTest`: widgets, presets, the training
controls, config changes, bad configurations and links, without a browser.

The app runs through `app.py` (st.navigation) and `switch_page`, as a student reaches it.
The live view is a component that the browser keeps moving from its own feed; here the tests
call `at.run()` again and read the frame the page embedded (tests/pages/live.py). Every job
that started a thread is stopped (and joined) when its test ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.config import DEVICES, RunConfig
from core.data import FEATURES
from core.share import config_to_params
from core.train import Job
from playground.presets import DEFAULT_PRESET, PRESETS
from tests.pages.live import counter_text, counters, live_data

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "app_pages/playground_2d.py"
RUN_TIMEOUT_S = 30  # the first run imports torch
WAIT_S = 20.0


@pytest.fixture
def open_page(started_jobs: list[Job]) -> Callable[..., AppTest]:
    """Open the Playground (optionally with a link's query parameters) and run it once.

    `started_jobs` (tests/pages/conftest.py) stops and joins every job a test started.
    """

    def _open(query_params: dict[str, str] | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()  # Home first: only
        at.switch_page(PAGE)  # after a run does AppTest know st.navigation's page hashes
        for key, value in (query_params or {}).items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, _exceptions(at)
        return at

    return _open


def _exceptions(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in at.exception)


def job_of(at: AppTest) -> Job:
    job = at.session_state["_session_jobs"].get("playground")
    assert job is not None, "the page made no job"
    return job


def by_label(elements: Any, label: str) -> Any:
    found = [e for e in elements if e.label == label]
    assert found, f"no element labelled {label!r} among {[e.label for e in elements]}"
    return found[0]


def metric(at: AppTest, label: str) -> str:
    """A counter of the live view, as the browser writes it."""
    return counter_text(at, label)


def wait_until(at: AppTest, condition: Callable[[], bool], what: str,
               timeout_s: float = WAIT_S) -> None:
    """Re-run the page until `condition()` holds (the fragment timer does not fire here)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.05)
        at.run()
        assert not at.exception, _exceptions(at)


def click(at: AppTest, label: str) -> None:
    by_label(at.button, label).click().run()
    assert not at.exception, _exceptions(at)


def train_to_first_epoch_and_pause(at: AppTest) -> Job:
    job = job_of(at)
    click(at, "Train")
    wait_until(at, lambda: job.epoch >= 1, "the first epoch")
    click(at, "Pause")
    wait_until(at, lambda: job.state == "paused", "the job to pause")
    return job


# --------------------------------------------------------------------------------- tests


def test_page_renders_with_main_controls(open_page: Callable[..., AppTest]) -> None:
    at = open_page()

    assert at.title[0].value == "Playground"
    for label in ("Train", "Step", "Reset"):
        assert not by_label(at.button, label).disabled, label
    assert by_label(at.selectbox, "Dataset").value == "circle"
    assert by_label(at.select_slider, "Learning rate").value == 0.03
    assert by_label(at.number_input, "Hidden layers").value == 2
    assert by_label(at.toggle, "Show test data").value is True
    assert by_label(at.toggle, "Discretize output").value is False
    assert metric(at, "Epoch") == "0"
    assert metric(at, "Test loss") == "—"
    assert not at.error
    assert job_of(at).state == "ready"


def test_device_widget_offers_exactly_the_config_devices(
        open_page: Callable[..., AppTest]) -> None:
    """The picker reads core.config.DEVICES: a device added there is offered, no other list."""
    at = open_page()
    assert by_label(at.selectbox, "Device").options == list(DEVICES)


def test_every_preset_loads_with_its_lesson(open_page: Callable[..., AppTest]) -> None:
    at = open_page()
    problems = []
    for name, preset in PRESETS.items():
        by_label(at.selectbox, "Lesson preset").set_value(name)
        by_label(at.button, "Load preset").click().run()
        if at.exception:
            problems.append(f"{name}: exception {_exceptions(at)}")
            continue
        lessons = [info.value for info in at.info]
        if not any(preset.title in text for text in lessons):
            problems.append(f"{name}: lesson box shows {lessons}")
        if at.error:
            problems.append(f"{name}: error {[e.value for e in at.error]}")
        expected = preset.config()
        if by_label(at.selectbox, "Dataset").value != expected.dataset.name:
            problems.append(f"{name}: Dataset widget shows the wrong dataset")
        if by_label(at.number_input, "Hidden layers").value != len(expected.network.layers):
            problems.append(f"{name}: Hidden layers widget shows the wrong count")
        if job_of(at).config.to_dict() != expected.to_dict():
            problems.append(f"{name}: the job's config differs from the preset's")
    assert not problems, "\n".join(problems)


def test_train_pause_and_step(open_page: Callable[..., AppTest]) -> None:
    at = open_page()
    job = job_of(at)

    click(at, "Train")
    assert job.state in ("running", "paused") and not job.done
    wait_until(at, lambda: job.epoch >= 1, "the first epoch")
    at.run()
    assert int(metric(at, "Epoch").replace(",", "")) > 0
    assert metric(at, "Test loss") != "—"
    labels = [b.label for b in at.button]
    assert "Pause" in labels and "Train" not in labels, labels  # running: Train became Pause

    click(at, "Pause")
    wait_until(at, lambda: job.state == "paused", "the job to pause")
    at.run()
    assert not by_label(at.button, "Train").disabled
    assert not by_label(at.button, "Step").disabled

    paused_at = job.epoch
    click(at, "Step")
    wait_until(at, lambda: job.epoch == paused_at + 1 and job.state == "paused",
               "one stepped epoch")
    time.sleep(0.3)  # a second epoch would have started by now
    assert (job.epoch, job.state) == (paused_at + 1, "paused")
    at.run()
    assert metric(at, "Epoch") == f"{paused_at + 1:,}"
    assert job_of(at) is job


def test_learning_rate_change_keeps_job_and_applies_on_resume(
        open_page: Callable[..., AppTest]) -> None:
    at = open_page()
    job = train_to_first_epoch_and_pause(at)
    assert job.config.training.lr == 0.03

    by_label(at.select_slider, "Learning rate").set_value(0.1).run()
    assert not at.exception, _exceptions(at)
    assert job_of(at) is job, "a learning-rate change must keep the weights"
    assert job.state == "paused"
    assert not at.toast, [t.value for t in at.toast]

    resumed_at = job.epoch
    click(at, "Train")
    wait_until(at, lambda: job.epoch > resumed_at, "an epoch after resuming")
    assert job.history[-1]["lr"] == 0.1
    if isinstance(job, Job):  # in a worker process the optimizer is out of reach
        assert job._optimizer.param_groups[0]["lr"] == 0.1
    assert [r["lr"] for r in job.history[:resumed_at]] == [0.03] * resumed_at


def test_divergence_shows_message_and_readable_losses(
        open_page: Callable[..., AppTest]) -> None:
    at = open_page()
    by_label(at.selectbox, "Lesson preset").set_value("lr-too-high")
    by_label(at.button, "Load preset").click().run()
    job = job_of(at)
    click(at, "Train")
    wait_until(at, lambda: job.state == "diverged", "the run to diverge")
    at.run()

    assert not at.exception, _exceptions(at)
    errors = [e.value for e in at.error]
    assert any("loss became" in text for text in errors), errors
    assert by_label(at.button, "Train").disabled and by_label(at.button, "Step").disabled
    for label in ("Train loss", "Test loss"):  # a loss of 1e24 must not print 29 digits
        assert len(metric(at, label)) <= 10, (label, metric(at, label))
    assert counters(at)["state"] == "diverged"
    frame = live_data(at, "pg_live")["reply"]["frame"]
    assert frame["boundary"] and frame["nodes"], "the charts disappeared after the divergence"


def test_architecture_change_replaces_job(open_page: Callable[..., AppTest]) -> None:
    at = open_page()
    old = job_of(at)
    click(at, "Step")
    wait_until(at, lambda: old.epoch == 1 and old.state == "paused", "one stepped epoch")

    by_label(at.number_input, "Hidden layers").set_value(3).run()
    assert not at.exception, _exceptions(at)
    new = job_of(at)
    assert new is not old
    assert new.epoch == 0 and new.state == "ready"
    assert len(new.config.network.layers) == 3
    assert any("weights were reset" in t.value for t in at.toast)
    assert old.join(timeout=10) and old.state == "stopped"
    assert metric(at, "Epoch") == "0"


def test_train_pressed_while_a_preset_loads_trains_the_preset(
        open_page: Callable[..., AppTest]) -> None:
    """A press that reaches the server with the Load preset press (a fast click while the
    preset's run is still going) trains the preset's network, not the one it replaced."""
    at = open_page()
    old = job_of(at)
    by_label(at.selectbox, "Lesson preset").set_value("spiral-depth")
    by_label(at.button, "Load preset").click()
    by_label(at.button, "Train").click()
    at.run()
    assert not at.exception, _exceptions(at)
    job = job_of(at)
    assert job is not old
    assert job.config.architecture_key() == PRESETS["spiral-depth"].config().architecture_key()
    assert job.state in ("running", "starting", "queued"), job.state
    wait_until(at, lambda: job.epoch >= 1, "the preset's first epoch")
    assert old.join(timeout=10) and old.epoch == 0


def test_no_input_feature_shows_plain_error(open_page: Callable[..., AppTest]) -> None:
    at = open_page()
    features = {label for label, _ in FEATURES.values()}
    ticked = [box for box in at.checkbox if box.label in features and box.value]
    assert ticked, "no ticked input feature to untick"
    for box in ticked:
        box.uncheck()
    at.run()

    assert not at.exception, _exceptions(at)
    errors = [e.value for e in at.error]
    assert any("choose at least one input feature" in text for text in errors), errors
    assert by_label(at.button, "Train").disabled
    assert by_label(at.button, "Step").disabled


def test_link_opens_its_configuration(open_page: Callable[..., AppTest]) -> None:
    data = RunConfig().to_dict()
    data["dataset"]["name"] = "spiral"
    data["network"]["layers"] = [{"type": "dense", "units": 6, "activation": "relu"}] * 3
    data["training"]["lr"] = 0.01
    config = RunConfig.from_dict(data)

    at = open_page(config_to_params(config))

    assert not at.warning, [w.value for w in at.warning]
    assert by_label(at.selectbox, "Dataset").value == "spiral"
    assert by_label(at.number_input, "Hidden layers").value == 3
    assert by_label(at.number_input, "Layer 3 neurons").value == 6
    assert by_label(at.selectbox, "Layer 1 activation").value == "relu"
    assert by_label(at.select_slider, "Learning rate").value == 0.01
    assert job_of(at).config.to_dict() == config.to_dict()
    # A setup that is no preset gets no lesson text (it used to say "Start here: a circle"),
    # and the preset box says it is the student's own setup instead of naming a lesson.
    assert not at.info, [i.value for i in at.info]
    assert by_label(at.selectbox, "Lesson preset").value is None
    assert by_label(at.button, "Load preset").disabled
    by_label(at.selectbox, "Lesson preset").set_value("spiral-depth").run()
    assert not by_label(at.button, "Load preset").disabled


def test_link_to_a_preset_setup_shows_that_lesson(open_page: Callable[..., AppTest]) -> None:
    """A reloaded or shared link of a loaded preset keeps that preset's lesson."""
    preset = PRESETS["spiral-depth"]
    at = open_page(config_to_params(preset.config()))

    assert [preset.title in i.value for i in at.info] == [True], [i.value for i in at.info]
    assert by_label(at.selectbox, "Lesson preset").value == "spiral-depth"


def test_tampered_link_shows_warning_and_default(open_page: Callable[..., AppTest]) -> None:
    params = config_to_params(PRESETS["spiral-depth"].config())
    params["network.layers"] = "abc"

    at = open_page(params)

    warnings = [w.value for w in at.warning]
    assert any("could not be used" in text and "abc" in text for text in warnings), warnings
    default = PRESETS[DEFAULT_PRESET].config()
    assert by_label(at.selectbox, "Dataset").value == default.dataset.name
    assert by_label(at.number_input, "Hidden layers").value == len(default.network.layers)
    assert job_of(at).config.to_dict() == default.to_dict()
    assert any(PRESETS[DEFAULT_PRESET].title in i.value for i in at.info)

    # It stays through the reruns that follow (the browser's tab-id rerun comes at once) ...
    at.run().run()
    assert any("could not be used" in w.value for w in at.warning), [w.value for w in at.warning]
    # ... until the student changes the setup.
    by_label(at.number_input, "Number of points").set_value(300).run()
    assert not any("could not be used" in w.value for w in at.warning)


def test_widgets_carry_their_value_as_their_own_default(open_page) -> None:
    """A browser that misses the script run which set a widget through Session State (cut
    short by a rerun) falls back to the widget's default: that default must be the value."""
    at = open_page()
    config = PRESETS[DEFAULT_PRESET].config()
    points = by_label(at.number_input, "Number of points")
    assert points.proto.default == config.dataset.samples != points.proto.min
    noise = by_label(at.slider, "Noise")
    assert list(noise.proto.default) == [config.dataset.noise]
    dataset = by_label(at.selectbox, "Dataset")
    assert dataset.options[dataset.proto.default] == dataset.format_func(config.dataset.name)
    inputs = [box for box in at.checkbox if box.key.split(".")[-1] in config.dataset.features]
    assert len(inputs) == len(config.dataset.features) == 2
    assert all(box.proto.default is True for box in inputs)
