"""Learning-rate and optimizer labs: test surfaces, real-optimizer trajectories, the gradient
descent regimes on ½·L·x², the LR range test, side-by-side jobs, checkpoints and the loss
landscape of a trained network, and `python -m core lr-find`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from core import cli
from core import train as train_module
from core.config import RunConfig
from core.errors import ConfigError
from core.labs.landscape import (
    LossProbe,
    job_weights,
    line_slice,
    lr_range_test,
    plane_slice,
    side_by_side,
    suggest_lr,
)
from core.labs.surfaces import (
    SURFACES,
    bowl,
    gd_regime,
    make_surface,
    noisy,
    parabola,
    race,
    rosenbrock,
    saddle,
    training_for,
    trajectory,
    two_minima,
)
from core.optimizers import OPTIMIZERS
from core.train import Job, run_to_end
from tests.core.helpers import dense, make_config

REPO_ROOT = Path(__file__).resolve().parents[2]


# ----- surfaces ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SURFACES))
def test_every_surface_has_its_minima_where_it_says(name: str) -> None:
    surface = make_surface(name)
    for point in (*surface.minima, *surface.local_minima):
        p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        surface(p).backward()
        assert p.grad.abs().max() < 1e-4, (name, point, p.grad)
    _, _, values = surface.grid(60)
    assert values.shape == ((60,) if surface.dims == 1 else (60, 60))
    if surface.minima:
        assert values.min() >= surface.min_value - 1e-9
        assert surface.x_range[0] < surface.minima[0][0] < surface.x_range[1]


# ----- gradient descent on ½·L·x² ------------------------------------------------------------
@pytest.mark.parametrize("curvature", [0.5, 4.0])
def test_sgd_on_parabola_converges_below_2_over_l_and_diverges_above(curvature: float) -> None:
    limit = 2.0 / curvature
    below, above = 0.95 * limit, 1.05 * limit
    surface = parabola(curvature)

    calm = trajectory(surface, "sgd", steps=400, knobs={"lr": below})
    regime = gd_regime(below, curvature)
    assert regime.name == "oscillating" and regime.converges
    assert calm.status == "finished" and calm.steps == 400
    assert abs(calm.positions[-1, 0]) < 1e-15
    # Each real torch SGD step multiplies x by exactly (1 − lr·L).
    k = np.arange(50)
    np.testing.assert_allclose(calm.positions[:50, 0], -2.5 * (1 - below * curvature) ** k,
                               rtol=1e-9)
    assert np.all(np.sign(calm.positions[:10, 0])[1:] != np.sign(calm.positions[:10, 0])[:-1])

    wild = trajectory(surface, "sgd", steps=400, knobs={"lr": above})
    regime = gd_regime(above, curvature)
    assert regime.name == "diverging" and not regime.converges
    assert wild.status == "diverged" and "diverged" in wild.message
    # |x| grows 1.1× per step from 2.5 until it passes the bound of 1,000: step 63.
    assert wild.steps == math.ceil(math.log(1000 / 2.5) / math.log(1.1))
    assert np.all(np.diff(wild.losses) > 0)


def test_gd_regimes_around_1_over_l_and_2_over_l() -> None:
    L = 2.0
    assert gd_regime(0.05, L).name == "crawling"
    assert gd_regime(0.5, L).name == "fastest"
    assert gd_regime(0.8, L).name == "oscillating"
    assert gd_regime(1.0, L).name == "bouncing"
    assert gd_regime(1.2, L).name == "diverging"
    one_step = trajectory(parabola(L), "sgd", steps=3, knobs={"lr": 1 / L})
    assert one_step.positions[1:, 0].tolist() == [0.0, 0.0, 0.0]
    edge = trajectory(parabola(L), "sgd", steps=6, knobs={"lr": 2 / L})
    np.testing.assert_allclose(np.abs(edge.positions[:, 0]), 2.5)
    with pytest.raises(ConfigError):
        gd_regime(0.0, L)


# ----- trajectories and races ------------------------------------------------------------------
def test_rosenbrock_trajectories_are_deterministic_per_seed() -> None:
    surface = noisy(rosenbrock(), 2.0)
    a = trajectory(surface, "adam", steps=120, seed=3)
    b = trajectory(surface, "adam", steps=120, seed=3)
    c = trajectory(surface, "adam", steps=120, seed=4)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert not np.array_equal(a.positions, c.positions)
    exact = trajectory(rosenbrock(), "adam", steps=120, seed=3)
    assert not np.array_equal(a.positions, exact.positions)
    # The recorded losses are the exact surface at the noisy positions.
    assert a.losses[-1] == pytest.approx(rosenbrock().value(a.positions[-1]), rel=1e-12)


def test_every_optimizer_in_the_registry_makes_a_trajectory() -> None:
    result = race(bowl(condition=5), {name: {} for name in OPTIMIZERS}, steps=60)
    assert list(result.trajectories) == list(OPTIMIZERS)
    for name, tr in result.trajectories.items():
        assert tr.positions.shape == (61, 2) and np.isfinite(tr.positions).all(), name
        assert tr.losses[-1] < tr.losses[0], name
        assert tr.label == OPTIMIZERS[name].label
        assert tr.lr == bowl(condition=5).default_lr(name)
        assert set(tr.knobs) == set(OPTIMIZERS[name].knobs)
    json.dumps(result.to_dict())


def test_race_reports_first_within_eps_local_minima_and_saddle_escapes() -> None:
    surface = two_minima()
    result = race(surface, {"sgd": {}, "momentum": {"lr": 0.02, "momentum": 0.9}}, steps=200)
    sgd, momentum = result.trajectories["sgd"], result.trajectories["momentum"]
    assert sgd.reached_step is None and sgd.reached_local_step is not None
    assert momentum.reached_step is not None
    assert result.first == ["momentum"]
    # Reached = stays within ε to the end: from that step on, never farther.
    distance = np.linalg.norm(momentum.positions - surface.minima[0], axis=1)
    assert distance[momentum.reached_step:].max() <= 0.05
    assert distance[momentum.reached_step - 1] > 0.05
    text = " ".join(result.summary())
    assert "First to settle within 0.05 of the minimum: SGD + momentum" in text
    assert "Stuck in the local minimum: SGD." in text

    escape = race(saddle(), {"sgd": {"lr": 0.05}, "adam": {"lr": 0.05}}, steps=150)
    sgd, adam = escape.trajectories["sgd"], escape.trajectories["adam"]
    assert adam.escaped_step < sgd.escaped_step  # Adam's normalised steps leave faster
    assert sgd.status == "left"
    assert saddle().value(sgd.positions[sgd.escaped_step]) < -1
    assert "Escaped the saddle: Adam" in " ".join(escape.summary())


def test_bad_optimizer_settings_are_plain_errors() -> None:
    with pytest.raises(ConfigError, match="SGD has no setting 'momentum'"):
        training_for("sgd", {"lr": 0.1, "momentum": 0.9})
    with pytest.raises(ConfigError, match="training.lr"):
        trajectory(bowl(), "adam", knobs={"lr": -1})
    with pytest.raises(ConfigError, match="unknown surface"):
        make_surface("volcano")
    with pytest.raises(ConfigError, match="2 coordinate"):
        trajectory(bowl(), "sgd", start=(1.0,))


# ----- LR range test ---------------------------------------------------------------------------
SMALL = dict(dataset={"name": "circle", "samples": 200, "noise": 0.1},
             network={"layers": [dense(8)]},
             training={"optimizer": "adam", "batch_size": 20, "epochs": 10, "device": "cpu"})


README_SUGGESTIONS = {"small": 0.47, "spiral": 0.089}
"""The rates the README quotes for SMALL and examples/spiral.json."""


def test_lr_range_test_suggests_a_rate_near_the_best_of_a_grid_search() -> None:
    config = make_config(**SMALL)
    result = lr_range_test(config, start_lr=1e-5, end_lr=10.0, steps=200)
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) > 100
    np.testing.assert_allclose(result.lrs[1] / result.lrs[0], 10 ** (6 / 199))
    assert result.stopped in ("finished", "exploded")
    json.dumps(result.to_dict())

    grid = {}
    for lr in (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0):
        trial = config.copy()
        trial.training.lr = lr
        grid[lr] = run_to_end(trial).history[-1]["train_loss"]
    best = min(grid, key=grid.get)
    assert best / 10 <= result.suggestion <= best * 10, (result.suggestion, grid)
    # README: "the range test suggests 0.47; the best of a grid search ... is 0.3" (the
    # sweep's rates are 7 % apart: 2 % pins one of them)
    assert best == 0.3, grid
    assert result.suggestion == pytest.approx(README_SUGGESTIONS["small"], rel=0.02)


def test_lr_range_test_on_the_example_spiral_suggests_the_readme_rate() -> None:
    """README: "On `examples/spiral.json` it suggests 0.089" (default sweep, 250 steps)."""
    config = RunConfig.from_json((REPO_ROOT / "examples" / "spiral.json").read_text())
    config.training.device = "cpu"
    result = lr_range_test(config)
    assert len(result.lrs) == 250 and result.stopped == "finished"
    assert result.suggestion == pytest.approx(README_SUGGESTIONS["spiral"], rel=0.02)


def test_lr_range_test_stops_when_the_loss_explodes_and_smooths_with_bias_correction() -> None:
    config = make_config({"name": "plane", "samples": 100, "noise": 0.1},
                         {"layers": [dense(4)]},
                         {"loss": "mse", "optimizer": "sgd", "batch_size": 10, "device": "cpu"})
    result = lr_range_test(config, start_lr=1e-3, end_lr=1e4, steps=120, beta=0.9)
    assert result.stopped in ("exploded", "diverged")
    assert result.lrs[-1] < 1e4
    # The first smoothed value is the first loss itself (bias-corrected EMA), then the EMA.
    assert result.smoothed[0] == pytest.approx(result.losses[0])
    avg = 0.09 * result.losses[0] + 0.1 * result.losses[1]
    assert result.smoothed[1] == pytest.approx(avg / (1 - 0.9 ** 2))
    with pytest.raises(ConfigError, match="end rate"):
        lr_range_test(config, start_lr=1.0, end_lr=0.1)


def test_suggestion_is_the_steepest_descent_before_the_minimum() -> None:
    lrs = np.geomspace(1e-4, 1, 100)
    x = np.log10(lrs)
    curve = 1 - np.tanh(3 * (x + 2)) + np.where(x > -1.5, 20 * (x + 1.5) ** 2, 0)
    suggestion = suggest_lr(lrs, curve)
    assert suggestion == pytest.approx(1e-2, rel=0.1)
    assert suggest_lr(lrs[:4], curve[:4]) is None


# ----- side by side, checkpoints, landscapes --------------------------------------------------
TINY = dict(dataset={"name": "xor", "samples": 60, "noise": 0.1},
            network={"layers": [dense(4)]},
            training={"optimizer": "adam", "lr": 0.03, "batch_size": 10, "epochs": 12,
                      "device": "cpu"})


def test_side_by_side_jobs_share_data_initial_weights_and_seed() -> None:
    jobs = side_by_side(make_config(**TINY), [0.001, 0.03, 1.0])
    assert [j.config.training.lr for j in jobs] == [0.001, 0.03, 1.0]
    assert jobs[1].dataset is jobs[0].dataset and jobs[2].dataset is jobs[0].dataset
    for job in jobs[1:]:
        for key, value in jobs[0].model.state_dict().items():
            assert torch.equal(job.model.state_dict()[key], value)
        assert job.config.training.seed == jobs[0].config.training.seed


def test_job_keeps_thinned_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_module, "MAX_CHECKPOINTS", 4)
    job = run_to_end(make_config(**TINY))
    epochs = [e for e, _ in job.checkpoints]
    assert epochs == [0, 4, 8, 12]  # 13 saves thinned twice: stride 4
    first = torch.cat([v.reshape(-1) for k, v in job.initial_state.items()])
    assert torch.equal(job.checkpoints[0][1], first)
    last = torch.cat([p.detach().reshape(-1) for p in job.model.parameters()])
    assert torch.equal(job.checkpoints[-1][1], last)


def test_landscape_line_ends_are_the_initial_and_trained_losses() -> None:
    job = Job(make_config(**TINY))
    initial_loss = job.evaluate(("train",))["train_loss"]
    job.start()
    job.join()
    trained_loss = job.evaluate(("train",))["train_loss"]
    assert trained_loss < initial_loss

    probe = LossProbe.from_job(job)
    initial, trained = job_weights(job, probe)
    line = line_slice(probe, initial, trained, alphas=[0.0, 1.0, -0.5, 1.5])
    assert line.train[0] == pytest.approx(initial_loss, rel=1e-6)
    assert line.train[1] == pytest.approx(trained_loss, rel=1e-6)
    assert line.test is not None and len(line.test) == 4
    json.dumps(line.to_dict())


def test_plane_slice_random_and_pca_with_the_projected_path() -> None:
    config = make_config({"name": "spiral", "samples": 500, "noise": 0.1,
                          "features": ["x1", "x2", "sin_x1", "sin_x2"]},
                         {"layers": [dense(8), dense(8)]},
                         {"optimizer": "adam", "lr": 0.03, "epochs": 8, "device": "cpu"})
    job = run_to_end(config)
    probe = LossProbe.from_job(job)
    _, trained = job_weights(job, probe)
    done = []
    flat = plane_slice(probe, trained, resolution=25, checkpoints=job.checkpoints,
                       progress=lambda d, t: done.append((d, t)))
    assert flat.losses.shape == (25, 25) and np.isfinite(flat.losses).all()
    assert flat.losses[12, 12] == pytest.approx(flat.center_loss, rel=1e-5)
    assert flat.center_loss == pytest.approx(job.evaluate(("train",))["train_loss"], rel=1e-5)
    assert done[-1] == (625, 625) and len(done) == 25
    assert flat.path.shape == (len(job.checkpoints), 2)
    np.testing.assert_allclose(flat.path[-1], 0.0, atol=1e-6)  # the last checkpoint = center

    pca = plane_slice(probe, trained, resolution=7, directions="pca",
                      checkpoints=job.checkpoints)
    assert 0.5 < pca.explained[0] <= 1 and pca.explained[0] + pca.explained[1] <= 1 + 1e-9
    assert np.abs(pca.path[:, 0]).max() <= pca.xs[-1]  # the grid covers the path
    # Along the main direction the path spreads far more than along the second.
    assert np.ptp(pca.path[:, 0]) > np.ptp(pca.path[:, 1])
    json.dumps(pca.to_dict())
    with pytest.raises(ConfigError, match="PCA directions need"):
        plane_slice(probe, trained, directions="pca")


# ----- CLI ---------------------------------------------------------------------------------------
def test_cli_lr_find_prints_json_lines_and_a_suggestion(tmp_path, capsys) -> None:
    path = tmp_path / "small.json"
    path.write_text(make_config(**SMALL).to_json())
    assert cli.main(["lr-find", str(path), "--steps", "60", "--start-lr", "1e-4"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    sweep, end = lines[:-1], lines[-1]
    assert len(sweep) >= 20 and all(set(line) == {"lr", "loss", "smoothed"} for line in sweep)
    assert sweep[0]["lr"] == pytest.approx(1e-4)
    assert end["event"] == "end" and end["suggested_lr"] > 0 and end["steps"] == len(sweep)

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"training": {"optimizer": "lbfgs"}}))
    assert cli.main(["lr-find", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: training.optimizer: unknown value 'lbfgs'")
