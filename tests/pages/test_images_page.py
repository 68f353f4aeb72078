"""The image-training page under AppTest: data panel, layer-stack editor, shape errors in
plain words, a short run on the offline digits, and a clear message when data is missing."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import DEVICES
from core.train import Job
from tests.pages.live import live_data

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "images.py")


def _open() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _select(at: AppTest, label: str, value: object) -> None:
    [box] = [s for s in at.selectbox if s.label == label]
    box.set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]


def _job(at: AppTest) -> Job:
    return at.session_state["_session_jobs"].get("images")


def test_page_shows_data_network_and_shapes(started_jobs: list[Job]) -> None:
    at = _open()
    assert [b.label for b in at.button if b.label in ("Train", "Step", "Reset")] == [
        "Train", "Step", "Reset"]
    labels = [s.label for s in at.selectbox]
    assert {"Dataset", "Starter architecture", "Add a layer", "Loss", "Optimizer"} <= set(labels)
    [device] = [s for s in at.selectbox if s.label == "Device"]
    assert device.options == list(DEVICES)  # the config's list, not a copy of it
    tables = [t.value for t in at.dataframe]
    shapes = tables[-1]
    assert list(shapes["layer"])[-1] == "Dense (10, softmax) output"
    assert "1×28×28" in list(shapes["output shape"])  # the input row
    assert any("61,706" in c.value for c in at.caption)  # LeNet-like total parameters


def test_impossible_stack_is_refused_in_plain_words(started_jobs: list[Job]) -> None:
    at = _open()
    _select(at, "Add a layer", "conv2d")
    [add] = [b for b in at.button if b.label == "Add"]
    add.click().run()
    messages = " ".join(e.value for e in at.error)
    assert "layer 8 (Conv2D) needs an image, but layer 7 (Dense) produced a vector of 84" \
        in messages
    assert not at.exception


def test_short_run_on_offline_digits_fills_the_live_view(started_jobs: list[Job]) -> None:
    at = _open()
    _select(at, "Dataset", "digits")
    assert [s.value for s in at.selectbox if s.label == "Starter architecture"] == ["mlp"]
    [epochs] = [n for n in at.number_input if n.label == "Epochs"]
    epochs.set_value(2).run()
    [train] = [b for b in at.button if b.label == "Train"]
    train.click().run()
    deadline = time.monotonic() + 60
    while _job(at).state != "finished" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _job(at).state == "finished", _job(at).outcome
    at.run()
    assert not at.exception
    reply = live_data(at, "img_live")["reply"]
    frame = reply["frame"]
    assert 0 < frame["counters"]["metrics"]["val_accuracy"] <= 1
    assert frame["progress"] == 1.0 and len(reply["rows"][0]) == 2  # both epochs' points
    assert len(frame["confusion"]) == 10
    assert frame["mistakes"]["epoch"] == 2
    assert all(src.startswith("data:image/png;base64,")
               for src, _caption in frame["mistakes"]["items"])
    assert any("Finished 2 epochs" in i.value for i in at.info)
    assert len(_job(at).history[-1]["val_confusion"]) == 10


def test_missing_galaxy_data_is_a_message_not_a_crash(
        started_jobs: list[Job], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    at = _open()
    _select(at, "Dataset", "galaxy_zoo")
    text = re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at.error))  # as the user reads it
    assert "PLAYGROUND_DATA_DIR" in text and "8×8 digits" in text
    assert _job(at) is None or _job(at).dataset.name != "galaxy_zoo"
