"""Your pictures on Train on images (dataset name "folders"): a zip of class folders with
pictures of any size and mode becomes square grey or colour images of the chosen side, with
the same split, checks and limits as the galaxy page's fine-tuning (one shared reader)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.config import RunConfig
from core.data import load_dataset
from core.data.folders import FoldersRefused, picture_folders
from core.errors import ConfigError
from core.train import Job


def png(array: np.ndarray, mode: str | None = None, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, fmt)
    return buffer.getvalue()


def picture_zip(tmp_path, n: int = 12) -> str:
    rng = np.random.default_rng(0)
    members = {}
    for i in range(n):
        h, w = 20 + 7 * i, 30 + 3 * i  # any size, any aspect
        bright = np.full((h, w, 3), 200, np.uint8) + rng.integers(0, 40, (h, w, 3), np.uint8)
        dark = rng.integers(0, 40, (h, w), np.uint8)
        members[f"set/bright/b{i}.png"] = png(bright)
        members[f"set/dark/d{i}.jpg"] = png(dark, fmt="JPEG")
    members["set/dark/alpha.png"] = png(np.zeros((9, 9, 4), np.uint8))
    members["set/dark/readme.txt"] = b"notes"
    members["set/bright/broken.png"] = b"not a png"
    path = tmp_path / "pictures.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


def config(path: str, **fields) -> RunConfig:
    return RunConfig.from_dict({
        "dataset": {"name": "folders", "path": path, "image_size": 16, "val_fraction": 0.2,
                    "test_fraction": 0.2, **fields},
        "network": {"layers": [{"type": "conv2d", "filters": 4}, {"type": "maxpool"},
                               {"type": "flatten"}]},
        "training": {"loss": "cce", "optimizer": "adam", "lr": 0.01, "epochs": 3,
                     "batch_size": 8, "device": "cpu"}})


def test_pictures_become_square_images_of_the_chosen_side(tmp_path) -> None:
    path = picture_zip(tmp_path)
    found = picture_folders(path, 16, 3)
    assert found.class_names == ["bright", "dark"] and found.counts() == {"bright": 12,
                                                                          "dark": 13}
    assert found.images.shape == (25, 16, 16, 3) and found.images.dtype == np.uint8
    why = dict(found.problems)
    assert why["set/dark/readme.txt"] == "skipped: not a picture file"
    assert "could not be read as an image" in why["set/bright/broken.png"]
    grey = load_dataset(config(path, channels=1).dataset)
    assert grey.input_shape == (1, 16, 16) and grey.class_names == ["bright", "dark"]
    total = len(grey.x_train) + len(grey.x_val) + len(grey.x_test)
    assert total == 25 and len(grey.x_test) == 5


def test_a_run_on_your_pictures_learns(tmp_path) -> None:
    run = config(picture_zip(tmp_path), normalization="standardize")
    run.training.epochs = 15
    job = Job(run)
    job.start()
    assert job.join(60) and job.state == "finished"
    assert job.test_metrics()["test_accuracy"] == 1.0  # bright vs dark: trivially separable


def test_bad_zips_and_settings_are_refused(tmp_path) -> None:
    one_class = tmp_path / "one.zip"
    with zipfile.ZipFile(one_class, "w") as zf:
        for i in range(3):
            zf.writestr(f"stars/s{i}.png", png(np.zeros((8, 8), np.uint8)))
    with pytest.raises(FoldersRefused, match=r"at least two class folders .* stars \(3\)"):
        load_dataset(config(str(one_class)).dataset)
    (tmp_path / "fake.zip").write_bytes(b"PK not really")
    with pytest.raises(FoldersRefused, match="not a zip file"):
        load_dataset(config(str(tmp_path / "fake.zip")).dataset)
    with pytest.raises(FoldersRefused, match="cannot read the zip"):
        load_dataset(config(str(tmp_path / "missing.zip")).dataset)
    with pytest.raises(ConfigError, match="1 \\(grey\\) or 3 \\(colour\\)"):
        config("x.zip", channels=2)
    with pytest.raises(ConfigError, match="upload a zip"):
        RunConfig.from_dict({"dataset": {"name": "folders"}})
