"""core.galaxies.galaxy (models, one file start to finish, CSV, examples), the predict-galaxy CLI
and
core.models.transfer (zip of class folders, frozen fine-tuning), on small models and pictures made
here."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core.build import build_model
from core.errors import ConfigError
from core.galaxies.galaxy import (
    GalaxyModel,
    PrepOptions,
    classify_bytes,
    describe,
    example_galaxies,
    load_galaxy_model,
    predictions_csv,
)
from core.models.model_io import save_model
from tests.core.helpers import make_config, tensor_dataset, write_galaxy_zoo

CLASSES = ["elliptical", "spiral", "edge-on", "merger"]
LAYERS = [{"type": "conv2d", "filters": 4, "kernel": 3, "activation": "relu"},
          {"type": "batchnorm"}, {"type": "maxpool", "size": 2},
          {"type": "conv2d", "filters": 8, "kernel": 3, "activation": "relu"},
          {"type": "avgpool", "size": 4}, {"type": "flatten"},
          {"type": "dense", "units": 8, "activation": "relu"}]


def galaxy_picture(side: int = 120, axis_ratio: float = 1.0, seed: int = 0,
                   angle: float = 0.0, peak: float = 200.0) -> np.ndarray:
    """(side, side, 3) uint8: a smooth galaxy of radius ~side/12 in the middle, on sky noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:side, :side] - (side - 1) / 2
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * x + s * y, -s * x + c * y
    sigma = side / 24
    light = np.exp(-0.5 * ((u / sigma) ** 2 + (v / (sigma * axis_ratio)) ** 2))
    image = 8 + peak * light[..., None] * np.array([1.0, 0.85, 0.7]) + rng.normal(0, 3, (side,
                                                                                       side, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def png_bytes(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """A small untrained galaxy CNN saved as the playground saves one: crop 48 of 69, resized
    to 32, standardised."""
    config = make_config(dataset={"name": "galaxy_zoo", "crop": 48, "image_size": 32,
                                  "normalization": "standardize"},
                         network={"layers": LAYERS}, training={"loss": "cce", "seed": 3})
    dataset = tensor_dataset((3, 32, 32), classes=4, n=8)
    dataset.class_names = list(CLASSES)
    built = build_model(config, dataset)
    path = tmp_path / "assets" / "galaxy_tiny.safetensors"
    save_model(path, built.model, config, class_names=CLASSES, input_shape=(3, 32, 32),
               metrics={"test_confusion": [[9, 1, 0, 0], [1, 8, 1, 0], [0, 1, 9, 0],
                                           [1, 1, 1, 2]]},
               extra={"normalization": {"mean": [0.05, 0.04, 0.03], "std": [0.1, 0.1, 0.05]}})
    return path


def test_model_input_is_the_training_crop_resize_and_standardisation(model_file: Path) -> None:
    model = load_galaxy_model(str(model_file))
    assert (model.crop, model.frame, model.input_shape) == (48, 69, (3, 32, 32))
    assert model.seen_share == pytest.approx(48 / 69)
    framed = np.zeros((69, 69, 3), np.float32)
    framed[10:59, 10:59] = 0.5  # the central 48 (rows 10..57) are all 0.5
    view = model.view(framed)
    assert view.shape == (32, 32, 3) and np.allclose(view, 0.5)
    x = model.tensor(framed)
    expected = (0.5 - np.array([0.05, 0.04, 0.03])) / np.array([0.1, 0.1, 0.05])
    assert torch.allclose(x[0, :, 5, 5], torch.tensor(expected, dtype=torch.float32))
    with pytest.raises(ValueError, match="framed to 69×69"):
        model.tensor(np.zeros((40, 40, 3), np.float32))


def test_test_time_views_make_the_call_blind_to_turns_and_mirrors(model_file: Path) -> None:
    model = load_galaxy_model(str(model_file))
    model.crop = None  # a 48 crop of 69 is one pixel off centre: turned, it is another crop
    framed = np.random.default_rng(4).random((69, 69, 3)).astype(np.float32)
    turned, mirrored = np.rot90(framed).copy(), framed[:, ::-1].copy()
    model.views = 1
    assert not np.allclose(model.logits(framed), model.logits(mirrored), atol=1e-4)
    model.views = 4
    assert np.allclose(model.logits(framed), model.logits(turned), atol=1e-5)
    assert not np.allclose(model.logits(framed), model.logits(mirrored), atol=1e-4)
    model.views = 8
    assert np.allclose(model.logits(framed), model.logits(mirrored), atol=1e-5)
    assert np.allclose(model.logits(framed), model.logits(turned), atol=1e-5)


def test_classify_bytes_gives_probabilities_a_map_and_words(model_file: Path) -> None:
    model = load_galaxy_model(str(model_file))
    result = classify_bytes("round.png", png_bytes(galaxy_picture()), model)
    p = result.prediction
    assert result.error is None and result.kind == "PNG"
    assert p.probabilities.shape == (4,) and p.probabilities.sum() == pytest.approx(1.0)
    assert p.label in CLASSES and p.description == describe(p.label)
    assert p.cam is not None and p.cam.shape == (32, 32) and 0 <= p.cam.min() <= p.cam.max() <= 1
    assert result.prepared.image.shape == (69, 69, 3)
    line = result.as_json()
    assert line["class"] == p.label and set(line["probabilities"]) == set(CLASSES)
    # the batch goes on past a bad file, which gets its own sentence
    bad = classify_bytes("paper.jpg", b"%PDF-1.4 not a picture", model)
    assert bad.prediction is None and "PDF" in bad.error
    assert bad.as_json() == {"file": "paper.jpg", "error": bad.error}
    table = predictions_csv([result, bad]).splitlines()
    assert table[0] == ("file,class,confidence,unsure,runner_up,p_elliptical,p_spiral,p_edge-on,"
                        "p_merger,warning,error")
    assert table[1].startswith(f"round.png,{p.label},") and table[1].endswith(",")
    assert table[2].startswith("paper.jpg,,,,,") and "PDF" in table[2]


def test_an_unexpected_failure_is_one_file_s_error_not_a_crash(
        model_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.galaxies.galaxy

    def broken(name, data):
        raise RuntimeError("scipy hiccup")

    monkeypatch.setattr(core.galaxies.galaxy, "read_sky_file", broken)
    result = classify_bytes("odd.png", b"anything", load_galaxy_model(str(model_file)))
    assert result.prediction is None
    assert result.error == "this file could not be processed (RuntimeError: scipy hiccup)"


def test_framing_options_reach_the_network(model_file: Path) -> None:
    model = load_galaxy_model(str(model_file))
    data = png_bytes(galaxy_picture(side=200))
    full = classify_bytes("g.png", data, model, PrepOptions(framing="full"), with_cam=False)
    auto = classify_bytes("g.png", data, model, PrepOptions(framing="auto"), with_cam=False)
    assert full.prepared.box[2] == pytest.approx(200)
    assert auto.prepared.box[2] < 120  # zoomed in on the galaxy, like the training frames
    assert not np.allclose(full.prediction.view, auto.prediction.view)
    # auto framing answers with the average over the galaxy framed tighter and wider
    assert auto.prepared.frames.shape == (5, 69, 69, 3) and full.prepared.frames is None
    assert np.allclose(auto.prediction.probabilities,
                       model.probabilities(auto.prepared.frames).mean(axis=0))
    assert np.allclose(full.prediction.probabilities, model.probabilities(full.prepared.image))


def test_grey_models_are_not_galaxy_models(tmp_path: Path) -> None:
    config = make_config(dataset={"name": "digits"},
                         network={"layers": [{"type": "flatten"}]}, training={"loss": "cce"})
    dataset = tensor_dataset((1, 8, 8), classes=10, n=10)
    built = build_model(config, dataset)
    path = save_model(tmp_path / "digits.safetensors", built.model, config,
                      class_names=[str(i) for i in range(10)], input_shape=(1, 8, 8))
    with pytest.raises(ConfigError, match="takes grey images"):
        load_galaxy_model(str(path))


def test_examples_come_from_the_held_out_test_split(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from core.config import DatasetConfig
    from core.data import load_dataset, loading

    write_galaxy_zoo(tmp_path, seed=1)
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    loading.IMAGE_CACHE.clear()
    config = DatasetConfig(name="galaxy_zoo", crop=48, normalization="standardize")
    picked = example_galaxies(config, per_class=2, seed=0)
    assert [true for _, _, true in picked] == [c for c in CLASSES for _ in range(2)]
    test = load_dataset(DatasetConfig(name="galaxy_zoo")).x_test
    test_u8 = (test.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    for name, data, true in picked:
        index = int(name.rsplit("_", 1)[1].split(".")[0])
        assert name.startswith(f"test_{true}_")
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), test_u8[index])
    loading.IMAGE_CACHE.clear()


# ----- the CLI ----------------------------------------------------------------------------------
def test_predict_galaxy_prints_a_json_line_per_file(model_file: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    from astropy.io import fits

    from core.cli import main

    jpeg = tmp_path / "galaxy.jpg"
    jpeg.write_bytes(png_bytes(galaxy_picture(), "JPEG"))
    fits_path = tmp_path / "galaxy.fits"
    fits.PrimaryHDU(galaxy_picture()[..., 0].astype(np.float32) * 3.5).writeto(fits_path)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(png_bytes(galaxy_picture(), "JPEG")[:300])
    code = main(["predict-galaxy", str(jpeg), str(fits_path), str(broken),
                 str(tmp_path / "missing.png"), "--model", str(model_file)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [line["file"] for line in lines] == [str(jpeg), str(fits_path), str(broken),
                                                str(tmp_path / "missing.png")]
    for line in lines[:2]:
        assert line["class"] in CLASSES
        assert sum(line["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert "could not be read" in lines[2]["error"] or "damaged" in lines[2]["error"]
    assert "cannot read" in lines[3]["error"]
    assert main(["predict-galaxy", str(broken), "--model", str(model_file)]) == 1
    assert main(["predict-galaxy", str(jpeg), "--model", str(tmp_path / "no.safetensors")]) == 2


# ----- transfer learning ------------------------------------------------------------------------
def class_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_zip_of_class_folders_keeps_good_pictures_and_names_the_rest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from core.models import transfer

    monkeypatch.setattr(transfer, "MAX_FILE_BYTES", 2_500_000)
    members = {f"mine/round/r{i}.png": png_bytes(galaxy_picture(seed=i)) for i in range(3)}
    members |= {f"mine/long/l{i}.jpg": png_bytes(galaxy_picture(axis_ratio=0.3, seed=i),
                                                 "JPEG") for i in range(3)}
    members |= {"mine/long/notes.txt": b"observing log",
                "mine/round/broken.jpg": b"%PDF-1.4 fake",
                "mine/loose.png": png_bytes(galaxy_picture()),
                "mine/round/huge.png": b"\0" * 3_000_000,
                "mine/long/bomb.png": b"\0" * 1_500_000,
                "__MACOSX/mine/round/._r0.png": b"junk", "mine/.DS_Store": b"junk"}
    folders = transfer.read_class_zip(class_zip(members))
    assert folders.class_names == ["long", "round"]
    assert folders.counts() == {"long": 3, "round": 3}
    assert folders.images.shape == (6, 69, 69, 3)
    why = dict(folders.problems)
    assert why["mine/long/notes.txt"] == "skipped: not a picture file"
    assert "PDF" in why["mine/round/broken.jpg"]
    assert "not inside a class folder" in why["mine/loose.png"]
    assert "too large" in why["mine/round/huge.png"]
    assert "zip bomb" in why["mine/long/bomb.png"]
    assert not any("MACOSX" in f or "DS_Store" in f for f in why)


@pytest.mark.parametrize("data, message", [
    (b"not a zip at all", "not a zip file"),
    (class_zip({"round/a.png": png_bytes(galaxy_picture()),
                "round/b.png": png_bytes(galaxy_picture(seed=2)),
                "long/c.png": png_bytes(galaxy_picture(axis_ratio=0.3))}),
     r"at least two class folders .* found: long \(1\), round \(2\)"),
])
def test_unusable_zips_are_refused_in_words(data: bytes, message: str) -> None:
    from core.models.transfer import TransferRefused, read_class_zip

    with pytest.raises(TransferRefused, match=message):
        read_class_zip(data)


def test_transfer_config_freezes_what_was_asked(model_file: Path) -> None:
    from core.models.transfer import transfer_config

    base = load_galaxy_model(str(model_file))
    frozen = transfer_config(base.config, "convolutions", epochs=4, lr=3e-4)
    flags = [layer.get("trainable", True) for layer in frozen.network.layers]
    assert flags == [False] * 5 + [True, True]  # up to the Flatten; the dense head learns
    assert frozen.training.epochs == 4 and frozen.training.lr == 3e-4
    head_only = transfer_config(base.config, "all_hidden")
    assert not any(layer.get("trainable", True) for layer in head_only.network.layers)
    everything = transfer_config(base.config, "none")
    assert all(layer.get("trainable", True) for layer in everything.network.layers)
    with pytest.raises(ValueError, match="freeze must be one of"):
        transfer_config(base.config, "some")


def test_fine_tuning_learns_new_classes_with_the_convolutions_frozen(model_file: Path) -> None:
    from core.models.transfer import ClassFolders, transfer_config, transfer_dataset, warm_weights
    from core.train import Job

    base = load_galaxy_model(str(model_file))
    rng = np.random.default_rng(0)
    images, labels = [], []
    for i in range(40):
        bright = i % 2
        picture = galaxy_picture(side=69, axis_ratio=float(rng.uniform(0.3, 1)), seed=i,
                                 angle=float(rng.uniform(0, np.pi)), peak=220 if bright else 50)
        images.append(picture.astype(np.float32) / 255)
        labels.append(bright)
    folders = ClassFolders(np.stack(images), np.array(labels), ["faint", "bright"],
                           [f"{i}.png" for i in range(40)])
    config = transfer_config(base.config, "convolutions", epochs=10, lr=1e-2, batch_size=4)
    dataset = transfer_dataset(folders, base, augment={})
    assert dataset.x_train.shape[1:] == (3, 32, 32) and len(dataset.x_val) == 8
    job = Job(config, dataset, warm_start=warm_weights(base))
    before = {k: v.clone() for k, v in job.model.state_dict().items()}
    job.start()
    job.join()
    after = job.model.state_dict()
    for name in ("layer1.0.weight", "layer2.0.running_mean", "layer4.0.weight"):
        assert torch.equal(after[name], before[name]), name
        assert torch.equal(after[name], base.model.state_dict()[name]), name
    assert not torch.equal(after["layer7.0.weight"], before["layer7.0.weight"])
    assert job.history[-1]["train_loss"] < 0.8 * job.history[0]["train_loss"]
    assert job.history[-1]["train_accuracy"] >= 0.9
    from core.galaxies.galaxy import galaxy_model_from

    tuned = galaxy_model_from(job.clone_model(), job.head, job.config, dataset.input_shape,
                              dataset.class_names, (base.mean, base.std), name="tuned")
    assert isinstance(tuned, GalaxyModel) and tuned.crop == 48
    prediction = tuned.predict(images[1])  # Grad-CAM works through frozen layers too
    assert prediction.label == "bright" and prediction.cam is not None
