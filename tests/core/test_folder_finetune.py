"""Fine-tuning a shipped model on "Your pictures" (core.models.transfer): pictures read at the
model's
side and channels and normalised with its own statistics, the network frozen as asked with a
fresh output layer for the new classes, and a model that cannot take pictures refused in words."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.errors import ConfigError
from core.models.transfer import (
    finetune_config,
    finetune_dataset,
    freeze_choices,
    freeze_layers,
    load_pretrained,
    warm_weights,
)
from core.train import Job
from tests.core.test_folders import config as folder_config
from tests.core.test_folders import picture_zip

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_freeze_layers_and_the_choices_that_make_a_difference() -> None:
    cnn = [{"type": "conv2d", "filters": 4}, {"type": "maxpool"}, {"type": "flatten"},
           {"type": "dense", "units": 8, "trainable": False}]
    assert [layer.get("trainable", True) for layer in freeze_layers(cnn, "convolutions")] \
        == [False, False, True, True]
    assert [layer.get("trainable", True) for layer in freeze_layers(cnn, "none")] == [True] * 4
    assert all(layer["trainable"] is False for layer in freeze_layers(cnn, "all_hidden"))
    assert cnn[0] == {"type": "conv2d", "filters": 4}  # the caller's layers stay as they were
    assert list(freeze_choices(cnn)) == ["convolutions", "all_hidden", "none"]
    mlp = [{"type": "flatten"}, {"type": "dense", "units": 16}]
    assert list(freeze_choices(mlp)) == ["all_hidden", "none"]
    with pytest.raises(ValueError, match="freeze must be one of"):
        freeze_layers(cnn, "everything")


def test_the_mnist_cnn_reads_colour_pictures_as_its_grey_28_pixels(tmp_path) -> None:
    base = load_pretrained(ASSETS / "mnist_cnn.safetensors")
    assert base.reads() == "28×28 grey, pixels scaled to 0–1"
    own = folder_config(picture_zip(tmp_path), channels=3, image_size=16,
                        normalization="standardize")
    config = finetune_config(base, own, "convolutions")
    assert (config.dataset.image_size, config.dataset.channels) == (28, 1)
    assert config.dataset.normalization == "unit"
    assert config.training == own.training  # the page's knobs still apply
    flags = [layer.get("trainable", True) for layer in config.network.layers]
    assert flags == [False] * 6 + [True] * 4  # the convolutions and pools; flatten on
    data = finetune_dataset(config, base)
    assert data.input_shape == (1, 28, 28) and data.class_names == ["bright", "dark"]
    assert float(data.x_train.min()) >= 0 and float(data.x_train.max()) <= 1
    job = Job(config, data, warm_start=warm_weights(base))
    assert job.model.output[0].out_features == 2
    assert len(job.warm_started) == len(base.model.state_dict()) - 2  # all but the output
    with pytest.raises(ConfigError, match="no convolutional layers"):
        finetune_config(load_pretrained(ASSETS / "mnist_mlp.safetensors"), own, "convolutions")


def test_the_galaxy_cnn_standardises_with_its_own_statistics(tmp_path) -> None:
    base = load_pretrained(ASSETS / "galaxy_cnn.safetensors")
    assert base.mean is not None and base.channels == 3
    own = folder_config(picture_zip(tmp_path), channels=1, augment={"flip": 1})
    config = finetune_config(base, own, "all_hidden")
    data = finetune_dataset(config, base)
    plain = finetune_dataset(finetune_config(base, own.copy(), "all_hidden"), base)
    assert data.input_shape == (3, 48, 48) and data.augment is not None
    mean, std = (torch.as_tensor(v).reshape(1, -1, 1, 1) for v in (base.mean, base.std))
    assert torch.allclose(data.normalization[0], mean)
    # undoing the base's standardisation gives the 0-1 pictures back (not their own stats)
    raw = data.x_train * std + mean
    assert float(raw.min()) > -1e-4 and float(raw.max()) < 1 + 1e-4
    assert torch.equal(plain.x_train, data.x_train)


def test_a_model_that_cannot_take_pictures_is_refused_in_words(tmp_path) -> None:
    from core.config import RunConfig
    from core.export import from_job, model_file_bytes

    job = Job(RunConfig.from_dict({"dataset": {"name": "csv", "path": "builtin:sdss_colours"},
                                   "training": {"loss": "cce", "epochs": 1}}))
    path = tmp_path / "colours.safetensors"
    path.write_bytes(model_file_bytes(from_job(job, "colours")))
    with pytest.raises(ConfigError, match="colours cannot be fine-tuned on pictures: it reads "
                                          "a table"):
        load_pretrained(path)
    regression = Job(RunConfig.from_dict({"dataset": {"name": "plane"},
                                          "training": {"loss": "mse", "epochs": 1}}))
    path.write_bytes(model_file_bytes(from_job(regression, "plane")))
    with pytest.raises(ConfigError, match="predicts numbers"):
        load_pretrained(path)
    (tmp_path / "broken.safetensors").write_bytes(b"not a model")
    with pytest.raises(ConfigError):
        load_pretrained(tmp_path / "broken.safetensors")
