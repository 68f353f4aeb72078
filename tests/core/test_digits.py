"""core.pictures.digits and `python -m core predict-digit`: loading digit models, their input, the
"unsure" note, fine-tuning a copy on a few drawings, the zip of drawings, and the CLI's JSON
lines and exit codes (in-process: a new Python process costs seconds of torch import)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from core import cli
from core.build import build_model
from core.data import load_dataset
from core.errors import ConfigError
from core.models.assets import ModelMissing, model_path
from core.models.model_io import save_model
from core.pictures.digits import (
    collection_zip,
    doubt,
    fine_tune,
    load_digit_model,
    mnist_sample,
    model_input,
)
from core.pictures.preprocess import prepare_digit
from tests.core.helpers import dense, make_config

ASSETS = Path(__file__).resolve().parents[2] / "assets"
needs_shipped = pytest.mark.skipif(
    not (ASSETS / "mnist_cnn.safetensors").is_file()
    or not (ASSETS / "mnist_mlp.safetensors").is_file(),
    reason="the shipped MNIST models are not in assets/")


def digit_png(strokes, path: Path | None = None, ink=0, paper=255) -> bytes:
    im = Image.new("L", (200, 200), paper)
    d = ImageDraw.Draw(im)
    for pts in strokes:
        d.line(pts, fill=ink, width=14, joint="curve")
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    if path is not None:
        path.write_bytes(buf.getvalue())
    return buf.getvalue()


SEVEN = [[(50, 35), (150, 35), (85, 175)]]
ONE = [[(100, 25), (100, 175)]]


def drawn(strokes) -> np.ndarray:
    return prepare_digit(np.asarray(Image.open(io.BytesIO(digit_png(strokes))))).image


def test_model_input_resizes_and_standardises():
    image = np.zeros((28, 28), np.float32)
    image[4:24, 12:16] = 1.0
    x = model_input(image)
    assert x.shape == (1, 1, 28, 28) and torch.equal(x[0, 0], torch.from_numpy(image))
    small = model_input(image, (1, 14, 14), mean=[0.5], std=[0.25])
    assert small.shape == (1, 1, 14, 14)
    assert float(small.min()) == pytest.approx(-2.0)  # the black background: (0 - .5) / .25
    assert float(small.max()) > 1.0


def test_doubt_speaks_only_when_unsure():
    sure = np.full(10, 0.01)
    sure[7] = 0.91
    assert doubt(sure) is None
    torn = np.full(10, 0.0125)
    torn[4], torn[9] = 0.48, 0.42
    assert doubt(torn) == "Unsure: it is torn between 4 (48%) and 9 (42%)."
    weak = np.full(10, 0.07)
    weak[3] = 0.37
    assert doubt(weak).startswith("Unsure: 3 is only 37% likely")


def test_missing_models_are_named_plainly(tmp_path):
    with pytest.raises(ModelMissing, match="no shipped model called 'mnist_resnet'"):
        model_path("mnist_resnet")
    with pytest.raises(ModelMissing, match="no model file"):
        model_path(str(tmp_path / "gone.safetensors"))


@needs_shipped
def test_shipped_models_read_a_drawn_seven_and_one():
    for name in ("mnist_cnn", "mnist_mlp"):
        model = load_digit_model(name)
        assert model.input_shape == (1, 28, 28)
        for strokes, digit in ((SEVEN, 7), (ONE, 1)):
            p = model.probabilities(drawn(strokes))
            assert p.shape == (10,) and p.sum() == pytest.approx(1.0, abs=1e-5)
            assert int(p.argmax()) == digit, (name, digit, p.round(3))


@needs_shipped
def test_fine_tuning_a_copy_teaches_it_a_new_label():
    model = load_digit_model("mnist_mlp")
    image = drawn(SEVEN)
    before = model.probabilities(image)
    assert before.argmax() == 7
    state = {k: v.clone() for k, v in model.model.state_dict().items()}
    # Teach it that this drawing is a 2 (three slightly shifted copies), keeping real digits.
    x_user = torch.cat([model.input(np.roll(image, s, axis=1)) for s in (-1, 0, 1)])
    y_user = torch.full((3,), 2)
    sample = mnist_sample(500)
    mix = {}
    if sample is not None:
        mix = {"x_mix": torch.from_numpy(sample[0])[:, None], "y_mix": torch.from_numpy(sample[1])}
    result = fine_tune(model.model, model.head, x_user, y_user, steps=40, lr=3e-3, **mix)
    assert result.steps == 40 and result.examples == 3 and len(result.losses) == 40
    assert result.losses[-1] < result.losses[0]
    from core.pictures.digits import predict_probabilities

    after = predict_probabilities(result.model, model.head, model.input(image))
    assert after.argmax() == 2, after.round(3)
    for k, v in model.model.state_dict().items():  # the original is untouched
        assert torch.equal(v, state[k])
    if sample is not None:  # and the copy still reads real digits
        x, y = sample
        with torch.no_grad():
            acc = (result.model(torch.from_numpy(x[:300])[:, None]).argmax(1).numpy()
                   == y[:300]).mean()
        assert acc > 0.85


def test_collection_zip_holds_pngs_and_labels():
    images = [np.eye(28, dtype=np.float32), np.zeros((28, 28), np.float32)]
    data = collection_zip(images, [3, 8], [5, None])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert names == ["drawing_001_label_3.png", "drawing_002_label_8.png", "labels.csv"]
        first = np.asarray(Image.open(io.BytesIO(zf.read(names[0]))))
        assert first.shape == (28, 28) and first.dtype == np.uint8
        assert first[5, 5] == 255 and first[5, 6] == 0
        rows = list(csv.reader(io.StringIO(zf.read("labels.csv").decode())))
    assert rows == [["file", "label", "predicted"], [names[0], "3", "5"], [names[1], "8", ""]]
    with pytest.raises(ValueError, match="2 drawings but 1 labels"):
        collection_zip(images, [1])


# ----- python -m core predict-digit -------------------------------------------------------------
def _lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@needs_shipped
def test_cli_prints_one_line_per_file_and_exits_0(tmp_path, capsys):
    seven, one = tmp_path / "seven.png", tmp_path / "one.png"
    digit_png(SEVEN, seven)
    digit_png(ONE, one, ink=255, paper=0)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    files = [str(seven), str(tmp_path / "broken.png"), str(one), str(blank),
             str(tmp_path / "missing.png")]
    assert cli.main(["predict-digit", *files]) == 0
    lines = _lines(capsys)
    assert [line["file"] for line in lines] == files
    assert lines[0]["digit"] == 7 and lines[2]["digit"] == 1
    assert len(lines[0]["probabilities"]) == 10
    assert sum(lines[0]["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert "could not be read as an image" in lines[1]["error"]
    assert "has no ink" in lines[3]["error"]
    assert "no such file" in lines[4]["error"]
    assert cli.main(["predict-digit", str(seven), "--model", "mnist_mlp"]) == 0
    assert _lines(capsys)[0]["digit"] == 7


def test_cli_exit_codes_for_no_result_and_bad_models(tmp_path, capsys):
    (tmp_path / "broken.png").write_bytes(b"")
    with pytest.raises(ModelMissing):
        model_path("nope")
    assert cli.main(["predict-digit", str(tmp_path / "x.png"), "--model", "nope"]) == 2
    assert "no shipped model called 'nope'" in capsys.readouterr().err
    # a model that is not a digit classifier: a 2-D playground network
    config = make_config({"name": "xor", "samples": 20}, {"layers": [dense(3)]},
                         {"device": "cpu"})
    dataset = load_dataset(config.dataset)
    path = save_model(tmp_path / "xor.safetensors", build_model(config, dataset).model, config,
                      class_names=dataset.class_names, input_shape=tuple(dataset.input_shape))
    with pytest.raises(ConfigError, match="not a digit classifier"):
        load_digit_model(str(path))
    assert cli.main(["predict-digit", str(tmp_path / "x.png"), "--model", str(path)]) == 2
    capsys.readouterr()
    if (ASSETS / "mnist_cnn.safetensors").is_file():
        assert cli.main(["predict-digit", str(tmp_path / "broken.png")]) == 1
        assert "the file is empty" in _lines(capsys)[0]["error"]
