"""Jobs that train outside the server's interpreter (a worker process, a Ray actor) behave as
the in-process Job does: same numbers, same controls, same messages; plus what only they can
do (crash, park, queue)."""

from __future__ import annotations

import copy
import os
import signal
import time

import pytest
import torch

from core.build import build_model
from core.errors import ConfigError
from core.jobs.admission import Admission
from core.jobs.remote import RemoteJob
from core.train import Job, run_to_end
from tests.core.helpers import dense, make_config, tensor_dataset, wait_for

ENDLESS = {"epochs": 1_000_000, "batch_size": 10}
XOR = ({"name": "xor", "samples": 200, "seed": 0}, {"layers": [dense(8, "tanh")]},
       {"optimizer": "adam", "lr": 0.03, "epochs": 30, "batch_size": 10})


@pytest.fixture(params=["process", "ray"])
def backend(request):
    if request.param == "process":
        from core.jobs.process import ProcessBackend

        return ProcessBackend()
    return request.getfixturevalue("ray_backend")


@pytest.fixture
def remote(backend):
    """Make RemoteJobs through this; each is stopped and its worker gone afterwards."""
    made: list[RemoteJob] = []

    def make(config, dataset=None, **kwargs) -> RemoteJob:
        job = RemoteJob(config, dataset, backend=backend, **kwargs)
        made.append(job)
        return job

    yield make
    for job in made:
        job.stop(wait=True)
        assert job.join(15), "the worker did not end"


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_same_numbers_as_in_process(remote):
    config = make_config(*XOR)
    job = remote(config)
    assert job.state == "ready" and job.start() is True and job.start() is False
    assert job.join(60)
    local = run_to_end(make_config(*XOR))
    assert job.state == "finished" and job.outcome == local.outcome
    assert [{k: v for k, v in h.items() if k != "elapsed_s"} for h in job.history] == [
        {k: v for k, v in h.items() if k != "elapsed_s"} for h in local.history]
    assert _equal(job.snapshot()["state_dict"], local.snapshot()["state_dict"])
    assert job.copy_weights_into(build_model(config, job.dataset).model) == (30, 300)
    assert job.test_metrics() == local.test_metrics()
    assert [e for e, _ in job.checkpoints] == [e for e, _ in local.checkpoints]
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(job.checkpoints, local.checkpoints,
                                                           strict=True))
    assert [e["type"] for e in job.poll(0)][-2:] == ["end", "state"]
    assert job.version == (job.last_seq, 300) and job.poll(job.last_seq) == []

    # Train again after the end: the worker's handover (optimizer state too) carries on.
    more = make_config(*XOR)
    more.training.epochs = 40
    cont = remote(more, job.dataset, continue_from=job)
    cont.start()
    assert cont.join(60) and cont.state == "finished" and len(cont.history) == 40
    local_more = Job(more, local.dataset, continue_from=local)
    local_more.start()
    local_more.join()
    assert _equal(cont.snapshot()["state_dict"], local_more.snapshot()["state_dict"])


def test_a_frame_copied_while_running_is_the_current_one(remote):
    """The first copy of a running job's weights is the worker's weights now, not the frame
    it published before training began (a page that polls slowly would draw the initial
    boundary beside a counter at epoch 5)."""
    job = remote(make_config({"name": "circle", "samples": 200}, {"layers": [dense(4)]},
                             {"optimizer": "sgd", "lr": 0.05, **ENDLESS}))
    job.start()
    wait_for(lambda: job.epoch >= 5, timeout=30, what="five epochs")
    seen = job.step_count
    epoch, step = job.copy_weights_into(build_model(job.config, job.dataset).model)
    assert step >= seen > 0 and epoch >= 5, (epoch, step, seen)


def test_pause_step_resume_live_hyperparameters_and_stop(remote):
    job = remote(make_config({"name": "circle", "samples": 200}, {"layers": [dense(4)]},
                             {"optimizer": "momentum", "lr": 0.01, **ENDLESS}))
    job.start(paused=True)
    wait_for(lambda: job.state == "paused", timeout=30, what="the paused worker")
    job.step()
    wait_for(lambda: job.epoch == 1 and job.state == "paused", timeout=10, what="one step")
    assert job.step_count == 10 and len(job.history) == 1 and job.paused

    new = copy.deepcopy(job.config.training)
    new.lr, new.batch_size = 0.2, 25
    job.update_training(new)
    job.resume()
    wait_for(lambda: job.epoch >= 3, timeout=10, what="epochs with the new settings")
    assert job.state == "running"
    job.pause()
    wait_for(lambda: job.state == "paused", timeout=10, what="the pause")
    held = (job.epoch, job.step_count)
    time.sleep(0.3)
    assert (job.epoch, job.step_count) == held
    assert job.history[0]["lr"] == 0.01 and job.history[-1]["lr"] == 0.2
    assert job.history[2]["step"] - job.history[1]["step"] == 100 // 25
    # the page's frame is the paused weights exactly
    assert job.copy_weights_into(build_model(job.config, job.dataset).model) == held
    bad = copy.deepcopy(job.config.training)
    bad.seed = 5
    with pytest.raises(ConfigError, match="needs fresh weights"):
        job.update_training(bad)

    job.stop(wait=True)
    assert job.state == "stopped" and job.outcome["message"] == (
        f"stopped by the user after epoch {held[0]}")


def test_divergence_and_early_stopping_as_in_process(remote):
    diverge = ({"name": "sin", "samples": 100, "seed": 0, "features": ["x1"]},
               {"layers": [dense(8, "relu")]},
               {"loss": "mse", "optimizer": "sgd", "lr": 10, "epochs": 50, "batch_size": 10})
    early = ({"name": "gauss", "samples": 100, "noise": 1.0, "seed": 0},
             {"layers": [dense(16, "relu")]},
             {"optimizer": "adam", "lr": 0.05, "epochs": 300, "early_stopping": 5})
    for spec, outcome in ((diverge, "diverged"), (early, "early_stopped")):
        job = remote(make_config(*spec))
        job.start()
        assert job.join(60)
        local = run_to_end(make_config(*spec))
        assert job.state == outcome and job.outcome == local.outcome
        assert _equal(job.snapshot()["state_dict"], local.snapshot()["state_dict"])
        assert job.best_epoch == local.best_epoch


def test_warm_start_and_frozen_layers_in_a_worker(remote):
    layers = [{"type": "conv2d", "filters": 4, "kernel": 3, "trainable": False},
              {"type": "batchnorm", "trainable": False}, {"type": "flatten"},
              dense(8, "relu")]
    config = make_config({"name": "xor"}, {"layers": layers},
                         {"loss": "cce", "optimizer": "adam", "lr": 0.01, "epochs": 3,
                          "batch_size": 4})
    dataset = tensor_dataset((1, 6, 6), classes=3, n=24)
    base = build_model(make_config({"name": "xor"}, {"layers": [
        {k: v for k, v in layer.items() if k != "trainable"} for layer in layers]},
        {"loss": "cce", "seed": 5}), dataset).model
    warm = {k: v for k, v in base.state_dict().items() if not k.startswith("output.")}
    job = remote(config, dataset, warm_start=warm)
    before = job.snapshot()["state_dict"]
    job.start()
    assert job.join(60) and job.state == "finished"
    after = job.snapshot()["state_dict"]
    for name in ("layer1.0.weight", "layer2.0.running_mean", "layer2.0.running_var"):
        assert torch.equal(after[name], warm[name]), name
    assert not torch.equal(after["layer4.0.weight"], before["layer4.0.weight"])
    local = Job(config, dataset, warm_start=warm)
    local.start()
    local.join()
    assert _equal(after, local.snapshot()["state_dict"])


# ----- only outside the server: crashes, owners that leave, the queue ----------------------
@pytest.fixture
def processes(remote, backend):
    if backend.name != "process":
        pytest.skip("worker processes only")
    return remote


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def test_a_killed_worker_leaves_a_message_and_the_session_trains_on(processes):
    config = make_config({"name": "circle", "samples": 200}, {"layers": [dense(4)]}, ENDLESS)
    job = processes(config)
    job.start()
    wait_for(lambda: job.epoch >= 3, timeout=30, what="epochs")
    os.kill(job.worker_pid, signal.SIGKILL)
    wait_for(lambda: job.done, timeout=10, what="the crash to be noticed")
    assert job.state == "error"
    assert job.outcome["message"].startswith(
        "the training worker stopped unexpectedly (it was stopped by signal 9).")
    assert "press Train to go on" in job.outcome["message"]
    epoch = job.epoch
    again = processes(config, job.dataset, continue_from=job)
    assert again.epoch == epoch and len(again.history) == epoch
    again.start()
    wait_for(lambda: again.epoch >= epoch + 2, timeout=30, what="training after the crash")


def test_a_job_whose_page_went_away_ends_its_worker(processes):
    job = processes(make_config({"name": "circle", "samples": 200}, {"layers": [dense(4)]},
                                ENDLESS), owner_timeout_s=1.0)
    job.start()
    wait_for(lambda: job.worker_pid is not None, timeout=30, what="the worker")
    pid = job.worker_pid
    wait_for(lambda: job.done, timeout=15, what="the abandoned job to end")
    assert job.state == "abandoned"
    assert job.join(10) and not _alive(pid)
    assert job.handover()["optimizer"] is not None  # kept here for a later Train


def test_the_queue_parks_paused_jobs_and_says_the_place(processes):
    admission = Admission(limit=1)
    config = make_config({"name": "circle", "samples": 200}, {"layers": [dense(4)]}, ENDLESS)
    first = processes(config, admission=admission)
    second = processes(config, admission=admission)
    first.start()
    wait_for(lambda: first.epoch >= 2, timeout=30, what="the first job")
    second.start()
    assert second.state == "queued" and second.queue_place() == 1 and first.queue_place() is None
    first.pause()  # paused while someone waits: its worker goes back, its run stays
    wait_for(lambda: second.epoch >= 2, timeout=30, what="the second job's turn")
    assert first.state == "paused" and first.worker_pid is None and admission.holding() == 1
    held = (first.epoch, first.step_count)
    first.resume()
    assert first.state == "queued" and first.queue_place() == 1
    second.stop(wait=True)
    wait_for(lambda: first.epoch >= held[0] + 2, timeout=30, what="the first job again")
    # it went on mid-epoch where it was parked, not from scratch: 10 steps an epoch throughout
    assert first.step_count > held[1] and first.history[held[0]]["step"] == 10 * (held[0] + 1)
    assert [h["epoch"] for h in first.history[:held[0] + 2]] == list(range(1, held[0] + 3))
