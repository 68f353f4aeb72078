"""Pictures unlike anything the model was trained on are said to be so (core.models.novelty): random
noise, a cat-like drawing, a gradient, a line of text and a smooth photo-like texture are
flagged on the galaxy side and — noise, text, photo — on the digit side, while held-out Galaxy
Zoo galaxies and MNIST digits mostly are not (the false-flag rates are measured here on random
samples of the test splits; the full splits are in assets/README.md).

Needs the shipped models and their `.ood.npz` summaries; the held-out rates also need the
data sets in PLAYGROUND_DATA_DIR.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from core import cli
from core.config import DatasetConfig
from core.data.download import find_local
from core.galaxies.galaxy import NO_OBJECT, classify_bytes, load_galaxy_model
from core.models import novelty
from core.pictures.digits import load_digit_model
from core.pictures.preprocess import prepare_digit

ASSETS = Path(__file__).resolve().parents[2] / "assets"
FAR = "the network's features of it are far from every"


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def noise(side: int = 256) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)


def cat(side: int = 256, light_on_dark: bool = True) -> np.ndarray:
    """A cat's silhouette: round head, two pointed ears, a body, green eyes."""
    image = Image.new("RGB", (side, side), (0, 0, 0) if light_on_dark else (235, 225, 210))
    draw, s = ImageDraw.Draw(image), side / 256
    fur = (250, 240, 220) if light_on_dark else (60, 50, 40)
    draw.ellipse([78 * s, 70 * s, 178 * s, 160 * s], fill=fur)
    draw.polygon([(85 * s, 95 * s), (95 * s, 40 * s), (125 * s, 80 * s)], fill=fur)
    draw.polygon([(171 * s, 95 * s), (161 * s, 40 * s), (131 * s, 80 * s)], fill=fur)
    draw.ellipse([70 * s, 140 * s, 186 * s, 240 * s], fill=fur)
    for x in (105, 138):
        draw.ellipse([x * s, 100 * s, (x + 13) * s, 112 * s], fill=(120, 200, 80))
    return np.asarray(image)


def gradient(side: int = 256) -> np.ndarray:
    ramp = np.linspace(0, 255, side).astype(np.uint8)
    return np.repeat(np.repeat(ramp[None, :, None], side, axis=0), 3, axis=2)


def text(side: int = 256) -> np.ndarray:
    image = Image.new("RGB", (side, side), (255, 255, 255))
    ImageDraw.Draw(image).text((20, 100), "HELLO", fill=(0, 0, 0),
                               font=ImageFont.load_default(size=48))
    return np.asarray(image)


def photo(side: int = 256) -> np.ndarray:
    """A smooth, photo-like texture: blurred noise in colour (light and shade everywhere)."""
    from PIL import ImageFilter

    image = Image.fromarray(noise(side // 8)).resize((side, side), Image.BICUBIC)
    return np.asarray(image.filter(ImageFilter.GaussianBlur(3)))


@pytest.fixture(scope="module")
def galaxy_model():
    return load_galaxy_model()


@pytest.fixture(scope="module")
def digit_model():
    return load_digit_model()


@pytest.mark.parametrize("name, pixels, reason", [
    ("noise", noise(), NO_OBJECT),
    ("cat, light on dark", cat(), FAR),
    ("cat, dark on light", cat(light_on_dark=False), NO_OBJECT),
    ("gradient", gradient(), FAR),
    ("text", text(), NO_OBJECT),
])
def test_non_galaxies_are_flagged(galaxy_model, name, pixels, reason) -> None:
    result = classify_bytes(f"{name}.png", png(pixels), galaxy_model, with_cam=False)
    assert result.prediction is not None  # still an answer, with the warning beside it
    assert result.prediction.unfamiliar.startswith(reason), result.prediction.unfamiliar
    assert result.prediction.warning.startswith(
        "This does not look like the galaxies the model was trained on: ")
    assert result.as_json()["familiar"] is False


@pytest.mark.parametrize("name, pixels", [("noise", noise(280)), ("text", text(280)),
                                          ("photo", photo(280))])
def test_non_digits_are_flagged(digit_model, name, pixels) -> None:
    prepared = prepare_digit(pixels)
    warning = digit_model.warning(prepared.image)
    assert warning is not None and warning.startswith(
        "This does not look like a handwritten digit: "), name


@pytest.mark.skipif(find_local("galaxy_zoo1_sdss.npz") is None,
                    reason="galaxy_zoo1_sdss.npz is not in PLAYGROUND_DATA_DIR")
def test_held_out_galaxies_are_mostly_not_flagged(galaxy_model) -> None:
    from core.data import load_dataset

    d = galaxy_model.config.dataset
    data = load_dataset(DatasetConfig(name=d.name, task=d.task, seed=d.seed,
                                      val_fraction=d.val_fraction,
                                      test_fraction=d.test_fraction))
    pick = np.random.default_rng(1).choice(len(data.x_test), size=150, replace=False)
    flagged = 0
    for i in pick:
        pixels = (data.x_test[i].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        result = classify_bytes(f"test_{i}.png", png(pixels), galaxy_model, with_cam=False)
        flagged += result.prediction.unfamiliar is not None
    assert flagged / len(pick) <= 0.06, f"{flagged} of {len(pick)} held-out galaxies flagged"


@pytest.mark.skipif(find_local("mnist.npz") is None, reason="mnist.npz is not here")
def test_held_out_digits_are_mostly_not_flagged(digit_model) -> None:
    with np.load(find_local("mnist.npz")) as data:
        digits = data["x_test"][np.random.default_rng(2).choice(10_000, 400, replace=False)]
    flagged = sum(digit_model.warning(prepare_digit(x).image) is not None for x in digits)
    assert flagged / len(digits) <= 0.03, f"{flagged} of {len(digits)} test digits flagged"


def test_the_command_lines_say_so(tmp_path, capsys) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(png(noise()))
    assert cli.main(["predict-galaxy", str(path)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["familiar"] is False and line["warning"] == (
        f"This does not look like the galaxies the model was trained on: {NO_OBJECT}. The "
        "answer is a guess.")
    assert cli.main(["predict-digit", str(path)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["familiar"] is False and line["warning"] == (
        "This does not look like a handwritten digit: 51% of its 28×28 frame is ink, where "
        "MNIST's digits have 3% to 30%. The answer is a guess.")


def test_a_model_without_a_summary_gets_no_feature_check(tmp_path) -> None:
    assert novelty.load(tmp_path / "own.safetensors") is None
    density = novelty.load(ASSETS / "mnist_cnn.safetensors")
    novelty.save(tmp_path / "m.ood.npz", density)
    again = novelty.load(tmp_path / "m.safetensors")
    assert again.threshold == density.threshold and again.ink == density.ink
    assert np.array_equal(again.precision, density.precision)
