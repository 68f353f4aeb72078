"""The Classify galaxies page under `streamlit.testing.v1.AppTest`.

AppTest cannot drive a file chooser, so files are handed in where the page receives them:
`playground.galaxies.galaxy_views.uploaded`, replaced here by a function returning (name, bytes)
pairs.
Models are small untrained CNNs saved into a temporary assets folder (the shipped model's
accuracy is tested in tests/core)."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from streamlit.testing.v1 import AppTest

from core.build import build_model
from core.models.model_io import save_model
from playground.galaxies import galaxy_views
from playground.literal import literal
from tests.core.helpers import make_config, tensor_dataset, write_galaxy_zoo
from tests.core.test_galaxy import CLASSES, LAYERS, galaxy_picture, png_bytes

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "galaxy.py")
TIMEOUT_S = 120


@pytest.fixture
def assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "assets"
    config = make_config(dataset={"name": "galaxy_zoo", "crop": 48, "image_size": 32,
                                  "normalization": "standardize"},
                         network={"layers": LAYERS}, training={"loss": "cce", "seed": 1})
    dataset = tensor_dataset((3, 32, 32), classes=4, n=8)
    dataset.class_names = list(CLASSES)
    built = build_model(config, dataset)
    save_model(folder / "galaxy_cnn.safetensors", built.model, config, class_names=CLASSES,
               input_shape=(3, 32, 32),
               metrics={"test_confusion": [[90, 5, 5, 0], [4, 16, 0, 0], [2, 0, 18, 0],
                                           [1, 1, 0, 8]]},
               extra={"normalization": {"mean": [0.05, 0.04, 0.03],
                                        "std": [0.1, 0.1, 0.05]}})
    monkeypatch.setenv("PLAYGROUND_ASSETS_DIR", str(folder))
    galaxy_views._shipped.clear()
    return folder


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[str, bytes]]]:
    """What each uploader on the page holds, by its key; empty unless a test puts files in."""
    held: dict[str, list[tuple[str, bytes]]] = {}

    def fake(label, types, key, multiple=True, help=None):
        return list(held.get(key, []))

    monkeypatch.setattr(galaxy_views, "uploaded", fake)
    return held


def read(text: str) -> str:
    """What the user reads: user-supplied names are shown with Markdown escapes."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def fits_bytes(data: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    fits.PrimaryHDU(data.astype(np.float32)).writeto(buffer)
    return buffer.getvalue()


def test_without_any_galaxy_model_the_page_says_where_it_should_be(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_ASSETS_DIR", str(tmp_path))
    galaxy_views._shipped.clear()
    at = run_page()
    assert "No galaxy model is here" in at.error[0].value
    assert str(tmp_path) in at.error[0].value


def test_a_batch_with_broken_files_classifies_the_good_ones(assets: Path, files) -> None:
    sky = np.random.default_rng(0).normal(100, 5, (64, 64))
    sky[20:40, 20:40] += 400 * np.exp(-0.5 * ((np.mgrid[:20, :20] - 9.5) ** 2).sum(0) / 9)
    cube = np.stack([sky, sky * 1.1, sky * 0.9])
    nan_sky = sky.copy()
    nan_sky[0, :5] = np.nan
    files["galaxy:uploads"] = [
        ("ngc.png", png_bytes(galaxy_picture())),
        ("paper.jpg", b"%PDF-1.4 definitely not a galaxy"),
        ("empty.png", b""),
        ("cube.fits", fits_bytes(cube)),
        ("nan.fits", fits_bytes(nan_sky)),
        ("black.png", png_bytes(np.zeros((40, 40, 3), np.uint8))),
    ]
    at = run_page()
    errors = {e.value.split("**")[1].replace("\\", ""): e.value for e in at.error}
    assert set(errors) == {"paper.jpg", "empty.png", "black.png"}
    assert "PDF" in errors["paper.jpg"] and "empty" in errors["empty.png"]
    assert "blank" in errors["black.png"]
    table = at.dataframe[0].value
    assert list(table["file"]) == ["ngc.png", "paper.jpg", "empty.png", "cube.fits", "nan.fits",
                                   "black.png"]
    assert set(table["class"][[0, 3, 4]]) <= set(CLASSES)
    assert list(table["class"][[1, 2, 5]]) == ["—"] * 3
    assert at.selectbox(key="galaxy:detail").options == ["ngc.png", "cube.fits", "nan.fits"]
    heading = [m.value for m in at.markdown if m.value.startswith("### ")][0]
    assert any(heading.startswith(f"### {literal(c)} · ") for c in CLASSES)
    assert "recall on 150 held-out test galaxies: elliptical 90% of 100" in at.caption[1].value
    at.selectbox(key="galaxy:detail").select("nan.fits").run()
    notes = " ".join(c.value for c in at.caption)
    assert "5 NaN or infinite pixels set to the median" in notes
    at.selectbox(key="galaxy:detail").select("cube.fits").run()
    assert "plane 0 of 3" in " ".join(c.value for c in at.caption)
    # three planes as red, green and blue
    at.radio(key="galaxy:cube").set_value("three planes as RGB").run()
    assert not at.exception
    assert "planes 0, 1, 2 shown as red, green, blue" in " ".join(c.value for c in at.caption)
    at.number_input(key="galaxy:rgb2").set_value(7).run()
    errors = [read(e.value) for e in at.error if "cube.fits" in read(e.value)]
    assert errors and "planes 0 to 2" in errors[0]


def test_a_calibrated_model_says_unsure_names_the_runner_up_and_flags_mergers(
        assets: Path, files) -> None:
    from core.models.model_io import update_metadata

    update_metadata(assets / "galaxy_cnn.safetensors",
                    extra={"calibration": {"temperature": 1.0, "views": 1, "unsure_below": 0.99}},
                    metrics={"test_confusion": [[90, 5, 5, 0], [4, 16, 0, 0], [2, 0, 18, 0],
                                                [3, 2, 1, 4]],
                             "shift_confusion": [[500, 50, 50, 0], [30, 90, 0, 0],
                                                 [20, 0, 100, 0], [20, 10, 6, 24]],
                             "test_ece": 0.031})
    galaxy_views._shipped.clear()
    files["galaxy:uploads"] = [("ngc.png", png_bytes(galaxy_picture()))]
    at = run_page()
    assert not at.exception
    card = at.caption[1].value
    assert "On the survey-shift test (the same galaxies redrawn" in card
    assert "merger 40% of 60" in card and "calibration error 3.1% on the test split" in card
    assert "below 99% it says unsure" in card
    warning = at.warning[0].value
    assert warning.startswith("**Merger calls are unreliable.** The model found 4 of 10 "
                              "held-out test mergers and 24 of 60 on the survey-shift test")
    # an untrained network is never 99 % sure: the call is "unsure", with the runner-up
    heading = [m.value for m in at.markdown if m.value.startswith("### ")][0]
    assert heading.startswith("### Unsure: ") and " or " in heading
    assert any("too often wrong to trust" in c.value for c in at.caption)


def test_framing_and_stretch_choices_change_what_the_network_sees(assets: Path, files) -> None:
    files["galaxy:uploads"] = [("wide.png", png_bytes(galaxy_picture(side=300)))]
    at = run_page()
    auto = [c.value for c in at.caption if "galaxy found" in c.value]
    assert auto, [c.value for c in at.caption]
    at.selectbox(key="galaxy:framing").select("manual").run()
    at.slider(key="galaxy:zoom").set_value(0.3).run()
    assert not at.exception and not at.error
    assert not [c.value for c in at.caption if "galaxy found" in c.value]
    at.selectbox(key="galaxy:stretch").select("log").run()
    assert not at.exception


def test_examples_from_the_test_split_show_their_true_class(
        assets: Path, files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.data import loading

    write_galaxy_zoo(tmp_path, seed=2)
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    loading.IMAGE_CACHE.clear()
    at = run_page()
    at.button(key="galaxy:example").click().run()
    # the made-up test galaxies may look unfamiliar to the model; nothing else may warn
    assert not at.exception
    assert not [w.value for w in at.warning if "does not look like" not in w.value]
    table = at.dataframe[0].value
    assert sorted(table["true class"]) == sorted(CLASSES)
    assert "held-out test galaxy that Galaxy Zoo volunteers called" in " ".join(
        c.value for c in at.caption)
    at.button(key="galaxy:clear").click().run()
    assert not at.dataframe
    loading.IMAGE_CACHE.clear()


def test_example_button_offline_says_where_the_data_goes(
        assets: Path, files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.data import loading

    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    loading.IMAGE_CACHE.clear()
    at = run_page()
    at.button(key="galaxy:example").click().run()
    assert "No example galaxies on this machine" in at.warning[0].value
    assert "PLAYGROUND_DATA_DIR" in read(at.warning[0].value)


def test_fine_tune_on_a_zip_of_class_folders_then_classify_with_it(
        assets: Path, files, started_jobs) -> None:
    members = {}
    for i in range(8):
        members[f"bright/b{i}.png"] = png_bytes(galaxy_picture(side=69, seed=i, peak=220))
        members[f"faint/f{i}.png"] = png_bytes(galaxy_picture(side=69, seed=i, peak=50))
    members["faint/broken.png"] = b"\x89PNG\r\n\x1a\n truncated"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    files["galaxy:tune_upload"] = [("mine.zip", buffer.getvalue())]
    at = run_page()
    assert "1 file(s) left out" in at.warning[0].value
    at.number_input(key="galaxy:tune_epochs").set_value(3).run()
    at.button(key="galaxy:tune_setup").click().run()
    assert not at.exception and not at.error
    assert "Fine-tuning Galaxy CNN on bright, faint" in read(" ".join(c.value for c in at.caption))
    at.button(key=f"{galaxy_views.TUNE_JOB}_play").click().run()
    job = started_jobs[-1]
    deadline = time.monotonic() + 60
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.done and len(job.history) >= 1
    assert job.dataset.class_names == ["bright", "faint"]
    at.run()
    models = at.radio(key="galaxy:model")
    assert models.options[-1].startswith("Fine-tuned on your classes (bright, faint)")
    files["galaxy:uploads"] = [("g.png", png_bytes(galaxy_picture()))]
    at.button(key="galaxy:use_tuned").click().run()
    assert at.radio(key="galaxy:model").value == "tuned"
    assert not at.exception and not at.error, [e.value for e in at.error]
    heading = [m.value for m in at.markdown if m.value.startswith("### ")][0]
    assert heading.startswith(("### bright · ", "### faint · "))


def test_a_galaxy_model_trained_this_session_can_classify(
        assets: Path, files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.data import loading
    from core.train import run_to_end
    from playground.jobs import SessionJobs

    write_galaxy_zoo(tmp_path, seed=4)
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    loading.IMAGE_CACHE.clear()
    job = run_to_end(make_config(
        dataset={"name": "galaxy_zoo", "image_size": 24, "normalization": "standardize"},
        network={"layers": [{"type": "conv2d", "filters": 4}, {"type": "flatten"}]},
        training={"loss": "cce", "optimizer": "adam", "lr": 0.01, "epochs": 1}))
    jobs = SessionJobs()
    jobs.replace("images", job)
    files["galaxy:uploads"] = [("g.png", png_bytes(galaxy_picture()))]
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT_S)
    at.session_state["_session_jobs"] = jobs
    at.run()
    assert at.radio(key="galaxy:model").options == [
        "Galaxy CNN", "Your model (trained this session on the Images page)"]
    at.radio(key="galaxy:model").set_value("yours").run()
    assert not at.exception and not at.error
    card = at.caption[1].value
    assert "validation galaxies: " in card and "It sees 24×24 pixels" in card
    heading = [m.value for m in at.markdown if m.value.startswith("### ")][0]
    assert any(heading.startswith(f"### {literal(c)} · ") for c in CLASSES)
    loading.IMAGE_CACHE.clear()
