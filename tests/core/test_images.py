"""Image datasets on small files made in the test: tasks, splits, normalisation, damaged and
missing files, augmentation, and a CNN job with a validation split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from core.config import DatasetConfig
from core.data import load_dataset
from core.data.augment import Augmenter
from core.data.download import DatasetUnavailable
from core.errors import ConfigError
from core.train import run_to_end
from tests.core.helpers import make_config

GZ_LABELS = np.repeat(np.arange(6), [60, 20, 20, 30, 10, 20])  # 160 "galaxies", imbalanced


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PLAYGROUND_DATA_DIR with a tiny MNIST and a tiny Galaxy Zoo file."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "mnist.npz",
             x_train=rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),
             y_train=(np.arange(300) % 10).astype(np.uint8),
             x_test=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
             y_test=(np.arange(50) % 10).astype(np.uint8))
    images = rng.integers(0, 256, (len(GZ_LABELS), 69, 69, 3), dtype=np.uint8)
    np.savez(tmp_path / "galaxy_zoo1_sdss.npz", images=images, labels=GZ_LABELS.astype(np.uint8),
             class_names=np.array(["elliptical", "spiral_clockwise", "spiral_anticlockwise",
                                   "edge_on", "dont_know", "merger"]),
             objid=np.arange(len(GZ_LABELS)))
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    from core.data import loading

    loading.IMAGE_CACHE.clear()
    yield tmp_path
    loading.IMAGE_CACHE.clear()


def test_mnist_keeps_official_test_split_and_splits_validation(data_dir: Path) -> None:
    d = load_dataset(DatasetConfig(name="mnist", val_fraction=0.1))
    assert d.input_shape == (1, 28, 28) and d.class_names == [str(i) for i in range(10)]
    assert len(d.x_test) == 50 and len(d.x_train) + len(d.x_val) == 300
    assert len(d.x_val) == 30  # stratified: 3 of each digit's 30
    assert torch.bincount(d.y_val, minlength=10).tolist() == [3] * 10
    assert float(d.x_train.min()) >= 0.0 and float(d.x_train.max()) <= 1.0


def test_galaxy_morphology_task_merges_spins_and_drops_dont_know(data_dir: Path) -> None:
    d = load_dataset(DatasetConfig(name="galaxy_zoo", test_fraction=0.25, val_fraction=0.2))
    assert d.class_names == ["elliptical", "spiral", "edge-on", "merger"]
    total = torch.cat([d.y_train, d.y_val, d.y_test])
    assert torch.bincount(total).tolist() == [60, 40, 30, 20]  # 10 "don't know" dropped
    assert torch.bincount(d.y_test).tolist() == [15, 10, 8, 5]  # every class in the test set
    assert d.input_shape == (3, 69, 69)


def test_smooth_vs_disk_task_and_resizing(data_dir: Path) -> None:
    d = load_dataset(DatasetConfig(name="galaxy_zoo", task="smooth_disk", image_size=32))
    assert d.class_names == ["smooth", "disk"]
    total = torch.cat([d.y_train, d.y_val, d.y_test])
    assert torch.bincount(total).tolist() == [60, 70]  # mergers and "don't know" dropped
    assert d.x_train.shape[1:] == (3, 32, 32)


def test_central_crop_keeps_the_middle_then_resizes(data_dir: Path) -> None:
    from core.data.images import central_crop

    full = load_dataset(DatasetConfig(name="galaxy_zoo"))
    cropped = load_dataset(DatasetConfig(name="galaxy_zoo", crop=45))
    assert cropped.x_train.shape[1:] == (3, 45, 45)
    assert torch.equal(cropped.x_train, full.x_train[:, :, 12:57, 12:57])
    both = load_dataset(DatasetConfig(name="galaxy_zoo", crop=45, image_size=32))
    assert both.input_shape == (3, 32, 32)
    x = np.arange(2 * 5 * 6 * 1).reshape(2, 5, 6, 1)
    assert central_crop(x, 3)[0, :, :, 0].tolist() == x[0, 1:4, 1:4, 0].tolist()
    assert central_crop(x, None) is x
    with pytest.raises(ConfigError, match="crop is 8 pixels, but the images are only 6×5"):
        central_crop(x, 8)
    with pytest.raises(ConfigError, match="dataset.crop must be between 8 and 256"):
        make_config(dataset={"name": "galaxy_zoo", "crop": 4})


def test_subset_and_standardisation(data_dir: Path) -> None:
    d = load_dataset(DatasetConfig(name="mnist", subset=100, normalization="standardize"))
    assert len(d.x_train) + len(d.x_val) == 100
    assert abs(float(d.x_train.mean())) < 1e-4
    assert float(d.x_train.std()) == pytest.approx(1.0, abs=1e-3)
    raw = load_dataset(DatasetConfig(name="mnist", subset=100))
    assert torch.allclose(d.show(d.x_train), raw.x_train, atol=1e-5)


def test_damaged_file_is_detected_not_half_loaded(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "ok.npz"
    np.savez(good, x_train=np.zeros((10, 28, 28), np.uint8), y_train=np.zeros(10, np.uint8),
             x_test=np.zeros((5, 28, 28), np.uint8), y_test=np.zeros(5, np.uint8))
    (tmp_path / "mnist.npz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    from core.data import loading

    loading.IMAGE_CACHE.clear()
    with pytest.raises(ConfigError, match="damaged"):
        load_dataset(DatasetConfig(name="mnist"))


def test_missing_galaxy_file_says_where_to_put_it(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DatasetUnavailable, match="PLAYGROUND_DATA_DIR"):
        load_dataset(DatasetConfig(name="galaxy_zoo"))


def test_digits_fallback_always_works() -> None:
    d = load_dataset(DatasetConfig(name="digits"))
    assert d.input_shape == (1, 8, 8) and d.n_classes == 10
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 1797


@pytest.mark.parametrize("bad, message", [
    ({"augment": {"flip": True}}, "flips are off for digits"),
    ({"augment": {"spin": 1}}, "unknown augmentation 'spin'"),
    ({"augment": {"rotation": 400}}, "rotation must be between 0 and 180"),
    ({"task": "smooth_disk"}, "dataset.task for digits"),
    ({"subset": 5}, "at least 20 images"),
    ({"normalization": "zscore"}, "dataset.normalization"),
])
def test_invalid_image_settings_are_plain_messages(bad: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(dataset={"name": "digits", **bad})


def test_augmenter_shift_flip_noise_are_seeded_and_bounded() -> None:
    x = torch.zeros(4, 1, 9, 9)
    x[:, :, 4, 4] = 1.0  # one bright pixel in the middle
    shift = Augmenter({"shift": 3})
    a = shift(x, torch.Generator().manual_seed(1))
    b = shift(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == x.shape
    assert not torch.allclose(a, x)  # the dot moved
    flip = Augmenter({"flip": True})(x[:, :, :, :].roll(1, dims=3), torch.Generator())
    assert flip.shape == x.shape and float(flip.sum()) == pytest.approx(4.0)
    noisy = Augmenter({"noise": 0.3})(x, torch.Generator().manual_seed(0))
    assert float(noisy.min()) >= 0.0 and float(noisy.max()) <= 1.0


def test_augmenter_zoom_scales_the_picture_within_its_range() -> None:
    x = torch.zeros(64, 1, 41, 41)
    x[:, :, 16:25, 16:25] = 1.0  # a 9×9 square in the middle: 81 pixels of light
    zoomed = Augmenter({"scale": 0.5})(x, torch.Generator().manual_seed(3))
    light = zoomed.sum(dim=(1, 2, 3))  # the square's area grows or shrinks with the zoom²
    # scale 0.5: the picture is drawn 0.5 to 1.5 times as big
    assert float(light.min()) >= 81 * 0.5 ** 2 - 3 and float(light.max()) <= 81 * 1.5 ** 2 + 3
    assert float(light.min()) < 60 and float(light.max()) > 110  # both ways, not just one
    centre = zoomed[:, 0, 20, 20]
    assert torch.allclose(centre, torch.ones(64))  # zoom keeps the centre where it is
    assert torch.equal(Augmenter({"scale": 0.0, "shift": 0})(x, torch.Generator()), x)
    with pytest.raises(ConfigError, match="augment.scale must be between 0 and 0.5"):
        make_config(dataset={"name": "digits", "augment": {"scale": 0.8}})


def test_cnn_job_monitors_validation_and_reports_confusion(data_dir: Path) -> None:
    config = make_config(
        dataset={"name": "galaxy_zoo", "image_size": 16, "augment": {"flip": True}},
        network={"layers": [{"type": "conv2d", "filters": 4, "kernel": 3},
                            {"type": "maxpool", "size": 2}, {"type": "flatten"}]},
        training={"loss": "cce", "optimizer": "adam", "lr": 0.01, "batch_size": 16,
                  "epochs": 2, "class_weights": "balanced"})
    job = run_to_end(config)
    assert job.state == "finished" and job.monitor == "val"
    last = job.history[-1]
    assert {"train_loss", "val_loss", "val_accuracy", "val_balanced_accuracy",
            "val_confusion"} <= set(last)
    assert np.array(last["val_confusion"]).sum() == len(job.dataset.x_val)
    test = job.test_metrics()
    assert np.array(test["test_confusion"]).sum() == len(job.dataset.x_test)


def test_class_weights_balanced_and_sqrt_follow_the_class_counts() -> None:
    from core.data.base import Dataset
    from core.train import Job

    y = torch.tensor([0] * 6 + [1] * 3 + [2] * 1)  # counts 6, 3, 1
    x = torch.zeros(10, 1, 4, 4)
    dataset = Dataset("tiny", "classification", x, y, x, y, (1, 4, 4),
                      class_names=["a", "b", "c"])

    def weights(rule: str):
        config = make_config(dataset={"name": "digits"},
                             network={"layers": [{"type": "flatten"}]},
                             training={"loss": "cce", "class_weights": rule})
        return Job(config, dataset)._class_weights()

    assert weights("none") is None
    balanced = weights("balanced")
    assert balanced.tolist() == pytest.approx([10 / 18, 10 / 9, 10 / 3])
    sqrt = weights("sqrt")
    raw = torch.tensor([10 / 18, 10 / 9, 10 / 3]).sqrt()
    expected = raw * 10 / float((raw * torch.tensor([6.0, 3.0, 1.0])).sum())
    assert sqrt.tolist() == pytest.approx(expected.tolist())
    assert float((sqrt * torch.tensor([6.0, 3.0, 1.0])).sum()) == pytest.approx(10.0)
    assert sqrt[2] / sqrt[0] == pytest.approx(6 ** 0.5)  # milder than balanced's 6


def test_galaxy10_hdf5_is_read_and_mapped_to_morphologies(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    h5py = pytest.importorskip("h5py")
    labels = np.repeat(np.arange(10), 6)  # 6 galaxies of each Galaxy10 SDSS class
    with h5py.File(tmp_path / "Galaxy10.h5", "w") as f:
        f["images"] = np.zeros((len(labels), 69, 69, 3), np.uint8)
        f["ans"] = labels.astype(np.uint8)
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    from core.data import loading

    loading.IMAGE_CACHE.clear()
    d = load_dataset(DatasetConfig(name="galaxy10_sdss", image_size=32))
    assert d.class_names == ["elliptical", "spiral", "edge-on"]
    total = torch.cat([d.y_train, d.y_val, d.y_test])
    assert torch.bincount(total).tolist() == [18, 18, 18]  # class 0 (no spiral) dropped
    assert d.x_train.shape[1:] == (3, 32, 32)
    loading.IMAGE_CACHE.clear()
