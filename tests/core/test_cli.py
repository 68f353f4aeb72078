"""`python -m core train`: JSON lines on stdout, exit codes 0 / 2 / 3, a model file that loads.

Each new process pays several CPU seconds importing torch (and torch._dynamo, which the first
optimizer pulls in), so two runs go through a real process, started together in one fixture,
and the diverging run calls the same `main` in-process (its return value is the exit status).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core import cli
from core.inspection import predict
from core.models.model_io import load_model
from core.threads import BUDGET
from tests.core.helpers import dense, make_config

REPO_ROOT = Path(__file__).resolve().parents[2]
EPOCH_KEYS = {"epoch", "step", "train_loss", "test_loss", "train_accuracy", "test_accuracy"}

CONFIGS = {
    "tiny": make_config({"name": "xor", "samples": 40, "seed": 2}, {"layers": [dense(3)]},
                        {"epochs": 50, "batch_size": 10, "seed": 4, "device": "cpu"}).to_dict(),
    "bad": {"training": {"lr": 0}},
}
DIVERGING = make_config({"name": "sin", "samples": 100, "features": ["x1"]},
                        {"layers": [dense(8, "relu")]},
                        {"loss": "mse", "optimizer": "sgd", "lr": 10, "epochs": 50,
                         "device": "cpu"}).to_dict()
EPOCHS_OVERRIDE = 3


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    tmp = tmp_path_factory.mktemp("cli")
    procs = {}
    for name, config in CONFIGS.items():
        path = tmp / f"{name}.json"
        path.write_text(json.dumps(config))
        out = tmp / "models" / f"{name}.safetensors"
        args = [sys.executable, "-m", "core", "train", str(path), "--out", str(out)]
        if name == "tiny":
            args += ["--epochs", str(EPOCHS_OVERRIDE)]
        procs[name] = (subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True), out, args)
    results = {}
    for name, (proc, out, args) in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        results[name] = (subprocess.CompletedProcess(args, proc.returncode, stdout, stderr), out)
    return results


def _lines(result: subprocess.CompletedProcess) -> list[dict]:
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_a_tiny_run_prints_json_lines_and_saves_a_model(runs):
    result, out = runs["tiny"]
    assert result.returncode == 0, result.stderr
    lines = _lines(result)
    assert lines[0]["event"] == "start"
    assert lines[0]["train_samples"] == 20 and lines[0]["test_samples"] == 20
    assert lines[0]["parameters"] == (2 * 3 + 3) + (3 + 1)
    epochs = [line for line in lines if line["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]  # --epochs overrides the config's 50
    assert [e["step"] for e in epochs] == [2, 4, 6]
    for e in epochs:
        assert set(e) >= EPOCH_KEYS
    assert [line["event"] for line in lines] == ["start", "epoch", "epoch", "epoch", "end"]
    end = lines[-1]
    assert end["outcome"] == "finished" and end["message"] == "finished 3 epochs"
    assert end["epoch"] == 3 and end["step"] == 6
    assert end["model"] == str(out) and out.is_file()

    built, meta = load_model(out)
    assert meta["config"].training.epochs == EPOCHS_OVERRIDE
    assert meta["config"].dataset.name == "xor"
    assert meta["class_names"] == ["class 0", "class 1"]
    assert meta["metrics"]["test_loss"] == epochs[-1]["test_loss"]
    assert meta["extra"]["outcome"]["outcome"] == "finished"
    x = torch.tensor([[1.0, 1.0], [-1.0, 1.0]])
    assert predict(built.model, built.head, x).shape == (2, 1)


def test_a_bad_config_exits_2_with_the_plain_message(runs):
    result, out = runs["bad"]
    assert result.returncode == 2
    assert result.stderr.strip() == "error: training.lr must be greater than 0, not 0"
    assert _lines(result) == [{"event": "error",
                               "message": "training.lr must be greater than 0, not 0"}]
    assert not out.exists()


def test_a_diverging_run_exits_3(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(BUDGET, "configure", lambda **_: None)  # keep the tests' thread budget
    path = tmp_path / "diverging.json"
    path.write_text(json.dumps(DIVERGING))
    out = tmp_path / "diverging.safetensors"
    assert cli.main(["train", str(path), "--out", str(out)]) == cli.EXIT_DIVERGED == 3
    captured = capsys.readouterr()
    assert captured.err == ""
    result = subprocess.CompletedProcess([], 3, captured.out, captured.err)
    lines = _lines(result)
    end = lines[-1]
    assert end["event"] == "end" and end["outcome"] == "diverged"
    assert "loss became" in end["message"] and "learning rate 10 " in end["message"]
    assert f"The weights from step {end['step']} are kept." in end["message"]
    assert end["model"] == str(out)
    built, meta = load_model(out)  # the kept, finite weights were saved
    assert all(torch.isfinite(p).all() for p in built.model.state_dict().values())
    assert meta["extra"]["outcome"]["outcome"] == "diverged"


def test_an_unreadable_config_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "missing.json"
    assert cli.main(["train", str(missing)]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot read {missing}: there is no such file")


def test_train_init_from_starts_from_a_saved_model(tmp_path, capsys, monkeypatch):
    """Fine-tuning: with --init-from the run's first weights are the saved model's (lr 0 keeps
    them exactly); a file that is not a saved model is refused in plain words."""
    monkeypatch.setattr(BUDGET, "configure", lambda **_: None)
    config = make_config({"name": "circle", "samples": 60}, {"layers": [dense(6, "tanh")]},
                         {"loss": "bce", "optimizer": "sgd", "lr": 0.5, "epochs": 2,
                          "device": "cpu"}).to_dict()
    path = tmp_path / "base.json"
    path.write_text(json.dumps(config))
    base = tmp_path / "base.safetensors"
    assert cli.main(["train", str(path), "--out", str(base)]) == 0
    config["training"]["optimizer"], config["training"]["momentum"] = "sgd", 0.0
    config["training"]["lr"] = 1e-12
    path.write_text(json.dumps(config))
    tuned = tmp_path / "tuned.safetensors"
    assert cli.main(["train", str(path), "--init-from", str(base), "--out", str(tuned)]) == 0
    before, after = load_model(base)[0].model.state_dict(), load_model(tuned)
    for name, value in before.items():
        assert torch.allclose(after[0].model.state_dict()[name], value, atol=1e-6), name
    assert after[1]["extra"]["init_from"] == "base.safetensors"
    capsys.readouterr()
    assert cli.main(["train", str(path), "--init-from", str(path),
                     "--out", str(tmp_path / "never.safetensors")]) == cli.EXIT_BAD_INPUT
    assert "is not a model file this playground saved" in capsys.readouterr().err
