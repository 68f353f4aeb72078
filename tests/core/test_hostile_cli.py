"""Hostile and careless input to `python -m core`: every case ends with exit status 2 and one
plain sentence on stderr (never a traceback), and nothing is trained or written.

The cases run in-process through `core.cli.main` (what `python -m core` calls and exits with),
so each costs milliseconds instead of a torch import; one subprocess run checks that the real
command line behaves the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import cli
from core.budget import MEMORY_LIMIT_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]
NOT_REGULAR = ("this is not an ordinary file (a device, a pipe or a socket); only regular files "
               "are read")


def _dense_stack(n: int) -> list[dict]:
    return [{"type": "dense", "units": 8, "activation": "tanh"}] * n


# name -> (file text or bytes, the sentence after "error: ")
CASES: dict[str, tuple[str | bytes, str]] = {
    "nested layers": ('{"network": {"layers": ' + "[" * 5000 + "]" * 5000 + "}}",
                      "the configuration is nested 5,002 levels deep; a configuration needs at "
                      "most 20"),
    "nested augment": ('{"dataset": {"name": "mnist", "augment": ' + '{"a": ' * 3000 + "1"
                       + "}" * 3000 + "}}",
                       "the configuration is nested 3,002 levels deep; a configuration needs "
                       "at most 20"),
    "not UTF-8": ('{"dataset": {"name": "café"}}'.encode("latin-1"),
                  "cannot read {path}: it is not a UTF-8 text file (a run config is JSON text)"),
    "task is a list": (json.dumps({"dataset": {"name": "mnist", "task": []}}),
                       "dataset.task for mnist must be one of digits, not []"),
    "normalization is an object": (json.dumps({"dataset": {"name": "mnist",
                                                           "normalization": {}}}),
                                   "dataset.normalization must be one of unit, standardize, "
                                   "not {}"),
    "5,000-digit epochs": ('{"training": {"epochs": ' + "9" * 5000 + "}}",
                           "the configuration is not usable JSON: a number is far too long"),
    "4,000-digit epochs": ('{"training": {"epochs": ' + "9" * 4000 + "}}",
                           "training.epochs must be at most 1,000,000, not a number with about "
                           "4,000 digits"),
    "NaN dropout rate": ('{"network": {"layers": [{"type": "dense", "units": 4, "activation": '
                         '"tanh"}, {"type": "dropout", "rate": NaN}]}}',
                         "layer 2: rate must be a finite number, not nan"),
    "infinite units": ('{"network": {"layers": [{"type": "dense", "units": Infinity}]}}',
                       "layer 1: units must be a whole number, not inf"),
    "1,000 layers": (json.dumps({"network": {"layers": _dense_stack(1000)}}),
                     "network.layers: 1,000 layers are more than the 100 a network may have"),
    "image_size 256 on MNIST": (
        json.dumps({"dataset": {"name": "mnist", "image_size": 256},
                    "network": {"layers": [{"type": "flatten"}]}, "training": {"loss": "cce"}}),
        "this setup needs about 19.4 GB of memory (18.4 GB for 70,000 mnist images of "
        "1×256×256 as 32-bit floats, 1.1 GB for the 655,370 weights with their gradients and "
        "optimizer state and the activations of a batch of 10 or an evaluation chunk of "
        "2,048), more than the 4.3 GB a run may use; use a smaller dataset.image_size, a "
        "dataset.crop, or a dataset.subset"),
    "a 20,000-point full batch through 4096 units": (
        json.dumps({"dataset": {"name": "circle", "samples": 20000, "train_fraction": 0.95},
                    "network": {"layers": [{"type": "dense", "units": 4096,
                                            "activation": "tanh"}] * 2},
                    "training": {"batch_size": 20000}}),
        "one training step would take about 8.0 minutes (batch of 20,000, 2 layers, 16,797,697 "
        "weights), more than the 5 s that keeps Pause and Stop responsive; use a smaller batch "
        "or a smaller network"),
    "a missing data set": (
        json.dumps({"dataset": {"name": "galaxy_zoo", "seed": 913},
                    "network": {"layers": [{"type": "flatten"}]}, "training": {"loss": "cce"}}),
        "the Galaxy Zoo 1 SDSS set (galaxy_zoo1_sdss.npz) is not on this machine; set "
        "PLAYGROUND_DATA_DIR to the folder that has it, or use Galaxy10 SDSS or DECaLS, which "
        "download by themselves"),
}


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No data sets, no downloads, and a fixed 4 GiB memory limit (messages are exact)."""
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(empty))
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(empty))
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "4096")


def _run(capsys, argv: list[str]) -> tuple[int, str, list[str]]:
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.err, captured.out.splitlines()


@pytest.mark.parametrize("command", ["train", "lr-find"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_config_gets_exit_2_and_one_sentence(case, command, offline, tmp_path, capsys):
    content, message = CASES[case]
    path = tmp_path / "config.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    out = tmp_path / "model.safetensors"
    extra = ["--out", str(out)] if command == "train" else ["--steps", "10"]
    status, err, lines = _run(capsys, [command, str(path), *extra])
    expected = message.replace("{path}", str(path))
    assert (status, err) == (2, f"error: {expected}\n")
    assert lines and json.loads(lines[-1]) == {"event": "error", "message": expected}
    assert not out.exists(), "a refused config must not leave a model file behind"


@pytest.mark.parametrize("kind", ["symlink to /dev/zero", "named pipe", "folder", "too large"])
def test_only_a_regular_config_file_of_config_size_is_read(kind, tmp_path, capsys):
    path = tmp_path / "config.json"
    expected = f"cannot read {path}: {NOT_REGULAR}"
    if kind == "symlink to /dev/zero":
        os.symlink("/dev/zero", path)
    elif kind == "named pipe":
        os.mkfifo(path)  # reading it would wait forever for a writer
    elif kind == "folder":
        path.mkdir()
        expected = f"cannot read {path}: this is a folder, not a file"
    else:
        path.write_text(" " * 300_000)
        expected = (f"cannot read {path}: the file is 300.0 kB, more than the 262.1 kB this "
                    "reads")
    status, err, _ = _run(capsys, ["train", str(path)])
    assert (status, err) == (2, f"error: {expected}\n")


def test_predict_refuses_a_pipe_and_dev_zero_per_file_and_goes_on(tmp_path, capsys):
    fifo, zero = tmp_path / "galaxy.png", tmp_path / "zero.jpg"
    os.mkfifo(fifo)
    os.symlink("/dev/zero", zero)
    status, _, lines = _run(capsys, ["predict-galaxy", str(fifo), str(zero)])
    assert status == 1  # no file gave a prediction
    assert [json.loads(line) for line in lines] == [
        {"file": str(fifo), "error": f"cannot read {fifo}: {NOT_REGULAR}"},
        {"file": str(zero), "error": f"cannot read {zero}: {NOT_REGULAR}"}]
    status, _, lines = _run(capsys, ["predict-digit", str(fifo)])
    assert (status, [json.loads(line) for line in lines]) == (
        1, [{"file": str(fifo), "error": f"cannot read {fifo}: {NOT_REGULAR}"}])


def test_the_real_command_line_prints_no_traceback(tmp_path):
    path = tmp_path / "nested.json"
    path.write_text('{"network": {"layers": ' + "[" * 5000 + "]" * 5000 + "}}")
    result = subprocess.run([sys.executable, "-m", "core", "lr-find", str(path)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (
        2, "error: the configuration is nested 5,002 levels deep; a configuration needs at "
           "most 20\n")


def test_a_run_that_fails_writes_no_model_file(tmp_path, capsys, monkeypatch):
    """Before, a NaN dropout rate got through, training failed, and a model file was still
    written as if it were a result; any failure of the run now leaves none."""
    from core.train import Job

    def broken(self, stoppable):
        raise RuntimeError("the optimizer met a NaN")

    monkeypatch.setattr(Job, "_train_until_epoch_end", broken)
    path, out = tmp_path / "config.json", tmp_path / "model.safetensors"
    path.write_text(json.dumps({"dataset": {"samples": 40}, "training": {"epochs": 2,
                                                                         "device": "cpu"}}))
    assert cli.main(["train", str(path), "--out", str(out)]) == 1
    end = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert end["event"] == "end" and end["model"] is None
    assert end["message"] == "training failed: RuntimeError: the optimizer met a NaN"
    assert not out.exists()
