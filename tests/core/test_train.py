"""The training job: learning, divergence, controls, early stopping, heartbeat, events."""

from __future__ import annotations

import copy
import math
import threading
import time

import pytest
import torch

from core.build import build_model
from core.errors import ConfigError
from core.optimizers import make_optimizer
from core.train import TERMINAL, Job, run_to_end
from tests.core.helpers import dense, make_config, wait_for

EPOCH_KEYS = {"epoch", "step", "train_loss", "test_loss", "train_accuracy", "test_accuracy"}
ENDLESS = {"epochs": 1_000_000, "batch_size": 10}


@pytest.fixture
def jobs():
    """Create jobs through this list; every one is stopped and its thread joined afterwards."""
    created: list[Job] = []

    def make(dataset=None, network=None, training=None, **kwargs) -> Job:
        job = Job(make_config(dataset, network, training), **kwargs)
        created.append(job)
        return job

    yield make
    for job in created:
        job.stop(wait=True)
        assert job.join(10), "the job's thread did not end"


def _weights_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ----- it learns --------------------------------------------------------------------------
def test_a_tiny_network_learns_xor():
    config = make_config({"name": "xor", "samples": 200, "seed": 0},
                         {"layers": [dense(8, "tanh")]},
                         {"optimizer": "adam", "lr": 0.03, "epochs": 40, "batch_size": 10})
    job = run_to_end(config)
    assert job.state == "finished"
    assert job.outcome["message"] == "finished 40 epochs"
    assert len(job.history) == 40 and job.step_count == 40 * 10
    assert job.history[-1]["test_accuracy"] >= 0.95
    assert job.history[-1]["train_loss"] < job.history[0]["train_loss"]


def test_two_spirals_with_sine_features():
    config = make_config({"name": "spiral", "samples": 300, "noise": 0.0, "seed": 0,
                          "features": ["x1", "x2", "sin_x1", "sin_x2"]},
                         {"layers": [dense(16, "tanh"), dense(16, "tanh")]},
                         {"optimizer": "adam", "lr": 0.03, "epochs": 40, "batch_size": 10})
    job = run_to_end(config)
    assert job.state == "finished"
    assert job.history[-1]["test_accuracy"] >= 0.9
    assert job.history[0]["test_accuracy"] < 0.9  # it was learnt, not given


def test_l2_penalty_keeps_the_weights_smaller():
    def norm(l2: float) -> float:
        config = make_config({"name": "xor", "samples": 80},
                             {"layers": [dense(8)]},
                             {"optimizer": "sgd", "lr": 0.1, "epochs": 5, "l2": l2})
        job = run_to_end(config)
        return sum(float((w.detach() ** 2).sum()) for w in job._penalized)

    assert norm(0.05) < 0.9 * norm(0.0)


# ----- divergence -------------------------------------------------------------------------
def _replay(job: Job, steps: int) -> tuple[torch.nn.Module, list[torch.Tensor], list[float]]:
    """Re-run the job's first `steps` optimizer steps by hand from its initial weights.

    Returns the model, the index batches it would use next, and the losses it saw."""
    built = build_model(job.config, job.dataset)
    model = built.model
    assert _weights_equal(model.state_dict(), job.initial_state)
    opt = make_optimizer(model.parameters(), job.config.training)
    crit, head = built.head.criterion(), built.head
    x, y = job.dataset.x_train, head.prepare_targets(job.dataset.y_train)
    generator = torch.Generator().manual_seed(job.config.training.seed)
    bs = job.config.training.batch_size
    batches: list[torch.Tensor] = []
    losses: list[float] = []
    model.train()
    while len(losses) < steps:
        if not batches:
            perm = torch.randperm(len(x), generator=generator)
            batches = list(perm.split(bs))
        idx = batches.pop(0)
        loss = crit(head.outputs_for_loss(model(x[idx])), y[idx])
        losses.append(loss.item())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if not batches:
        batches = list(torch.randperm(len(x), generator=generator).split(bs))
    return model, batches, losses


def test_a_huge_learning_rate_diverges_and_keeps_the_last_finite_weights():
    config = make_config({"name": "sin", "samples": 100, "seed": 0, "features": ["x1"]},
                         {"layers": [dense(8, "relu")]},
                         {"loss": "mse", "optimizer": "sgd", "lr": 10, "epochs": 50,
                          "batch_size": 10})
    job = run_to_end(config)
    assert job.state == "diverged"
    k = job.step_count
    outcome = job.outcome
    assert outcome["outcome"] == "diverged" and outcome["step"] == k and k >= 2
    message = outcome["message"]
    assert "loss became" in message and "the learning rate 10 is too high" in message
    assert f"at step {k + 1} " in message and f"The weights from step {k} are kept." in message
    assert job.poll(0)[-1]["state"] == "diverged"

    kept = job.snapshot()["state_dict"]
    assert all(torch.isfinite(v).all() for v in kept.values())
    assert not _weights_equal(kept, job.initial_state)

    # The kept weights are the ones step k computed its (finite) loss with: k - 1 updates.
    model, upcoming, losses = _replay(job, k - 1)
    assert all(math.isfinite(v) for v in losses)
    assert _weights_equal(model.state_dict(), kept)
    # ... step k's loss was finite; after its update, step k + 1's loss is not.
    crit, head = job.head.criterion(), job.head
    x, y = job.dataset.x_train, head.prepare_targets(job.dataset.y_train)
    model, upcoming, losses = _replay(job, k)
    assert math.isfinite(losses[-1])
    idx = upcoming[0]
    with torch.no_grad():
        assert not math.isfinite(crit(head.outputs_for_loss(model(x[idx])), y[idx]).item())


# ----- controls ---------------------------------------------------------------------------
def _playground_threads() -> int:
    return sum(t.name == "playground-job" and t.is_alive() for t in threading.enumerate())


def test_start_paused_step_resume_pause_and_stop(jobs):
    job = jobs({"name": "circle", "samples": 200}, {"layers": [dense(4)]}, ENDLESS)
    threads = _playground_threads()
    assert job.start(paused=True) is True
    thread = job._thread
    assert job.start() is False and job.start(paused=True) is False
    assert job._thread is thread and _playground_threads() == threads + 1
    wait_for(lambda: job.state == "paused", what="the paused state")
    assert (job.epoch, job.step_count, job.history) == (0, 0, [])

    job.step()
    wait_for(lambda: job.epoch == 1 and job.state == "paused", what="one stepped epoch")
    assert job.step_count == 10 and len(job.history) == 1
    time.sleep(0.2)
    assert job.epoch == 1 and job.step_count == 10 and job.paused

    job.step(2)
    wait_for(lambda: job.epoch == 3 and job.state == "paused", what="two more stepped epochs")
    time.sleep(0.1)
    assert job.epoch == 3 and job.step_count == 30
    states = [e["state"] for e in job.poll(0) if e["type"] == "state"]
    assert states == ["paused", "stepping", "paused", "stepping", "paused"]

    job.resume()
    wait_for(lambda: job.epoch >= 6, what="epochs after resume")
    assert job.state == "running" and not job.paused

    job.pause()
    wait_for(lambda: job.state == "paused", what="the pause")
    held = (job.epoch, job.step_count)
    time.sleep(0.3)
    assert (job.epoch, job.step_count) == held

    job.stop()
    assert job.join(5)
    assert not thread.is_alive() and _playground_threads() == threads
    assert job.state == "stopped" and job.done
    assert job.outcome == {"outcome": "stopped", "epoch": held[0], "step": held[1],
                           "message": f"stopped by the user after epoch {held[0]}"}
    assert job.start() is False  # a finished job never starts a second thread


def test_stop_while_running_ends_the_thread(jobs):
    job = jobs({"name": "circle", "samples": 200}, {"layers": [dense(4)]}, ENDLESS)
    job.start()
    wait_for(lambda: job.epoch >= 2, what="running epochs")
    job.stop(wait=True)
    assert job.state == "stopped" and not job._thread.is_alive()
    assert job.outcome["outcome"] == "stopped"
    assert job.budget.running == 0


def test_resume_during_a_step_keeps_running(jobs):
    """A click on play while a step is still running must not be undone when the step ends."""
    job = jobs({"name": "circle", "samples": 600}, {"layers": [dense(4)]},
               {"epochs": 1_000_000, "batch_size": 1, "optimizer": "sgd"})
    job.start(paused=True)
    job.step()
    wait_for(lambda: job.state == "stepping" or job.epoch >= 1, what="the step to begin")
    job.resume()
    wait_for(lambda: job.epoch >= 2, timeout=30, what="an epoch after resuming during a step")
    assert not job.paused and job.state == "running"


def test_update_training_while_paused(jobs):
    job = jobs({"name": "circle", "samples": 100}, {"layers": [dense(4)]},
               {"optimizer": "momentum", "lr": 0.01, "momentum": 0.9, **ENDLESS})
    job.start(paused=True)
    job.step()
    wait_for(lambda: job.epoch == 1 and job.state == "paused", what="one epoch")
    optimizer = job._optimizer
    assert optimizer.param_groups[0]["lr"] == 0.01
    momentum_buffers = [s["momentum_buffer"].clone() for s in optimizer.state.values()]

    new = copy.deepcopy(job.config.training)
    new.lr, new.momentum, new.batch_size = 0.2, 0.5, 25
    job.update_training(new)
    job.resume()
    wait_for(lambda: job.epoch >= 3, what="epochs with the new settings")
    job.pause()
    wait_for(lambda: job.state == "paused", what="the pause")
    assert job._optimizer is optimizer  # same optimizer: its state was kept
    assert optimizer.param_groups[0]["lr"] == 0.2
    assert optimizer.param_groups[0]["momentum"] == 0.5
    assert len(momentum_buffers) == len(optimizer.state)
    assert job.history[0]["lr"] == 0.01 and job.history[-1]["lr"] == 0.2
    steps = [h["step"] for h in job.history]
    assert steps[1] - steps[0] == 50 // 25  # the new batch size
    assert job.config.training.lr == 0.2

    changed = copy.deepcopy(job.config.training)
    changed.optimizer = "adam"
    job.update_training(changed)
    job.step()
    wait_for(lambda: isinstance(job._optimizer, torch.optim.Adam), what="the new optimizer")

    for field, value in (("loss", "mse"), ("dropout", 0.3), ("seed", 5)):
        bad = copy.deepcopy(job.config.training)
        setattr(bad, field, value)
        with pytest.raises(ConfigError) as err:
            job.update_training(bad)
        assert str(err.value) == ("changing the loss, dropout, seed or device needs fresh "
                                  "weights: reset the network")
    bad = copy.deepcopy(job.config.training)
    bad.lr = 0
    with pytest.raises(ConfigError) as err:
        job.update_training(bad)
    assert str(err.value) == "training.lr must be greater than 0, not 0"
    assert job.config.training.loss == "bce" and job.config.training.lr == 0.2


# ----- early stopping ---------------------------------------------------------------------
def test_early_stopping_stops_and_restores_the_best_weights():
    config = make_config({"name": "gauss", "samples": 100, "noise": 1.0, "seed": 0},
                         {"layers": [dense(32, "relu")] * 3},
                         {"optimizer": "adam", "lr": 0.003, "epochs": 300, "batch_size": 10,
                          "early_stopping": 5})
    job = run_to_end(config)
    assert job.state == "early_stopped"
    losses = [h["test_loss"] for h in job.history]
    best_epoch = losses.index(min(losses)) + 1
    assert best_epoch > 1 and len(losses) == best_epoch + 5 < 300
    assert job.outcome["message"] == (
        f"early stopping: the test loss has not improved for 5 epochs; stopped after epoch "
        f"{len(losses)} and restored the weights from epoch {best_epoch}")
    assert job.evaluate()["test_loss"] == pytest.approx(min(losses), abs=1e-6)
    assert abs(job.evaluate()["test_loss"] - losses[-1]) > 1e-4  # really the older weights


def test_without_early_stopping_the_last_weights_are_kept():
    config = make_config({"name": "gauss", "samples": 100, "noise": 1.0, "seed": 0},
                         {"layers": [dense(32, "relu")] * 3},
                         {"optimizer": "adam", "lr": 0.003, "epochs": 20, "batch_size": 10})
    job = run_to_end(config)
    assert job.state == "finished" and len(job.history) == 20
    assert job.evaluate()["test_loss"] == job.history[-1]["test_loss"]


# ----- owner heartbeat --------------------------------------------------------------------
def test_a_running_job_whose_owner_is_gone_stops_itself(jobs):
    job = jobs({"name": "circle", "samples": 100}, {"layers": [dense(4)]}, ENDLESS,
               owner_timeout_s=0.3)
    job.start()
    assert job.join(10), "the job kept running without its owner"
    assert job.state == "abandoned"
    assert job.outcome["message"] == "stopped: the page that started this run went away"
    assert job.epoch >= 1


def test_a_paused_job_whose_owner_is_gone_stops_itself(jobs):
    job = jobs({"name": "circle", "samples": 100}, {"layers": [dense(4)]}, ENDLESS,
               owner_timeout_s=0.2)
    job.start(paused=True)
    assert job.join(10)
    assert job.state == "abandoned" and job.epoch == 0


def test_a_touched_job_keeps_running(jobs):
    job = jobs({"name": "circle", "samples": 100}, {"layers": [dense(4)]}, ENDLESS,
               owner_timeout_s=0.6)
    job.start()
    deadline = time.monotonic() + 1.0  # longer than the timeout: the touches keep it alive
    while time.monotonic() < deadline:
        job.touch()
        time.sleep(0.02)
    assert job.state == "running" and job.epoch >= 1


# ----- events and history -----------------------------------------------------------------
def test_history_and_events_of_a_short_run():
    config = make_config({"name": "xor", "samples": 80}, {"layers": [dense(4)]},
                         {"epochs": 3, "batch_size": 10})
    job = run_to_end(config)
    assert job.state == "finished" and job.outcome["message"] == "finished 3 epochs"
    assert [h["epoch"] for h in job.history] == [1, 2, 3]
    assert [h["step"] for h in job.history] == [4, 8, 12]
    for record in job.history:
        assert set(record) >= EPOCH_KEYS
        assert all(math.isfinite(record[k]) for k in EPOCH_KEYS)
        assert 0 <= record["train_accuracy"] <= 1 and 0 <= record["test_accuracy"] <= 1
        assert record["lr"] == 0.03

    events = [e for e in job.poll(0) if e["type"] != "progress"]
    assert [e["type"] for e in events] == ["state", "epoch", "epoch", "epoch", "end", "state"]
    assert [e["state"] for e in events if e["type"] == "state"] == ["running", "finished"]
    epochs = [{k: v for k, v in e.items() if k not in ("seq", "type")}
              for e in events if e["type"] == "epoch"]
    assert epochs == job.history
    assert events[-2] == {"seq": events[-2]["seq"], "type": "end", **job.outcome}
    assert job.outcome["epoch"] == 3 and job.outcome["step"] == 12
    assert "finished" in TERMINAL and job.done
    last = job.evaluate()
    assert last["train_loss"] == job.history[-1]["train_loss"]
    assert last["test_accuracy"] == job.history[-1]["test_accuracy"]


def test_regression_history_has_no_accuracy():
    config = make_config({"name": "plane", "samples": 40}, {"layers": [dense(3)]},
                         {"loss": "mse", "epochs": 2})
    job = run_to_end(config)
    assert {"epoch", "step", "train_loss", "test_loss"} <= set(job.history[-1])
    assert "train_accuracy" not in job.history[-1]


def test_poll_contract():
    config = make_config({"name": "xor", "samples": 40}, {"layers": [dense(2)]}, {"epochs": 4})
    job = run_to_end(config)
    events = job.poll(0)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(events) + 1)) and seqs[-1] == job.last_seq
    for after in (0, 1, 3, len(events) - 1):
        assert job.poll(after) == events[after:]
    assert job.poll(job.last_seq) == [] and job.poll(job.last_seq + 10) == []
    # what poll returns is a copy: a page may pop or change keys freely
    events[0].pop("type")
    events[1]["seq"] = -1
    again = job.poll(0)
    assert again[0]["type"] == "state" and again[1]["seq"] == 2
    assert again is not events and again[1] is not events[1]


def test_the_event_buffer_is_bounded_and_keeps_the_newest():
    config = make_config({"name": "xor", "samples": 40}, {"layers": [dense(2)]}, {"epochs": 6})
    job = run_to_end(config, max_events=3)
    events = job.poll(0)
    assert len(events) == 3 and job.last_seq > 3
    assert [e["seq"] for e in events] == [job.last_seq - 2, job.last_seq - 1, job.last_seq]
    assert [e["type"] for e in events] == ["epoch", "end", "state"]
    assert job.poll(job.last_seq - 1) == events[-1:]


def test_cosine_schedule_lowers_the_rate_each_epoch_and_records_it():
    config = make_config(dataset={"name": "xor", "samples": 40},
                         network={"layers": [dense(4)]},
                         training={"lr": 0.1, "epochs": 4, "lr_schedule": "cosine"})
    job = run_to_end(config)
    rates = [h["lr"] for h in job.history]
    assert rates == pytest.approx([0.1 * 0.5 * (1 + math.cos(math.pi * e / 4))
                                   for e in range(4)])
    assert rates[0] == pytest.approx(0.1) and rates[2] == pytest.approx(0.05)
    constant = run_to_end(make_config(dataset={"name": "xor", "samples": 40},
                                      network={"layers": [dense(4)]},
                                      training={"lr": 0.1, "epochs": 2}))
    assert [h["lr"] for h in constant.history] == [0.1, 0.1]
    with pytest.raises(ConfigError, match="training.lr_schedule"):
        make_config(training={"lr_schedule": "step"})


def test_frozen_layers_keep_weights_and_batchnorm_statistics_while_the_rest_learns():
    from tests.core.helpers import tensor_dataset

    layers = [{"type": "conv2d", "filters": 4, "kernel": 3, "trainable": False},
              {"type": "batchnorm", "trainable": False},
              {"type": "flatten"}, dense(8, "relu")]
    config = make_config(dataset={"name": "xor"}, network={"layers": layers},
                         training={"loss": "cce", "optimizer": "adam", "lr": 0.01,
                                   "epochs": 3, "batch_size": 4})
    dataset = tensor_dataset((1, 6, 6), classes=3, n=24)
    base = build_model(make_config(dataset={"name": "xor"},
                                   network={"layers": [{k: v for k, v in layer.items()
                                                        if k != "trainable"}
                                                       for layer in layers]},
                                   training={"loss": "cce", "seed": 5}), dataset).model
    warm = {k: v for k, v in base.state_dict().items() if not k.startswith("output.")}
    job = Job(config, dataset, warm_start=warm)
    assert "layer1.0.weight" in job.warm_started and not any(
        k.startswith("output.") for k in job.warm_started)
    before = {k: v.clone() for k, v in job.model.state_dict().items()}
    job.start()
    job.join()
    after = job.model.state_dict()
    for name in ("layer1.0.weight", "layer1.0.bias", "layer2.0.weight",
                 "layer2.0.running_mean", "layer2.0.running_var"):
        assert torch.equal(after[name], warm[name]), name
    assert not torch.equal(after["layer4.0.weight"], before["layer4.0.weight"])
    assert "frozen" in job.built.summary[0].label
    with pytest.raises(ConfigError, match="trainable must be true or false"):
        make_config(network={"layers": [dense(4, trainable="no")]})
