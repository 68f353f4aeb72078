"""The Playground's Reset and "Train again" under AppTest: Reset gives epoch 0 and the seed's
initial weights again; Train after a finished run continues from the finished weights, epoch
count and curve (playground/controls.py, playground/jobs.py continue_job)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from streamlit.testing.v1 import AppTest

from playground import jobs as jobs_module
from tests.pages.test_playground_page import (  # noqa: F401  (open_page is a fixture)
    by_label,
    click,
    job_of,
    metric,
    open_page,
    wait_until,
)

EPOCHS = 3


def weights(job) -> dict[str, torch.Tensor]:
    return job.snapshot()["state_dict"]


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_reset_gives_epoch_0_and_the_seeds_initial_weights(
        open_page: Callable[..., AppTest]) -> None:  # noqa: F811
    at = open_page()
    job = job_of(at)
    initial = weights(job)  # before any step: what the seed gives
    click(at, "Step")
    wait_until(at, lambda: job.epoch == 1 and job.state == "paused", "one stepped epoch")
    at.run()
    assert metric(at, "Epoch") == "1"
    assert not same(weights(job), initial), "a trained epoch left the weights as they were"

    click(at, "Reset")
    fresh = job_of(at)
    assert fresh is not job
    assert (fresh.epoch, fresh.step_count, fresh.state) == (0, 0, "ready")
    assert fresh.history == []
    assert same(weights(fresh), initial), "Reset did not bring back the seed's initial weights"
    assert fresh.config.to_dict() == job.config.to_dict()
    assert metric(at, "Epoch") == "0" and metric(at, "Test loss") == "—"
    assert job.join(timeout=10) and job.state == "stopped"


def test_train_after_a_finished_run_continues_from_its_weights_and_epochs(
        open_page: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    at = open_page()
    by_label(at.number_input, "Epochs").set_value(EPOCHS).run()
    job = job_of(at)
    click(at, "Train")
    wait_until(at, lambda: job.state == "finished", "the run to finish")
    at.run()
    assert job.epoch == EPOCHS and metric(at, "Epoch") == str(EPOCHS)
    assert any("Press Train to keep going" in i.value for i in at.info), [i.value for i in at.info]
    finished, history = weights(job), [dict(r) for r in job.history]
    assert len(history) == EPOCHS

    taken = []  # what the continuing job holds before its first step

    def recording(old, config):
        new = real(old, config)
        taken.append((new.epoch, new.step_count, weights(new), [dict(r) for r in new.history]))
        return new

    real = jobs_module.continue_job
    monkeypatch.setattr(jobs_module, "continue_job", recording)
    click(at, "Train")
    more = job_of(at)
    assert len(taken) == 1 and more is not job
    epoch, steps, start, carried = taken[0]
    assert (epoch, steps) == (EPOCHS, history[-1]["step"])
    assert same(start, finished), "Train again did not start from the finished weights"
    assert carried == history
    assert more.config.training.epochs > EPOCHS  # past the limit it had reached

    wait_until(at, lambda: more.epoch > EPOCHS, "an epoch after the finished run")
    if "Pause" in [b.label for b in at.button]:
        click(at, "Pause")
    # its 100 more epochs take a couple of seconds: it may have finished already
    wait_until(at, lambda: more.state in ("paused", "finished"), "the continued run to stop")
    at.run()
    assert more.history[:EPOCHS] == history
    assert [r["epoch"] for r in more.history] == list(range(1, more.epoch + 1))
    assert int(metric(at, "Epoch").replace(",", "")) == more.epoch > EPOCHS
