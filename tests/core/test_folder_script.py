"""The standalone training script of a "Your pictures" run: it reads the zip of class folders
with Pillow as the playground does (same crop, resize, channels, split and normalisation) and,
run in a fresh interpreter that cannot import this project, trains to the page's accuracy."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.config import RunConfig
from core.export import training_script
from core.train import Job

SHAPES = ("disc", "bar", "cross")


def _shape(kind: str, rng: np.random.Generator) -> Image.Image:
    """A noisy colour picture of one shape, of any size and aspect, somewhere near the
    middle: a task a small CNN learns in a few epochs, not at once."""
    w, h = (int(v) for v in rng.integers(24, 64, 2))
    background = tuple(int(v) for v in rng.integers(0, 90, 3))
    im = Image.new("RGB", (w, h), background)
    draw = ImageDraw.Draw(im)
    s = min(w, h)
    cx, cy = w / 2 + rng.normal(0, s / 16), h / 2 + rng.normal(0, s / 16)
    r = s * rng.uniform(0.25, 0.4)
    colour = tuple(int(v) for v in rng.integers(120, 256, 3))
    if kind == "disc":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    elif kind == "bar":
        draw.rectangle((cx - r, cy - r / 3, cx + r, cy + r / 3), fill=colour)
    else:
        draw.rectangle((cx - r, cy - r / 5, cx + r, cy + r / 5), fill=colour)
        draw.rectangle((cx - r / 5, cy - r, cx + r / 5, cy + r), fill=colour)
    a = np.asarray(im, np.float32) + rng.normal(0, 12, (h, w, 3))
    return Image.fromarray(a.clip(0, 255).astype(np.uint8))


def shapes_zip(path, per_class: int = 40) -> str:
    """Pictures made here (PNG, JPEG, a grey one, one with transparency) in a wrapping
    folder, plus a file that is no picture and a broken one: both left out."""
    rng = np.random.default_rng(1)
    with zipfile.ZipFile(path, "w") as zf:
        for kind in SHAPES:
            for i in range(per_class):
                im = _shape(kind, rng)
                if i == 0:
                    im = im.convert("L")
                elif i == 1:
                    im = im.convert("RGBA")
                fmt = "JPEG" if i % 3 == 2 else "PNG"
                buf = io.BytesIO()
                im.save(buf, fmt, quality=90)
                zf.writestr(f"shapes/{kind}/{i}.{fmt.lower()}", buf.getvalue())
        zf.writestr("shapes/disc/notes.txt", b"not a picture")
        zf.writestr("shapes/bar/broken.png", b"\x89PNG but no more")
        zf.writestr("__MACOSX/shapes/._0.png", b"resource fork")
    return str(path)


def _config(path: str) -> RunConfig:
    return RunConfig.from_dict({
        "dataset": {"name": "folders", "path": path, "image_size": 16, "channels": 3,
                    "normalization": "standardize", "val_fraction": 0.2,
                    "test_fraction": 0.25, "seed": 2},
        "network": {"layers": [{"type": "conv2d", "filters": 6, "kernel": 3,
                                "activation": "relu"},
                               {"type": "maxpool", "size": 2}, {"type": "flatten"},
                               {"type": "dense", "units": 16, "activation": "relu"}],
                    "init": "he_uniform"},
        "training": {"loss": "cce", "optimizer": "adam", "lr": 0.003, "epochs": 6,
                     "batch_size": 16, "device": "cpu", "seed": 3}})


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """The page's run and the exported script's, on the same zip (the script beside it)."""
    folder = tmp_path_factory.mktemp("pictures")
    zip_path = shapes_zip(folder / "my shapes.zip")
    job = Job(_config(zip_path))
    job.start()
    assert job.join(120) and job.state == "finished", job.outcome
    script = folder / "train_pictures.py"
    script.write_text(training_script(job.config, job.dataset, data_path="my shapes.zip"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    done = subprocess.run([sys.executable, "-I", str(script)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return {"job": job, "text": script.read_text(), "stderr": done.stderr,
            "epochs": [x for x in lines if x["event"] == "epoch"], "end": lines[-1]}


def test_the_script_reads_the_pictures_and_trains_to_the_pages_accuracy(run) -> None:
    job = run["job"]
    page = job.evaluate(("test",))["test_accuracy"]
    assert len(run["epochs"]) == len(job.history) == 6
    # same pictures, split, initial weights and batches: the same validation loss each epoch
    for mine, theirs in zip(job.history, run["epochs"], strict=True):
        assert abs(mine["val_loss"] - theirs["val_loss"]) < 2e-3 * max(1, mine["val_loss"])
    assert run["end"]["outcome"] == "finished"
    assert abs(run["end"]["test_accuracy"] - page) <= 0.02
    assert page > 0.6  # it learned something the script had to learn too
    assert "left out shapes/bar/broken.png" in run["stderr"]


def test_the_script_is_standalone_and_names_its_zip(run) -> None:
    text = run["text"]
    assert "import core" not in text and "from core" not in text
    assert "DEFAULT_DATA = 'my shapes.zip'" in text
    assert "Pillow" in text.split('"""')[1]
    assert run["job"].dataset.class_names == sorted(SHAPES)
