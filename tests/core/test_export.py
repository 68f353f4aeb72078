"""Export and bring back: ONNX answers as torch does (1e-4 under onnxruntime); the standalone
script, run in its own process without this project on its path, reaches the page's test
accuracy (± 2 points) on the circle and on a CSV; `python -m core export`; model files that
are not ours are refused in plain words and never unpickled."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from safetensors.torch import save as save_tensors

from core import cli
from core.config import RunConfig
from core.export import ExportRefused, from_job, model_file_bytes, onnx_bytes, training_script
from core.models.model_io import load_model
from core.models.model_upload import ModelRefused, check_model_bytes, load_uploaded_model
from core.optimizers import OPTIMIZERS, make_optimizer
from core.train import Job

CIRCLE = {"dataset": {"name": "circle", "samples": 300, "noise": 0.2, "seed": 3},
          "network": {"layers": [{"type": "dense", "units": 6, "activation": "maxout",
                                  "pieces": 2},
                                 {"type": "dense", "units": 4, "activation": "gaussian"}]},
          "training": {"optimizer": "adam", "lr": 0.03, "epochs": 12, "batch_size": 10,
                       "l2": 0.001, "early_stopping": 4, "device": "cpu"}}
CSV = {"dataset": {"name": "csv", "path": "builtin:sdss_colours",
                   "normalization": "standardize", "columns": ["u_g", "g_r", "r_i"]},
       "network": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}]},
       "training": {"loss": "cce", "optimizer": "adam", "lr": 0.01, "epochs": 8,
                    "batch_size": 32, "class_weights": "balanced", "lr_schedule": "cosine",
                    "device": "cpu"}}
CNN = {"dataset": {"name": "digits", "normalization": "standardize"},
       "network": {"layers": [{"type": "conv2d", "filters": 4, "kernel": 3},
                              {"type": "batchnorm"}, {"type": "maxpool", "size": 2},
                              {"type": "flatten"}, {"type": "dropout", "rate": 0.2},
                              {"type": "dense", "units": 16, "activation": "leaky_relu"}]},
       "training": {"loss": "cce", "optimizer": "adam", "lr": 0.01, "epochs": 1,
                    "batch_size": 64, "device": "cpu"}}
REGRESSION = {"dataset": {"name": "plane", "samples": 100},
              "network": {"layers": [{"type": "dense", "units": 5, "activation": "elu"}]},
              "training": {"loss": "huber", "epochs": 2, "device": "cpu"}}


def trained(spec: dict) -> Job:
    job = Job(RunConfig.from_dict(spec))
    job.start()
    assert job.join(60) and job.state in ("finished", "early_stopped"), job.outcome
    return job


@pytest.fixture(scope="module")
def jobs() -> dict[str, Job]:
    return {name: trained(spec) for name, spec in
            (("circle", CIRCLE), ("csv", CSV), ("cnn", CNN), ("regression", REGRESSION))}


@pytest.fixture(scope="module")
def script_runs(jobs, tmp_path_factory) -> dict[str, dict]:
    """Both scripts in parallel, each in a fresh interpreter that cannot import `core`."""
    folder = tmp_path_factory.mktemp("scripts")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    procs = {}
    for name in ("circle", "csv"):
        job = jobs[name]
        path = folder / f"train_{name}.py"
        path.write_text(training_script(job.config, job.dataset))
        procs[name] = subprocess.Popen([sys.executable, "-I", str(path)], cwd=folder, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        lines = [json.loads(line) for line in out.splitlines()]
        results[name] = {"epochs": [x for x in lines if x["event"] == "epoch"], "end": lines[-1]}
    return results


@pytest.mark.parametrize("name", ["circle", "csv"])
def test_exported_script_reaches_the_pages_accuracy(jobs, script_runs, name) -> None:
    job, run = jobs[name], script_runs[name]
    page_accuracy = job.evaluate(("test",))["test_accuracy"]
    assert run["end"]["outcome"] == {"finished": "finished",
                                     "early_stopped": "early_stopped"}[job.state]
    assert abs(run["end"]["test_accuracy"] - page_accuracy) <= 0.02
    assert page_accuracy > 0.8
    assert len(run["epochs"]) == len(job.history)


def test_script_is_standalone_and_says_what_it_cannot_do(jobs) -> None:
    text = training_script(jobs["cnn"].config, jobs["cnn"].dataset)
    assert "import core" not in text and "from core" not in text
    compile(text, "train.py", "exec")
    galaxy = RunConfig.from_dict({"dataset": {"name": "galaxy_zoo"},
                                  "training": {"loss": "cce"}})
    with pytest.raises(ExportRefused, match="not galaxy_zoo"):
        training_script(galaxy, jobs["cnn"].dataset)


@pytest.mark.parametrize("name", ["circle", "csv", "cnn", "regression"])
def test_onnx_matches_torch(jobs, name) -> None:
    job = jobs[name]
    model = job.clone_model().eval()
    x = torch.cat([job.dataset.x_test[:7], job.dataset.x_train[:5]])
    session = ort.InferenceSession(onnx_bytes(model, job.head, job.dataset.input_shape))
    logits, prediction = session.run(["logits", "prediction"], {"input": x.numpy()})
    with torch.no_grad():
        expected = model(x)
    assert np.abs(logits - expected.numpy()).max() < 1e-4
    assert np.abs(prediction - job.head.predict(expected).numpy()).max() < 1e-4


def test_model_file_round_trip_and_cli_export(jobs, tmp_path, capsys) -> None:
    job = jobs["csv"]
    path = tmp_path / "csv.safetensors"
    path.write_bytes(model_file_bytes(from_job(job, "csv")))
    built, meta = load_uploaded_model(path)
    assert meta["class_names"] == ["galaxy", "quasar", "star"]
    assert meta["config"].dataset.columns == ["u_g", "g_r", "r_i"]
    x = job.dataset.x_test[:4]
    with torch.no_grad():
        assert torch.equal(built.model(x), job.clone_model().eval()(x))
    code = cli.main(["export", str(path), "--onnx", str(tmp_path / "m.onnx"),
                     "--script", str(tmp_path / "t.py")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and [x["file"] for x in lines] == [str(tmp_path / "m.onnx"),
                                                        str(tmp_path / "t.py")]
    assert ort.InferenceSession(str(tmp_path / "m.onnx")).get_outputs()[1].name == "prediction"
    assert "COLUMNS = ['u_g', 'g_r', 'r_i']" in (tmp_path / "t.py").read_text()
    code = cli.main(["export", str(path)])
    assert code == 2 and "--onnx" in capsys.readouterr().err


def _ours(job: Job) -> bytes:
    return model_file_bytes(from_job(job, "x"))


@pytest.mark.parametrize(("make", "message"), [
    (lambda job: pickle.dumps({"weights": [1, 2]}), "Python pickle"),
    (lambda job: _torch_save(job), r"PyTorch \.pt/\.pth file"),
    (lambda job: save_tensors({"w": torch.zeros(2)}), "not saved by this playground"),
    (lambda job: b"hello, this is a text file", "not a safetensors file"),
    (lambda job: b"", "not a safetensors file"),
])
def test_foreign_files_are_refused_without_unpickling(jobs, make, message) -> None:
    with pytest.raises(ModelRefused, match=message):
        check_model_bytes(make(jobs["circle"]))


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[2] / "assets")
                                        .glob("*.safetensors")), ids=lambda p: p.name)
def test_shipped_models_are_accepted(path: Path) -> None:
    check_model_bytes(path.read_bytes())  # a header length may start with byte 0x80


def _torch_save(job: Job) -> bytes:
    buffer = io.BytesIO()
    torch.save(job.model.state_dict(), buffer)
    return buffer.getvalue()


def test_wrong_shapes_are_refused(jobs, tmp_path) -> None:
    data = _ours(jobs["circle"])
    check_model_bytes(data)  # ours: accepted
    # the same weights under a config that describes another network
    built, meta = load_model(_write(tmp_path / "ok.safetensors", data))
    other = meta["config"].copy()
    other.network.layers[0]["units"] = 9
    from core.models.model_io import save_model

    bad = tmp_path / "bad.safetensors"
    save_model(bad, built.model, other, class_names=meta["class_names"],
               input_shape=meta["input_shape"], task=meta["task"])
    check_model_bytes(bad.read_bytes())  # the header is fine...
    with pytest.raises(ModelRefused, match="weights do not fit the network"):
        load_uploaded_model(bad)  # ...the shapes are not


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path



@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_script_builds_the_optimizer_the_registry_builds(jobs, name) -> None:
    """The script's optimizer comes from the registry entry: same class, same settings."""
    config = RunConfig.from_dict({**CIRCLE, "training": {**CIRCLE["training"],
                                                         "optimizer": name, "rho": 0.8,
                                                         "momentum": 0.7, "beta1": 0.85}})
    text = training_script(config, jobs["circle"].dataset)
    namespace: dict = {"__name__": "exported"}
    exec(compile(text, "exported.py", "exec"), namespace)  # the script guards its main()
    params = [torch.nn.Parameter(torch.zeros(2))]
    ours = make_optimizer(params, config.training)
    theirs = namespace["make_optimizer"](params, namespace["CONFIG"]["training"])
    assert type(theirs) is type(ours)
    assert theirs.defaults == ours.defaults
