"""Model files: save -> load gives the same predictions, config, class names and metrics."""

from __future__ import annotations

import os

import pytest
import torch
from safetensors.torch import save_file

from core.errors import ConfigError
from core.inspection import predict
from core.models.model_io import load_model, read_metadata, save_model
from core.train import run_to_end
from tests.core.helpers import dense, make_config


@pytest.fixture(scope="module")
def trained():
    config = make_config({"name": "gauss", "samples": 60, "classes": 3, "noise": 0.3},
                         {"layers": [dense(6, "relu"), {"type": "batchnorm"}, dense(4)]},
                         {"loss": "cce", "optimizer": "adam", "lr": 0.02, "epochs": 3})
    return run_to_end(config)


def test_save_and_load_round_trip(trained, tmp_path):
    job = trained
    metrics = {k: v for k, v in job.history[-1].items() if k != "lr"}
    path = save_model(tmp_path / "sub" / "gauss.safetensors", job.model, job.config,
                      class_names=job.dataset.class_names, metrics=metrics,
                      extra={"note": "round trip"}, input_shape=tuple(job.dataset.input_shape),
                      task=job.dataset.task)
    assert path.is_file()
    built, meta = load_model(path, job.dataset)
    assert meta["config"] == job.config
    assert meta["class_names"] == ["class 0", "class 1", "class 2"]
    assert meta["metrics"] == metrics
    assert meta["extra"] == {"note": "round trip"}
    assert not built.model.training
    x = job.dataset.x_test
    assert torch.equal(predict(built.model, built.head, x), predict(job.model, job.head, x))
    saved, loaded = job.model.state_dict(), built.model.state_dict()
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[k], loaded[k]) for k in saved)  # batch-norm buffers too
    assert read_metadata(path)["config"] == job.config


def test_a_model_loads_without_its_dataset(trained, tmp_path):
    job = trained
    path = save_model(tmp_path / "m.safetensors", job.model, job.config,
                      class_names=job.dataset.class_names,
                      input_shape=tuple(job.dataset.input_shape), task=job.dataset.task)
    built, meta = load_model(path)
    x = job.dataset.x_test
    assert torch.equal(predict(built.model, built.head, x), predict(job.model, job.head, x))
    assert meta["metrics"] == {} and meta["extra"] == {}


def test_a_random_file_is_not_a_model(tmp_path):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(os.urandom(256))
    with pytest.raises(ConfigError) as err:
        load_model(path)
    assert str(err.value).startswith(f"{path} is not a model file this playground saved")


def test_a_missing_file_is_not_a_model(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_metadata(tmp_path / "absent.safetensors")
    assert str(err.value) == (f"{tmp_path / 'absent.safetensors'} cannot be used as a model "
                              "file: there is no such file")


def test_a_foreign_safetensors_file_is_not_a_model(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(2, 2)}, str(path), metadata={"format": "pt"})
    with pytest.raises(ConfigError) as err:
        read_metadata(path)
    assert str(err.value) == f"{path} is not a model file this playground saved"
