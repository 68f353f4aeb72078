"""Your own data in, your model out, through the pages (AppTest): a CSV in the Playground —
built-in and uploaded, bad files with their messages shown literally, a link that names a file
outside the uploads refused —, trained and exportable; a model brought back to Draw a digit,
and foreign files refused there and on Feature maps."""

from __future__ import annotations

import pickle
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import RunConfig
from core.share import config_to_params
from core.train import Job
from tests.pages.apptest import run_clean

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PLAYGROUND = "app_pages/playground_2d.py"
ASSETS = ROOT / "assets"
TIMEOUT_S = 60
ROWS = "".join(f"{a / 10:.2f},{(a * 7 % 23) / 5:.2f},{'in' if a % 40 < 20 else 'out'}\n"
               for a in range(80))


pytestmark = pytest.mark.usefixtures("own_cache")


def _playground(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    at.switch_page(PLAYGROUND)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return run_clean(at)


def _by_label(elements, label: str):
    found = [e for e in elements if e.label == label]
    assert found, f"no element {label!r} among {[e.label for e in elements]}"
    return found[0]


def _shown(elements) -> str:
    """What the user reads: the texts with Markdown escapes resolved."""
    return " ".join(re.sub(r"\\(.)", r"\1", e.value).replace("\u2060", "")
                    for e in elements)


def _upload(at: AppTest, label: str, name: str, data: bytes) -> None:
    """Elements belong to one run's tree: find the uploader afresh every time."""
    _by_label(at.file_uploader, label).set_value((name, data, "application/octet-stream"))


def _job(at: AppTest) -> Job | None:
    return at.session_state["_session_jobs"].get("playground")


def _step(at: AppTest) -> Job:
    job = _job(at)
    _by_label(at.button, "Step").click()
    run_clean(at)
    deadline = time.monotonic() + 30
    while job.epoch < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.epoch >= 1
    return run_clean(at) and job


def test_csv_upload_bad_then_good_then_train_and_export(started_jobs) -> None:
    at = _playground()
    _by_label(at.selectbox, "Dataset").set_value("csv")
    run_clean(at)
    assert _by_label(at.selectbox, "Table").value == "builtin:sdss_colours"
    assert _job(at).dataset.class_names == ["galaxy", "quasar", "star"]
    _by_label(at.selectbox, "Table").set_value("upload")
    run_clean(at)
    assert any("20 MB, 20,000 rows" in c.value for c in at.caption)
    # a header with Markdown in it, and a missing value: the message names both, literally
    bad = "**x**,[y](z),label\n1,2,in\n3,,out\n" + ROWS
    _upload(at, "Your CSV file", "bad.csv", bad.encode())
    run_clean(at)
    assert _by_label(at.selectbox, "Table").value == "upload"
    at.run()  # the saved file is now the table; its columns are checked when the job is made
    errors = " ".join(e.value for e in at.error)
    assert "\\[y\\]\\(z\\)" in errors, errors  # the header cannot become a link
    assert "line 3, column '[y](z)': the value is missing" in _shown(at.error)
    # a file that is not a CSV is refused at the upload, the last good choice stays
    _upload(at, "Your CSV file", "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00")
    run_clean(at)
    assert "photo.csv: this is not a CSV file" in _shown(at.error)
    # a good file: its columns, a step of training, the export buttons, the URL names the file
    _upload(at, "Your CSV file", "ring.csv", ("r,theta,label\n" + ROWS).encode())
    run_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert _by_label(at.selectbox, "Plot across (x1)").value == "r"
    assert _by_label(at.selectbox, "Label or target column").value == "label"
    job = _step(at)
    assert job.dataset.feature_names == ["r", "theta"]
    assert job.dataset.class_names == ["in", "out"]
    assert "test_accuracy" in job.history[-1]
    buttons = at.get("download_button")
    assert {"Model (.safetensors)", "ONNX", "Training script (.py)"} <= {b.label for b in buttons}
    # a download that reran the page would revoke the very file it asks for (seen in Chromium:
    # 7 clicks in 25 fetched nothing)
    assert all(b.proto.ignore_rerun for b in buttons), [b.label for b in buttons]
    assert at.query_params["dataset.path"].endswith("/ring.csv")
    assert at.query_params["dataset.columns"] == "r,theta"


def test_link_to_a_file_outside_the_uploads_is_refused(started_jobs) -> None:
    config = RunConfig.from_dict({"dataset": {"name": "csv", "path": "/etc/passwd"},
                                  "training": {"loss": "cce"}})
    at = _playground(config_to_params(config))
    errors = _shown(at.error)
    assert "names a CSV file that is not on this server" in errors
    assert "root" not in errors
    job = _job(at)
    assert job is None or job.config.dataset.name != "csv"


def test_a_builtin_regression_table_from_a_link_trains(started_jobs) -> None:
    config = RunConfig.from_dict({
        "dataset": {"name": "csv", "path": "builtin:photo_z", "normalization": "standardize",
                    "columns": ["g_r", "u_g", "r_i"]},
        "network": {"layers": [{"type": "dense", "units": 6, "activation": "tanh"}]},
        "training": {"loss": "mse", "optimizer": "adam", "lr": 0.01}})
    at = _playground(config_to_params(config))
    assert _by_label(at.radio, "Task").value == "regression"
    assert _by_label(at.multiselect, "More inputs (not plotted)").value == ["r_i"]
    assert _by_label(at.selectbox, "Loss").value == "mse"
    job = _step(at)
    assert job.head.task == "regression" and job.history[-1]["test_loss"] < 0.05
    assert "x1 = g_r, x2 = u_g" in _shown(at.caption)


@pytest.mark.skipif(not (ASSETS / "mnist_mlp.safetensors").is_file(),
                    reason="the shipped MNIST models are not in assets/")
def test_draw_takes_our_model_back_and_refuses_others(started_jobs) -> None:
    at = AppTest.from_file(str(ROOT / "app_pages" / "draw.py"), default_timeout=90)
    run_clean(at)
    uploader = "Use your own model (.safetensors)"
    _upload(at, uploader, "weights.pkl", pickle.dumps({"w": 1}))
    run_clean(at)
    assert any("never opens them" in e.value for e in at.error)
    csv_model = _csv_model_bytes()
    _upload(at, uploader, "colours.safetensors", csv_model)
    run_clean(at)
    assert any("is not a digit classifier" in e.value for e in at.error)
    ours = (ASSETS / "mnist_mlp.safetensors").read_bytes()
    _upload(at, uploader, "my mlp.safetensors", ours)
    run_clean(at)
    assert not at.error, [e.value for e in at.error]
    model = _by_label(at.radio, "Model")
    assert model.value.startswith("upload:")
    assert "Uploaded: my mlp.safetensors" in model.options


def test_feature_maps_refuses_a_model_that_takes_no_images(started_jobs) -> None:
    at = AppTest.from_file(str(ROOT / "app_pages" / "feature_maps.py"), default_timeout=90)
    run_clean(at)
    _upload(at, "Use your own model (.safetensors)", "colours.safetensors", _csv_model_bytes())
    run_clean(at)
    assert any("does not take images" in e.value for e in at.error)


def _csv_model_bytes() -> bytes:
    from core.export import from_job, model_file_bytes

    job = Job(RunConfig.from_dict({
        "dataset": {"name": "csv", "path": "builtin:red_blue_galaxies"},
        "training": {"loss": "bce", "epochs": 1}}))
    return model_file_bytes(from_job(job, "x"))


def test_train_on_your_pictures(tmp_path, started_jobs) -> None:
    from tests.core.test_folders import picture_zip

    data = Path(picture_zip(tmp_path)).read_bytes()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    at.switch_page("app_pages/images.py")
    run_clean(at)
    _by_label(at.selectbox, "Dataset").set_value("folders")
    run_clean(at)
    assert any("upload a zip of class folders" in e.value for e in at.error)
    _upload(at, "A zip of class folders", "my pictures.zip", data)
    run_clean(at)
    _by_label(at.select_slider, "Resize every picture to (pixels)").set_value(16)
    run_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert "25 pictures: bright 12, dark 13" in _shown(at.caption)
    job = at.session_state["_session_jobs"].get("images")
    assert job.dataset.input_shape == (3, 16, 16)
    _by_label(at.button, "Step").click()
    run_clean(at)
    deadline = time.monotonic() + 30
    while job.epoch < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    run_clean(at)
    assert job.epoch >= 1 and "val_accuracy" in job.history[-1]
    labels = [b.label for b in at.get("download_button")]
    assert {"Model (.safetensors)", "ONNX", "Training script (.py)"} <= set(labels)
