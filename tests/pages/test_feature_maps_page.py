"""The Feature maps page under `streamlit.testing.v1.AppTest`, and its upload preprocessing.

Models: tiny, untrained networks on scikit-learn's 8×8 digits (always available, built and
saved in milliseconds) in a temporary folder the page reads through PLAYGROUND_ASSETS_DIR;
one test also opens the shipped models in `assets/` when there are any. An untrained network
has feature maps, filters and statistics just like a trained one.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from core.build import build_model
from core.config import RunConfig
from core.data import load_dataset
from core.models.assets import ASSETS_ENV, assets_dir
from core.models.model_io import save_model, shape_only_dataset
from playground import model_catalogue as catalogue
from playground.digits import feature_maps_views as iv
from playground.jobs import SessionJobs
from tests.pages.apptest import run_clean

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "feature_maps.py")
TIMEOUT_S = 60

DIGITS = {"name": "digits", "val_fraction": 0.1, "test_fraction": 0.2}
CNN_LAYERS = [{"type": "conv2d", "filters": 4, "kernel": 3, "activation": "relu"},
              {"type": "maxpool", "size": 2}, {"type": "flatten"}]
MLP_LAYERS = [{"type": "flatten"}, {"type": "dense", "units": 6, "activation": "relu"}]
TRAINING = {"loss": "cce", "optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 1,
            "device": "cpu"}


def _config(layers: list[dict], dataset: dict | None = None) -> RunConfig:
    return RunConfig.from_dict({"dataset": dataset or DIGITS,
                                "network": {"layers": layers, "init": "he_uniform"},
                                "training": TRAINING})


def _save(folder: Path, name: str, config: RunConfig, dataset) -> Path:
    built = build_model(config, dataset)
    return save_model(folder / f"{name}.safetensors", built.model, config,
                      class_names=dataset.class_names, input_shape=tuple(dataset.input_shape),
                      metrics={"test_accuracy": 0.5,
                               "test_confusion": np.eye(10, dtype=int).tolist()})


@pytest.fixture(scope="session")
def tiny_assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_cnn (with a model card), tiny_mlp, both on 8×8 digits."""
    folder = tmp_path_factory.mktemp("assets")
    digits = load_dataset(_config(CNN_LAYERS).dataset)
    _save(folder, "tiny_cnn", _config(CNN_LAYERS), digits)
    _save(folder, "tiny_mlp", _config(MLP_LAYERS), digits)
    (folder / "tiny_cnn.md").write_text("# Tiny digits CNN\n\nFour 3×3 filters, untrained.\n")
    return folder


@pytest.fixture
def assets(tiny_assets: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ASSETS_ENV, str(tiny_assets))
    return tiny_assets


def _open(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT_S)
    for k, v in query.items():
        at.query_params[k] = v
    return run_clean(at)


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


# ----- the page ----------------------------------------------------------------------------------
def test_default_cnn_shows_every_blocks_feature_maps(assets: Path):
    at = _open()
    assert at.selectbox(key="fm:model").value == "tiny_cnn"
    assert at.title[0].value == "Feature maps"
    markdown = _texts(at.markdown)
    assert "**1 · Conv2D (4, 3×3, relu)**" in markdown
    assert "**2 · MaxPool (2×2)**" in markdown
    assert any(m.startswith("**Prediction:") for m in markdown)
    figures = _figures(at)
    # the input, a grid + an enlarged map per block (2 blocks), the filters, the confusion
    assert len(figures) == 1 + 2 * 2 + 1 + 1
    conv_grid, conv_big, pool_grid = figures[1], figures[2], figures[3]
    assert len(conv_grid["layout"]["images"]) == 4  # one tile per filter
    assert conv_big["data"][0]["type"] == "heatmap"
    assert len(pool_grid["layout"]["images"]) == 4
    filters = figures[5]
    assert len(filters["layout"]["images"]) == 4
    assert [s.label for s in at.selectbox].count("Enlarge map") == 2
    assert len(at.get("vega_lite_chart")) == 2  # probabilities, histograms
    assert "Activations and gradients, layer by layer" in _texts(at.subheader)
    caption = " ".join(_texts(at.caption))
    assert "true class: **" in caption and "parameters" in caption


def test_class_filter_random_button_and_enlarge(assets: Path):
    at = _open()
    at.selectbox(key="fm:class:digits:None").set_value("3")
    run_clean(at)
    assert any("true class: **3**" in c for c in _texts(at.caption))
    index_key = "fm:index:digits:None:3"
    at.button(key="fm:random").click()
    run_clean(at)
    assert 0 <= at.number_input(key=index_key).value <= at.number_input(key=index_key).max
    assert any("true class: **3**" in c for c in _texts(at.caption))
    big = at.selectbox(key="fm:pick:layer1")
    big.set_value(2)
    run_clean(at)
    assert at.selectbox(key="fm:pick:layer1").value == 2


def test_mlp_shows_first_layer_weights_as_images(assets: Path):
    at = _open(model="tiny_mlp")
    assert at.selectbox(key="fm:model").value == "tiny_mlp"
    assert "No convolutions in this network" in _texts(at.subheader)
    figures = _figures(at)
    weights = figures[1]
    assert len(weights["layout"]["images"]) == 6  # one 8×8 picture per neuron
    assert weights["data"][0]["text"][0] == "neuron 1"
    assert not [s for s in at.selectbox if s.label == "Enlarge map"]
    assert len(at.get("vega_lite_chart")) == 2


def test_model_card_title_labels_the_model(assets: Path):
    at = _open()
    box = at.selectbox(key="fm:model")
    assert box.options == ["Tiny digits CNN", "Tiny MLP"]


def test_missing_data_falls_back_to_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(empty))
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(empty))
    monkeypatch.setenv(ASSETS_ENV, str(tmp_path))
    config = _config(CNN_LAYERS, {"name": "mnist"})
    meta = {"input_shape": (1, 28, 28), "task": "classification", "config": config,
            "class_names": [str(i) for i in range(10)]}
    _save(tmp_path, "mnist_cnn", config, shape_only_dataset(meta))
    at = _open()
    assert at.selectbox(key="fm:model").value == "mnist_cnn"
    warning = " ".join(_texts(at.warning))
    assert "not on this machine" in warning and "upload" in warning
    assert at.button(key="fm:fetch").label == "Fetch the data set"
    assert not at.radio  # only the upload remains
    assert any("upload your own" in i for i in _texts(at.info))


def test_session_model_is_offered_and_linkable(assets: Path):
    from core.train import Job

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT_S)
    jobs = SessionJobs()
    jobs.replace(catalogue.SESSION_JOB, Job(_config(CNN_LAYERS)))  # never started: no thread
    at.session_state["_session_jobs"] = jobs
    at.query_params["model"] = catalogue.SESSION_KEY
    run_clean(at)
    box = at.selectbox(key="fm:model")
    assert box.value == catalogue.SESSION_KEY
    assert box.options[0] == "Your model (trained this session)"
    assert any("weights after epoch 0" in c for c in _texts(at.caption))
    assert "**1 · Conv2D (4, 3×3, relu)**" in _texts(at.markdown)


def test_a_damaged_model_file_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "broken.safetensors").write_bytes(b"not a model at all")
    monkeypatch.setenv(ASSETS_ENV, str(tmp_path))
    at = _open()
    assert any("could not be loaded" in e for e in _texts(at.error))


def test_no_models_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ASSETS_ENV, str(tmp_path / "nowhere"))
    at = _open()
    assert any("no trained image model yet" in i for i in _texts(at.info))


def test_shipped_models_render():
    shipped = catalogue.shipped_models()
    if not shipped:
        pytest.skip(f"no shipped models in {assets_dir()} yet")
    at = _open()
    assert at.selectbox(key="fm:model").value == shipped[catalogue.default_model_index(shipped)].key
    assert len(at.get("plotly_chart")) >= 2
    for entry in shipped:
        at.selectbox(key="fm:model").set_value(entry.key)
        run_clean(at)
        assert at.get("plotly_chart")


def test_reached_through_the_app_navigation(assets: Path):
    at = run_clean(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S))
    # After a first run: before it, AppTest knows pages by file name, not by url_path.
    at.switch_page("app_pages/feature_maps.py")
    run_clean(at)
    assert at.title[0].value == "Feature maps"


# ----- the model list ----------------------------------------------------------------------------
def test_model_list_and_default(tmp_path: Path):
    for stem in ("galaxy_cnn", "mnist_mlp", "mnist_cnn"):
        (tmp_path / f"{stem}.safetensors").write_bytes(b"")
    (tmp_path / "galaxy_cnn.md").write_text("\n# Galaxy morphology CNN (Galaxy Zoo 1)\n")
    entries = catalogue.shipped_models(tmp_path)
    assert [(e.key, e.label) for e in entries] == [
        ("galaxy_cnn", "Galaxy morphology CNN (Galaxy Zoo 1)"),
        ("mnist_cnn", "MNIST CNN"), ("mnist_mlp", "MNIST MLP")]
    assert catalogue.default_model_index(entries) == 1
    assert catalogue.default_model_index([catalogue.ModelEntry("yours", "Yours"), entries[0]]) == 1
    assert catalogue.shipped_models(tmp_path / "missing") == []


# ----- upload preprocessing ----------------------------------------------------------------------
def _png(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _drawn_one(size=(200, 160), background=255, ink=0, mode="L") -> Image.Image:
    image = Image.new(mode, size, background)
    ImageDraw.Draw(image).line([(120, 20), (120, 140)], fill=ink, width=14)
    return image


def test_light_background_is_inverted_and_the_digit_centred_like_mnist():
    prepared = iv.prepare_upload(_png(_drawn_one()), (1, 28, 28))
    x = prepared.x
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    assert x[0, 0, 0] == 0.0 and x.max() == pytest.approx(1.0)  # light stroke on black
    rows = np.flatnonzero(x[0].max(axis=1) > 0.5)
    # 20 px tall in the 28 px frame, centre of mass at row 14 (core.pictures.preprocess, as on Draw)
    assert rows[0] == 5 and rows[-1] == 24
    cols = np.flatnonzero(x[0].max(axis=0) > 0.5)
    assert abs((cols[0] + cols[-1]) / 2 - 13.5) <= 1  # centred, though drawn off-centre
    assert prepared.notes[0].startswith("colours inverted")
    np.testing.assert_array_equal(prepared.display, x[0])  # "unit": display = input


def test_off_white_paper_photo_leaves_no_grey_box():
    paper = Image.new("RGB", (400, 300), (245, 242, 235))
    ImageDraw.Draw(paper).line([(150, 60), (250, 60), (190, 260)], fill=(20, 20, 60), width=18)
    x = iv.prepare_upload(_png(paper, "JPEG"), (1, 28, 28)).x[0]
    assert x.max() == pytest.approx(1.0, abs=0.05)
    # inside the digit's box, away from the stroke, the paper is as black as the padding
    # (without the levels step it was a grey box at 0.05)
    assert x[18:22, 8:11].max() < 0.03
    assert (x[:, :3] == 0).all()


def test_dark_background_is_kept_and_inversion_can_be_forced():
    dark = _png(_drawn_one(background=0, ink=255))
    kept = iv.prepare_upload(dark, (1, 28, 28))
    assert kept.x[0, 0, 0] == 0.0 and not any("inverted" in n for n in kept.notes)
    forced = iv.prepare_upload(dark, (1, 28, 28), invert=True, digit_like=False)
    assert forced.x[0, 0, 0] == pytest.approx(1.0)
    plain = iv.prepare_upload(_png(_drawn_one()), (1, 28, 28), invert=False, digit_like=False)
    assert plain.x[0, 0, 0] == pytest.approx(1.0)  # left as drawn: white paper stays white
    assert plain.notes == ["centre-cropped and resized from 200×160 to 28×28"]


def test_colour_photo_becomes_grey_for_a_grey_model():
    photo = Image.new("RGB", (64, 64), (255, 255, 255))
    ImageDraw.Draw(photo).rectangle([24, 8, 40, 56], fill=(200, 0, 0))  # a red bar
    prepared = iv.prepare_upload(_png(photo), (1, 8, 8), digit_like=True)
    assert prepared.x.shape == (1, 8, 8)
    assert prepared.display.ndim == 2
    assert prepared.x.max() > 0.5 and prepared.x[0, 0, 0] == 0.0


def test_transparent_canvas_counts_as_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # transparent black
    ImageDraw.Draw(image).line([(50, 10), (50, 90)], fill=(0, 0, 0, 255), width=10)
    prepared = iv.prepare_upload(_png(image), (1, 28, 28))
    assert prepared.x[0, 0, 0] == 0.0 and prepared.x.max() == pytest.approx(1.0)


def test_colour_model_gets_a_centre_crop_standardised_by_the_data_set():
    image = Image.new("RGB", (300, 200), (0, 0, 0))
    image.paste((255, 128, 0), (50, 0, 250, 200))  # the centre 200×200 square is orange
    data = _png(image)
    prepared = iv.prepare_upload(data, (3, 16, 16), normalization="standardize",
                                 mean=[0.5, 0.5, 0.5], std=[0.25, 0.5, 1.0])
    assert prepared.x.shape == (3, 16, 16) and prepared.display.shape == (16, 16, 3)
    np.testing.assert_allclose(prepared.x[:, 8, 8], [2.0, (128 / 255 - 0.5) / 0.5, -0.5],
                               atol=1e-5)
    assert "centre-cropped" in prepared.notes[0]
    alone = iv.prepare_upload(data, (3, 16, 16), normalization="standardize")
    assert any("approximate" in n for n in alone.notes)
    np.testing.assert_allclose(alone.x.mean(axis=(1, 2)), 0.0, atol=1e-5)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "could not be read"),
    (b"GIF89a" + b"\x00" * 64, "could not be read"),
    (b"%PDF-1.4 not an image", "could not be read"),
])
def test_corrupt_or_foreign_files_are_refused_in_plain_words(data: bytes, message: str):
    with pytest.raises(iv.ImageRefused, match=message):
        iv.prepare_upload(data, (1, 28, 28))


def test_truncated_jpeg_is_refused():
    data = _png(_drawn_one(mode="RGB"), "JPEG")
    with pytest.raises(iv.ImageRefused, match="could not be read"):
        iv.prepare_upload(data[: len(data) // 3], (1, 28, 28))


def test_huge_files_and_decompression_bombs_are_refused():
    with pytest.raises(iv.ImageRefused, match=r"21\.0 MB; please use an image under 20\.0 MB"):
        iv.prepare_upload(b"\0" * (21 * 1024 * 1024), (1, 28, 28))
    bomb = _png(Image.new("L", (8000, 6000), 0))  # 48 megapixels in ~50 kB
    assert len(bomb) < 1_000_000
    with pytest.raises(iv.ImageRefused, match="8,000×6,000 pixels.*decompression bomb"):
        iv.prepare_upload(bomb, (1, 28, 28))


def test_a_model_that_takes_no_images_is_refused():
    with pytest.raises(iv.ImageRefused, match="grey or colour"):
        iv.prepare_upload(_png(_drawn_one()), (784,))


# ----- inspection helpers ------------------------------------------------------------------------
def test_first_dense_weights_only_for_a_pixel_reading_mlp(tiny_assets: Path):
    from core.models.model_io import load_model

    mlp, _ = load_model(tiny_assets / "tiny_mlp.safetensors")
    images = iv.first_dense_images(mlp.model, (1, 8, 8))
    assert images.shape == (6, 1, 8, 8)
    np.testing.assert_array_equal(images[2].ravel(), mlp.model.layer2[0].weight[2].detach().numpy())
    cnn, _ = load_model(tiny_assets / "tiny_cnn.safetensors")
    assert iv.first_dense_images(cnn.model, (1, 8, 8)) is None
    assert iv.layer_labels(cnn.summary) == {"layer1": "1 · Conv2D (4, 3×3, relu)",
                                            "layer2": "2 · MaxPool (2×2)",
                                            "layer3": "3 · Flatten",
                                            "output": "output · Dense (10, softmax)"}


def test_signed_rgb_and_batch():
    w = np.zeros((3, 2, 2))
    w[0, 0, 0] = 2.0
    w[1, 1, 1] = -1.0
    rgb = iv.signed_rgb(w)
    assert rgb.shape == (2, 2, 3)
    assert rgb[0, 0].tolist() == [1.0, 0.5, 0.5] and rgb[1, 1].tolist() == [0.5, 0.25, 0.5]
    assert iv.signed_rgb(np.zeros((3, 1, 1))).tolist() == [[[0.5, 0.5, 0.5]]]
    batch = iv.pick_batch(1000)
    assert len(batch) == 64 and len(set(batch.tolist())) == 64
    np.testing.assert_array_equal(batch, iv.pick_batch(1000))
    assert len(iv.pick_batch(10)) == 10
