"""The pretrained models shipped in assets/: each loads without its data, matches its JSON
config and its model card, and (when the real data is here) still scores what its card says
on the held-out test split, rebuilt from its own config (the split is fixed by the seed)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from core.config import RunConfig
from core.data import load_dataset
from core.galaxies.galaxy import is_galaxy_source
from core.models.model_io import load_model, read_metadata

ASSETS = Path(__file__).resolve().parents[2] / "assets"
MODELS = sorted(p.stem for p in ASSETS.glob("*.safetensors"))
MAX_BYTES = 5 * 1024 * 1024
DATA_FILES = {"mnist": "mnist.npz", "galaxy_zoo": "galaxy_zoo1_sdss.npz"}
SHIPPED = {"mnist_cnn", "mnist_mlp", "galaxy_cnn"}
"""Draw a digit and Feature maps need the MNIST models, Classify galaxies the galaxy CNN, from
the first start; a missing one fails here rather than skipping the tests that use it."""
MIN_ACCURACY = {"mnist_cnn": 0.99, "mnist_mlp": 0.95}
"""Floors under the README's figures: the MNIST CNN 99.25 %, the lecture's MLP 95.3 %."""
MIN_RECALL = {"galaxy_cnn": {"elliptical": 0.85, "spiral": 0.84, "edge-on": 0.78,
                             "merger": 0.5}}
"""Floors under the README's recalls for the galaxy CNN (0.86, 0.86, 0.80, 0.52; the merger
floor keeps 12 of the 23 test mergers), so a retrained model cannot quietly lose recall. The
project's target is 0.88 for each of the first three; none reaches it (see
assets/galaxy_cnn.md, "What was tried")."""
MIN_BALANCED_ACCURACY = {"galaxy_cnn": 0.745}
"""The README's four galaxy recalls average 0.759."""
CARD_TOLERANCE = 0.01


def card_rows(name: str) -> dict[str, list[str]]:
    """Every Markdown table row of the model card: first cell -> the other cells."""
    rows = {}
    for line in (ASSETS / f"{name}.md").read_text().splitlines():
        cells = [c.strip().strip("*`") for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) > 1:
            rows.setdefault(cells[0], cells[1:])
    return rows


def test_the_models_are_shipped_each_with_config_card_and_novelty_summary():
    """Every model the pages offer is here (SHIPPED), each with its run config, its card and
    the summary the novelty check reads (core.models.novelty)."""
    assert set(MODELS) >= SHIPPED, f"missing from {ASSETS}: {sorted(SHIPPED - set(MODELS))}"
    for name in MODELS:
        for suffix in (".json", ".md", ".ood.npz"):
            assert (ASSETS / f"{name}{suffix}").is_file(), f"{name}{suffix} is missing"


@pytest.mark.parametrize("name", MODELS)
def test_model_loads_without_data_and_matches_its_card_and_config(name):
    path = ASSETS / f"{name}.safetensors"
    assert path.stat().st_size < MAX_BYTES
    built, meta = load_model(path)
    card = card_rows(name)
    shape = meta["input_shape"]
    assert card["Input"][0].startswith("×".join(map(str, shape)))
    assert meta["class_names"] == [c.strip() for c in card["Classes"][0].split(",")]
    assert f"{built.total_params:,}" == card["Parameters"][0]
    shipped = RunConfig.from_json((ASSETS / f"{name}.json").read_text())
    assert shipped.to_dict() == meta["config"].to_dict()

    with torch.no_grad():
        x = torch.rand(8, *shape, generator=torch.Generator().manual_seed(0))
        p = built.head.probabilities(built.model(x))
    assert p.shape == (8, len(meta["class_names"]))
    assert torch.isfinite(p).all() and (p >= 0).all()
    assert torch.allclose(p.sum(dim=1), torch.ones(8), atol=1e-5)


def test_the_lecture_mlp_has_13002_parameters():
    built, _ = load_model(ASSETS / "mnist_mlp.safetensors")
    assert built.total_params == 13_002


def galaxy_test_confusion(name: str) -> tuple[np.ndarray, list[str]]:
    """A galaxy model scored as the page uses it: GalaxyModel (crop, test-time views,
    calibration) on the full test frames, in one pass."""
    from core.galaxies.galaxy import load_galaxy_model
    from core.galaxies.galaxy_eval import evaluate

    report = evaluate(load_galaxy_model(str(ASSETS / f"{name}.safetensors")), shift=False)
    return report.test.confusion(), report.class_names


def _data_or_skip(dataset_name: str) -> None:
    folder = os.environ.get("PLAYGROUND_DATA_DIR")
    filename = DATA_FILES[dataset_name]
    if not folder or not (Path(folder) / filename).is_file():
        pytest.skip(f"needs the real {filename} in PLAYGROUND_DATA_DIR (e.g. ../shared/data)")


@pytest.mark.parametrize("name", MODELS)
def test_model_scores_what_its_card_says_on_the_held_out_test_split(name):
    config = read_metadata(ASSETS / f"{name}.safetensors")["config"]
    _data_or_skip(config.dataset.name)
    built, meta = load_model(ASSETS / f"{name}.safetensors")
    if is_galaxy_source(config.dataset.name):
        confusion, class_names = galaxy_test_confusion(name)
    else:
        data = load_dataset(config.dataset)
        class_names = data.class_names
        with torch.no_grad():
            pred = torch.cat([built.head.predicted_class(built.model(data.x_test[i:i + 1000]))
                              for i in range(0, len(data.x_test), 1000)])
        k = len(data.class_names)
        confusion = torch.bincount(data.y_test * k + pred, minlength=k * k).view(k, k).numpy()
    assert class_names == meta["class_names"]
    recall = dict(zip(class_names, np.diag(confusion) / confusion.sum(axis=1), strict=True))
    accuracy = float(np.trace(confusion) / confusion.sum())

    card = card_rows(name)
    measured = {"Test accuracy": accuracy, "Balanced accuracy": float(np.mean([*recall.values()])),
                **recall}
    for row, value in measured.items():
        assert abs(float(card[row][-1]) - value) <= CARD_TOLERANCE, (row, value, card[row])
    for row, images in zip(class_names, confusion.sum(axis=1), strict=True):
        assert int(card[row][0].replace(",", "")) == images
    assert accuracy >= MIN_ACCURACY.get(name, 0.0), f"{name}: test accuracy {accuracy:.4f}"
    balanced = measured["Balanced accuracy"]
    assert balanced >= MIN_BALANCED_ACCURACY.get(name, 0.0), f"{name}: balanced {balanced:.4f}"
    for cls, low in MIN_RECALL.get(name, {}).items():
        assert recall[cls] >= low, f"{name}: {cls} recall {recall[cls]:.3f} < {low}"
    assert meta["metrics"]["test_accuracy"] == pytest.approx(accuracy, abs=CARD_TOLERANCE)
