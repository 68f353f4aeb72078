"""Train on images → Your pictures, fine-tuning a shipped model (AppTest): the pictures are
read as the model expects, the job starts from its weights with a fresh output layer for the
new classes and the chosen layers frozen, trains, exports; a model that cannot be used is
refused in a sentence, never a traceback."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.models.model_io import load_model
from tests.pages.apptest import run_clean

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT_S = 60


pytestmark = pytest.mark.usefixtures("own_cache")


def _by_label(elements, label: str):
    found = [e for e in elements if e.label == label]
    assert found, f"no element {label!r} among {[e.label for e in elements]}"
    return found[0]


def _pictures_page(tmp_path) -> AppTest:
    from tests.core.test_folders import picture_zip

    data = Path(picture_zip(tmp_path)).read_bytes()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    at.switch_page("app_pages/images.py")
    run_clean(at)
    _by_label(at.selectbox, "Dataset").set_value("folders")
    run_clean(at)
    _by_label(at.file_uploader, "A zip of class folders").set_value(
        ("my pictures.zip", data, "application/octet-stream"))
    return run_clean(at)


def _job(at: AppTest):
    return at.session_state["_session_jobs"].get("images")


def test_fine_tune_the_shipped_mnist_cnn_on_your_pictures(tmp_path, started_jobs) -> None:
    at = _pictures_page(tmp_path)
    scratch = _job(at)
    assert scratch.dataset.input_shape == (3, 32, 32) and not scratch.warm_started
    start = _by_label(at.radio, "Start from")
    assert start.options[0].startswith("a fresh network")
    assert any(o.startswith("fine-tune MNIST CNN") for o in start.options)
    start.set_value("mnist_cnn")
    run_clean(at)
    assert not at.error, [e.value for e in at.error]
    # colour pictures become the model's 28×28 grey input; its own side/colour widgets go
    assert not [s for s in at.select_slider if s.label == "Resize every picture to (pixels)"]
    assert any("28×28 grey" in c.value for c in at.caption)
    assert _by_label(at.radio, "Freeze").value == "convolutions"
    job = _job(at)
    assert job is not scratch and job.dataset.input_shape == (1, 28, 28)
    assert job.dataset.class_names == ["bright", "dark"]
    assert job.model.output[0].out_features == 2  # a fresh output layer for the new classes
    base, _ = load_model(ROOT / "assets" / "mnist_cnn.safetensors")
    first = base.model.state_dict()["layer1.0.weight"]
    assert torch.equal(job.model.state_dict()["layer1.0.weight"].cpu(), first)
    assert "layer1.0.weight" in job.warm_started and "output.0.weight" not in job.warm_started
    frozen = {n for n, p in job.model.named_parameters() if not p.requires_grad}
    assert "layer1.0.weight" in frozen and "layer9.0.weight" not in frozen
    assert any("weights learn" in c.value for c in at.caption)

    _by_label(at.button, "Train").click()
    run_clean(at)
    job = _job(at)
    deadline = time.monotonic() + 60
    while job.epoch < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.epoch >= 2, job.state
    job.pause()
    run_clean(at)
    assert "val_accuracy" in job.history[-1] and job.history[-1]["val_confusion"] is not None
    # the convolutions stayed as trained; the dense head learned
    assert torch.equal(_job(at).model.state_dict()["layer1.0.weight"].cpu(), first)
    labels = [b.label for b in at.get("download_button")]
    assert {"Model (.safetensors)", "ONNX", "Training script (.py)"} <= set(labels)

    # Freeze: every hidden layer → a new job from the pretrained weights again
    _by_label(at.radio, "Freeze").set_value("all_hidden")
    run_clean(at)
    again = _job(at)
    assert again is not job and again.epoch == 0 and again.warm_started
    assert all(not p.requires_grad for n, p in again.model.named_parameters()
               if not n.startswith("output."))

    # back to a fresh network: the page's own 32×32 colour setup and its layer editor
    _by_label(at.radio, "Start from").set_value("scratch")
    run_clean(at)
    assert _job(at).dataset.input_shape == (3, 32, 32) and not _job(at).warm_started


def test_a_model_that_cannot_be_fine_tuned_is_refused_in_words(tmp_path, monkeypatch,
                                                               started_jobs) -> None:
    """A shipped model that reads a table, not pictures, is named and refused; the page keeps
    working and a fresh network can still be chosen."""
    import shutil

    from tests.pages.test_own_data_pages import _csv_model_bytes

    assets = tmp_path / "assets"
    assets.mkdir()
    shutil.copy(ROOT / "assets" / "mnist_mlp.safetensors", assets)
    (assets / "colours.safetensors").write_bytes(_csv_model_bytes())
    monkeypatch.setenv("PLAYGROUND_ASSETS_DIR", str(assets))
    at = _pictures_page(tmp_path)
    _by_label(at.radio, "Start from").set_value("colours")
    run_clean(at)
    errors = re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at.error))  # as read
    assert "colours cannot be fine-tuned on pictures" in errors and "table" in errors
    assert _by_label(at.button, "Train").disabled
    # an MLP has no convolutions: "freeze the convolutions" is not offered
    _by_label(at.radio, "Start from").set_value("mnist_mlp")
    run_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert "convolutions" not in _by_label(at.radio, "Freeze").options
    assert _job(at).dataset.input_shape == (1, 28, 28)
