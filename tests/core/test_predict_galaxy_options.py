"""`python -m core predict-galaxy --stretch / --framing / --zoom`: each option reaches the
picture's preparation (the CLI's answer is the library's answer with the same PrepOptions, and
each setting gives a different answer), impossible values are refused. A small untrained galaxy
CNN and a FITS galaxy made here; nothing from the data folder."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from core.build import build_model
from core.cli import EXIT_NO_RESULT, main
from core.galaxies.galaxy import PrepOptions, classify_bytes, load_galaxy_model
from core.models.model_io import save_model
from tests.core.helpers import make_config, tensor_dataset
from tests.core.test_galaxy import CLASSES, LAYERS, galaxy_picture

CASES = {
    "defaults": ([], PrepOptions()),
    "log stretch": (["--stretch", "log"], PrepOptions(stretch="log")),
    "linear stretch": (["--stretch", "linear"], PrepOptions(stretch="linear")),
    "galaxy zoo cut-out": (["--framing", "galaxy_zoo"], PrepOptions(framing="galaxy_zoo")),
    "manual zoom 2": (["--framing", "manual", "--zoom", "2"],
                      PrepOptions(framing="manual", zoom=2.0)),
    "manual zoom 0.5": (["--framing", "manual", "--zoom", "0.5", "--stretch", "log"],
                        PrepOptions(framing="manual", zoom=0.5, stretch="log")),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    """(model, FITS picture): the model as the playground saves one (crop 48 of 69, resized to
    32, standardised); a tilted galaxy of floats (the stretch applies to raw data)."""
    from astropy.io import fits

    tmp = tmp_path_factory.mktemp("predict_galaxy")
    config = make_config(dataset={"name": "galaxy_zoo", "crop": 48, "image_size": 32,
                                  "normalization": "standardize"},
                         network={"layers": LAYERS}, training={"loss": "cce", "seed": 3})
    dataset = tensor_dataset((3, 32, 32), classes=4, n=8)
    dataset.class_names = list(CLASSES)
    model = tmp / "galaxy_tiny.safetensors"
    save_model(model, build_model(config, dataset).model, config, class_names=CLASSES,
               input_shape=(3, 32, 32),
               extra={"normalization": {"mean": [0.05, 0.04, 0.03], "std": [0.1, 0.1, 0.05]}})
    picture = tmp / "galaxy.fits"
    light = galaxy_picture(side=96, axis_ratio=0.5, angle=0.6)[..., 0].astype(np.float32) * 3.5
    buffer = io.BytesIO()
    fits.PrimaryHDU(light).writeto(buffer)
    picture.write_bytes(buffer.getvalue())
    return model, picture


def _answer(capsys: pytest.CaptureFixture, args: list[str]) -> tuple[int, dict]:
    code = main(["predict-galaxy", *args])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    return code, json.loads(lines[0])


def test_each_option_reaches_the_preparation(files: tuple[Path, Path],
                                             capsys: pytest.CaptureFixture) -> None:
    model_path, picture = files
    model = load_galaxy_model(str(model_path))
    data = picture.read_bytes()
    answers = {}
    for case, (options, prep) in CASES.items():
        code, line = _answer(capsys, [str(picture), "--model", str(model_path), *options])
        assert code == 0, (case, line)
        expected = classify_bytes(str(picture), data, model, prep, with_cam=False).as_json()
        assert line == expected, case
        answers[case] = json.dumps(line["probabilities"], sort_keys=True)
    # every setting changes what the network sees: an option the CLI dropped would repeat one
    assert len(set(answers.values())) == len(CASES), answers


@pytest.mark.parametrize("options", [["--stretch", "sqrt"], ["--framing", "zoomed"],
                                     ["--zoom", "big"]])
def test_an_unknown_option_value_exits_2_saying_which(files: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture,
                                                      options: list[str]) -> None:
    model_path, picture = files
    with pytest.raises(SystemExit) as exited:
        main(["predict-galaxy", str(picture), "--model", str(model_path), *options])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {options[0]}: invalid" in err and repr(options[1]) in err


@pytest.mark.parametrize("zoom", ["0", "-1", "5", "nan"])
def test_a_zoom_out_of_range_is_a_plain_error_per_file(files: tuple[Path, Path],
                                                       capsys: pytest.CaptureFixture,
                                                       zoom: str) -> None:
    model_path, picture = files
    code, line = _answer(capsys, [str(picture), "--model", str(model_path),
                                  "--framing", "manual", "--zoom", zoom])
    assert code == EXIT_NO_RESULT == 1
    assert line == {"file": str(picture),
                    "error": f"zoom must be between 0.02 and 4, not {float(zoom)}"}
