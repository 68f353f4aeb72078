"""The shipped galaxy CNN through the page's whole pipeline: held-out Galaxy Zoo test galaxies,
upscaled, padded with synthetic sky to a wider frame and re-encoded as JPEG — as a student's
cut-out from another survey tool would look — must be classified, with auto framing, within a
few points of what the model scores on the original test images (its card).

Needs PLAYGROUND_DATA_DIR with galaxy_zoo1_sdss.npz (CI: ../shared/data) and the shipped model.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.config import DatasetConfig
from core.data.download import find_local
from core.models.assets import assets_dir

MODEL = assets_dir() / "galaxy_cnn.safetensors"
N_PER_CLASS = {"elliptical": 150, "spiral": 100, "edge-on": 100, "merger": 23}
"""Per class, from the held-out test split (23 are all its mergers)."""

pytestmark = pytest.mark.skipif(find_local("galaxy_zoo1_sdss.npz") is None,
                                reason="galaxy_zoo1_sdss.npz is not in PLAYGROUND_DATA_DIR")
# the model itself is required (tests/core/test_shipped_models.py): no skip when it is missing


def as_student_upload(image: np.ndarray, rng: np.random.Generator) -> bytes:
    """(69, 69, 3) uint8 → a 4× upscaled picture in a frame twice as wide, the extra sky drawn
    from the picture's own sky level and noise, saved as JPEG (quality 90)."""
    big = np.asarray(Image.fromarray(image).resize((276, 276), Image.BICUBIC), dtype=np.float32)
    border = np.concatenate([big[:12].reshape(-1, 3), big[-12:].reshape(-1, 3)])
    level, noise = np.median(border, axis=0), border.std(axis=0)
    frame = rng.normal(level, noise, (552, 552, 3))
    top, left = rng.integers(100, 176, size=2)  # the galaxy near, not exactly at, the centre
    frame[top:top + 276, left:left + 276] = big
    buffer = io.BytesIO()
    Image.fromarray(np.clip(frame, 0, 255).round().astype(np.uint8)).save(
        buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def recalls(true: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    return np.array([(predicted[true == c] == c).mean() for c in range(k)])


def test_uploaded_test_galaxies_score_like_the_card() -> None:
    from core.data import load_dataset
    from core.galaxies.galaxy import PrepOptions, classify_bytes, load_galaxy_model

    model = load_galaxy_model(str(MODEL))
    config = model.config.dataset
    data = load_dataset(DatasetConfig(name=config.name, task=config.task, seed=config.seed,
                                      val_fraction=config.val_fraction,
                                      test_fraction=config.test_fraction))
    rng = np.random.default_rng(7)
    y = data.y_test.numpy()
    pick = np.concatenate([rng.choice(np.flatnonzero(y == c), size=N_PER_CLASS[name],
                                      replace=False)
                           for c, name in enumerate(data.class_names)])
    originals = (data.x_test[pick].permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    direct = model.probabilities(originals.astype(np.float32) / 255).argmax(axis=1)
    through = []
    for image in originals:
        result = classify_bytes("upload.jpg", as_student_upload(image, rng), model,
                                PrepOptions(framing="auto"), with_cam=False)
        assert result.error is None, result.error
        through.append(result.prediction.top)
    through = np.array(through)
    true = y[pick]
    k = len(data.class_names)
    card, page = recalls(true, direct, k), recalls(true, through, k)
    print("recall on the originals:", np.round(card, 3), "through the page:", np.round(page, 3))
    agreement = float((through == direct).mean())
    print(f"same class as on the original: {agreement:.1%}")
    # Measured with the shipped (survey-fine-tuned, 8-view) model: originals
    # [0.89 0.83 0.79 0.52], through the page [0.91 0.75 0.75 0.35], the same class for 91 %
    # of the galaxies (with 4 views: [0.89 0.80 0.79 0.48] and [0.91 0.72 0.76 0.35]). A recall
    # on 100 galaxies is itself uncertain by ±4 points, so the three large classes may lose up
    # to 10 points (2.5 standard errors); on 23 mergers one standard error is 10 points and
    # they may lose 20 (the page's auto framing centres one galaxy of a pair and can cut its
    # companion away: here 4 of the 12 mergers found on the originals). The spiral gap (auto
    # framing of an upscaled JPEG) is issue 14's open work.
    assert np.all(page[:3] >= card[:3] - 0.10), (card, page)
    assert page[3] >= card[3] - 0.20, (card, page)
    # the three large classes together (300 galaxies): within 5 points
    assert page[:3].mean() >= card[:3].mean() - 0.05, (card, page)
    assert agreement >= 0.85, agreement
