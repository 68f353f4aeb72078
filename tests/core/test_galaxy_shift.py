"""The survey-shift transforms each do what their survey fact says, on synthetic galaxies (a
red bulge and a bluer disk on a noisy sky, SDSS-stretched), deterministically; and the set is
built from the held-out test split only."""

from __future__ import annotations

import numpy as np
import pytest

from core.galaxies import galaxy_shift as gs


def synthetic_galaxies(n: int = 6, side: int = 69, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:side, :side] - (side - 1) / 2
    out = np.empty((n, side, side, 3), np.float32)
    for k in range(n):
        q = rng.uniform(0.3, 1.0)
        r2 = xx ** 2 + (yy / q) ** 2
        bulge = 0.6 * np.exp(-r2 / (2 * 2.0 ** 2))
        disk = 0.15 * np.exp(-np.sqrt(r2) / 6.0)
        flux = np.stack([bulge * 1.3 + disk, bulge + disk, bulge * 0.6 + disk * 1.2], -1)
        flux = flux + 0.0003 + rng.normal(0, 0.0001, flux.shape)  # a faint, noisy sky
        out[k] = gs.from_linear(np.clip(flux, 0, None))
    return out


def laplacian_energy(x: np.ndarray) -> float:
    g = x.mean(axis=-1)
    lap = 4 * g[:, 1:-1, 1:-1] - g[:, :-2, 1:-1] - g[:, 2:, 1:-1] - g[:, 1:-1, :-2] - g[:, 1:-1, 2:]
    return float((lap[:, 20:-20, 20:-20] ** 2).mean())


@pytest.fixture(scope="module")
def shifted():
    x = synthetic_galaxies()
    return x, gs.survey_shift_set(x)


def test_every_transform_keeps_the_shape_and_range_and_is_repeatable(shifted) -> None:
    x, sets = shifted
    assert list(sets) == list(gs.TRANSFORMS)
    again = gs.survey_shift_set(x)
    for name, y in sets.items():
        assert y.shape == x.shape and y.dtype == np.float32, name
        assert y.min() >= 0 and y.max() <= 1, name
        assert not np.allclose(y, x, atol=0.01), f"{name} changed nothing"
        assert np.array_equal(y, again[name]), f"{name} is not deterministic"


def test_the_stretch_round_trip_is_exact() -> None:
    v = np.linspace(0, 1, 11)
    assert gs.from_linear(gs.to_linear(v)) == pytest.approx(v, abs=1e-6)


def test_legacy_colour_is_bluer_and_softer(shifted) -> None:
    x, sets = shifted
    y = sets["legacy_colour"]
    centre = (slice(None), slice(24, 45), slice(24, 45))
    # grz weights 2.2 / 3.4 / 6.0: blue lifted against red
    ratio = lambda a: float(a[centre][..., 2].sum() / a[centre][..., 0].sum())  # noqa: E731
    assert ratio(y) > 1.15 * ratio(x)
    # the stronger asinh softening brings the faint outskirts up
    ring = (slice(None), slice(5, 15), slice(30, 39))
    assert y[ring].mean() > x[ring].mean()


def test_legacy_sharp_has_finer_detail_and_shallow_blurry_less(shifted) -> None:
    x, sets = shifted
    assert laplacian_energy(sets["legacy_sharp"]) > 1.1 * laplacian_energy(x)
    smooth = gs._gauss_blur(x, 0.8)
    assert laplacian_energy(smooth) < 0.8 * laplacian_energy(x)


def test_shallow_blurry_has_a_noisier_sky(shifted) -> None:
    x, sets = shifted
    sky = (slice(None), slice(0, 6), slice(None))
    assert sets["shallow_blurry"][sky].std() > 1.5 * x[sky].std()  # after its own blur


def test_single_band_is_grey_and_linear_stretch_hides_faint_light(shifted) -> None:
    x, sets = shifted
    grey = sets["single_band"]
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1],
                                                                         grey[..., 2])
    assert grey.mean() == pytest.approx(x.mean(), rel=0.05)
    linear = sets["linear_stretch"]
    ring = (slice(None), slice(5, 15), slice(30, 39))
    assert linear[ring].mean() < 0.5 * x[ring].mean()
    assert linear.reshape(len(x), -1).max(axis=1) == pytest.approx(1.0)


def test_jpeg_reframed_moves_the_galaxy_a_little(shifted) -> None:
    x, sets = shifted
    y = sets["jpeg_reframed"]
    yy, xx = np.mgrid[:69, :69]
    for a, b in zip(x, y, strict=True):
        wa, wb = a.mean(-1) ** 4, b.mean(-1) ** 4
        ca = np.array([(wa * yy).sum(), (wa * xx).sum()]) / wa.sum()
        cb = np.array([(wb * yy).sum(), (wb * xx).sum()]) / wb.sum()
        assert np.hypot(*(ca - cb)) < 6.5  # ±4 px per axis, plus the zoom's share
