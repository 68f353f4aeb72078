"""Crafted `.safetensors` model files: wrong shapes, missing tensors, nested or broken metadata
JSON, odd metadata values. Each one is refused with one plain sentence by `load_model`, and by
the command line with exit status 2 — never a traceback, never a half-loaded model.

The files start from the shipped MNIST MLP (13,002 weights) and change one thing each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from core import cli
from core.errors import ConfigError
from core.models.model_io import load_model

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "mnist_mlp.safetensors"
pytestmark = pytest.mark.skipif(not SHIPPED.is_file(), reason=f"{SHIPPED} is missing")


def _shipped() -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    with safe_open(str(SHIPPED), framework="pt") as f:
        meta = dict(f.metadata())
    return load_file(str(SHIPPED)), meta


def _config_with(**changes) -> str:
    _, meta = _shipped()
    config = json.loads(meta["config"])
    for dotted, value in changes.items():
        section, name = dotted.split("__")
        config[section][name] = value
    return json.dumps(config)


# name -> (change to the tensors, change to the metadata, sentence after "{path} ")
CASES = {
    "a weight of the wrong shape": (
        {"layer3.0.weight": torch.zeros(16, 17)}, {},
        "is damaged: its weights do not fit the network its configuration describes "
        "(layer3.0.weight is (16, 17) instead of (16, 16))"),
    "a missing tensor": (
        {"output.0.bias": None}, {},
        "is damaged: its weights do not fit the network its configuration describes "
        "(missing output.0.bias)"),
    "an extra tensor": (
        {"layer9.0.weight": torch.zeros(3)}, {},
        "is damaged: its weights do not fit the network its configuration describes "
        "(unexpected layer9.0.weight)"),
    "config nested 5,000 deep": (
        {}, {"config": "[" * 5000 + "]" * 5000},
        "is damaged: the config in its metadata is nested 5,000 levels deep; a configuration "
        "needs at most 20"),
    "class names nested 3,000 deep": (
        {}, {"class_names": "[" * 3000 + "]" * 3000},
        "is damaged: the class_names in its metadata is nested 3,000 levels deep; a "
        "configuration needs at most 20"),
    "broken metrics JSON": (
        {}, {"metrics": '{"val_loss": 0.1,'},
        "is damaged: the metrics in its metadata is not valid JSON: Expecting property name "
        "enclosed in double quotes at line 1, column 18"),
    "a config that is a list": (
        {}, {"config": "[]"}, "is damaged: the config in its metadata is not a JSON object"),
    "no config at all": ({}, {"config": None}, "is damaged: its metadata has no config"),
    "class names that are numbers": (
        {}, {"class_names": "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"},
        "is damaged: its class names are not a list of short texts"),
    "a negative input shape": (
        {}, {"input_shape": "[-1, 28, 28]"},
        "is damaged: its input shape is not 1 to 3 sizes between 1 and 4,096"),
    "an unknown task": (
        {}, {"task": "__import__('os')"},
        "is damaged: its task is neither classification nor regression"),
    "a NaN dropout in its config": (
        {}, {"config": _config_with(training__dropout=float("nan"))},
        "holds a configuration that cannot be used: training.dropout must be a finite number, "
        "not nan"),
    "a 5,000-digit number in its config": (
        {}, {"config": '{"training": {"epochs": ' + "9" * 5000 + "}}"},
        "is damaged: the config in its metadata is not usable JSON: a number is far too long"),
}


def _craft(tmp_path: Path, tensors: dict, meta: dict) -> Path:
    weights, metadata = _shipped()
    for key, value in tensors.items():
        if value is None:
            weights.pop(key)
        else:
            weights[key] = value
    for key, value in meta.items():
        if value is None:
            metadata.pop(key)
        else:
            metadata[key] = value
    path = tmp_path / "crafted.safetensors"
    save_file(weights, str(path), metadata=metadata)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_a_crafted_model_file_is_refused_in_one_sentence(case, tmp_path, capsys):
    tensors, meta, sentence = CASES[case]
    path = _craft(tmp_path, tensors, meta)
    with pytest.raises(ConfigError) as err:
        load_model(path)
    assert str(err.value) == f"{path} {sentence}"
    drawing = tmp_path / "digit.png"
    drawing.write_bytes(b"never read: the model is refused first")
    assert cli.main(["predict-digit", str(drawing), "--model", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path} {sentence}\n"


def test_the_untouched_copy_still_loads(tmp_path):
    """The crafting itself is sound: with nothing changed, the copy loads and predicts."""
    built, meta = load_model(_craft(tmp_path, {}, {}))
    assert meta["class_names"] == [str(d) for d in range(10)]
    assert built.model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


@pytest.mark.parametrize("kind", ["a symlink to /dev/zero", "a named pipe", "too large"])
def test_a_model_path_that_is_not_a_regular_file_is_refused(kind, tmp_path, monkeypatch):
    import os

    from core.models import model_io

    path = tmp_path / "model.safetensors"
    if kind == "a symlink to /dev/zero":
        os.symlink("/dev/zero", path)
        reason = ("this is not an ordinary file (a folder, a device, a pipe or a socket); only "
                  "regular files are read")
    elif kind == "a named pipe":
        os.mkfifo(path)
        reason = ("this is not an ordinary file (a folder, a device, a pipe or a socket); only "
                  "regular files are read")
    else:
        path.write_bytes(SHIPPED.read_bytes())
        monkeypatch.setattr(model_io, "MAX_MODEL_BYTES", 1000)
        reason = f"the file is {path.stat().st_size / 1000:,.1f} kB, more than the 1.0 kB " \
                 "this reads"
    with pytest.raises(ConfigError) as err:
        load_model(path)
    assert str(err.value) == f"{path} cannot be used as a model file: {reason}"
