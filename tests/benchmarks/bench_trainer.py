"""Benchmark the training Job against a bare PyTorch loop, Keras, itself and the page.

    python tests/benchmarks/bench_trainer.py [--quick]

1. Job vs the idiomatic bare loop (same model, data, optimizer, batch size, seed, threads;
   each in a fresh thread): (a) the playground net 2 -> 8-8 tanh -> 1 on spirals, (b) a
   784-128-10 MLP on random tensors. At 1 thread also an epoch-by-epoch interleaved
   comparison in one thread (the least noisy), with and without the proposed shadow-copy fix,
   and the job-only per-step work timed in isolation, to say where any overhead comes from.
2. Keras 3 `model.fit` (torch backend) on the same 784-128-10 MLP, skipped if keras is missing.
3. Three spiral jobs at once on the shared `core.threads.BUDGET` (reserve=0) vs one job alone.
4. Frames/s of the page's per-frame work while a spiral job trains, and the training slowdown.

Every number is the median of interleaved repetitions (the order rotates each repetition), and
every comparison is a ratio of two things measured in the same run, in wall time and in process
CPU time (steadier when other processes share the cores). A script, not a pytest test: it prints
a table and writes tests/artifacts/bench_trainer.json (also after each stage).
"""

# ruff: noqa: E402  (the repository root goes on sys.path before the project imports)
from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import inspect
import json
import math
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ["KERAS_BACKEND"] = "torch"  # must be set before keras is first imported
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import torch
from torch import nn

from core.build import build_model, dense_weights
from core.config import DatasetConfig, NetworkConfig, RunConfig, TrainingConfig
from core.data import Dataset, load_dataset
from core.inspection import grid_view
from core.optimizers import make_optimizer
from core.threads import BUDGET, ThreadBudget, available_cores
from core.train import FULL_TRAIN_EVAL_LIMIT, Job

ARTIFACT = ROOT / "tests" / "artifacts" / "bench_trainer.json"
MAX_EPOCHS = 1_000_000  # "train until stopped" for the windowed measurements
_JOB_CHUNK = inspect.signature(Job._evaluate_set).parameters.get("chunk")
EVAL_CHUNK: int = 2048 if _JOB_CHUNK is None else _JOB_CHUNK.default  # as the job evaluates


@dataclass(frozen=True)
class Case:
    """One job-vs-bare comparison (measurement 1, and 2 where `keras`)."""

    workload: str  # "spiral" | "mlp"
    threads: int
    epochs: int  # per run; the first epoch of every run is a warm-up, not timed
    reps: int
    train: int = 0  # mlp only: training samples (the test set is a sixth of them)
    keras: bool = False


@dataclass(frozen=True)
class Settings:
    quick: bool
    cases: tuple[Case, ...]
    window_s: float  # length of one timed window in measurements 3 and 4
    window_reps: int
    interleave_s: float  # at least this long for each epoch-interleaved comparison

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(True, (Case("spiral", 1, 10, 3), Case("mlp", 1, 2, 2, 4_000, True)),
                       0.75, 2, 3.0)
        # 2 threads: smaller runs, since on a busy 2-core box every contender crawls there.
        return cls(False, (Case("spiral", 1, 60, 5), Case("mlp", 1, 2, 3, 60_000, True),
                           Case("spiral", 2, 20, 5), Case("mlp", 2, 2, 3, 5_000)), 3.0, 3, 10.0)


# ----- workloads --------------------------------------------------------------------------------
def spiral_config(epochs: int) -> RunConfig:
    """The playground's spiral net: x1, x2 -> 8-8 tanh -> 1 sigmoid, SGD, batch 10."""
    dense = {"type": "dense", "units": 8, "activation": "tanh"}
    return RunConfig(
        dataset=DatasetConfig(name="spiral", samples=500, noise=0.0),
        network=NetworkConfig(layers=[dict(dense), dict(dense)]),
        training=TrainingConfig(loss="bce", optimizer="sgd", lr=0.03, batch_size=10,
                                epochs=epochs, device="cpu"),
    )


def mlp_config(epochs: int) -> RunConfig:
    """An MNIST-sized MLP: 784 -> 128 relu -> 10 softmax, Adam, batch 64."""
    return RunConfig(
        network=NetworkConfig(layers=[{"type": "dense", "units": 128, "activation": "relu"}]),
        training=TrainingConfig(loss="cce", optimizer="adam", lr=1e-3, batch_size=64,
                                epochs=epochs, device="cpu"),
    )


def mnist_like(n_train: int, n_test: int, seed: int = 0) -> Dataset:
    """Random float32 images and labels with MNIST's shapes (the speed does not care)."""
    g = torch.Generator().manual_seed(seed)
    return Dataset(
        name="random-mnist", task="classification",
        x_train=torch.randn(n_train, 784, generator=g),
        y_train=torch.randint(0, 10, (n_train,), generator=g),
        x_test=torch.randn(n_test, 784, generator=g),
        y_test=torch.randint(0, 10, (n_test,), generator=g),
        input_shape=(784,), class_names=[str(i) for i in range(10)],
    )


Mark = tuple[float, float]
"""(wall clock, CPU time of the whole process) at the end of an epoch."""
Timing = tuple[float, float]
"""(wall, process CPU) seconds per epoch. CPU time barely moves when other processes steal
the cores, so on a shared box its ratios are the steadier ones."""


def mark() -> Mark:
    return time.perf_counter(), time.process_time()


def per_epoch(marks: list[Mark]) -> Timing:
    """Seconds per epoch from epoch-end marks, leaving out the first (warm-up) epoch."""
    (w0, c0), (w1, c1), n = marks[0], marks[-1], len(marks) - 1
    return (w1 - w0) / n, (c1 - c0) / n


# ----- the contenders ---------------------------------------------------------------------------
class MarkedJob(Job):
    """The Job itself, noting a Mark after each epoch's evaluation (one call per epoch)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.marks: list[Mark] = []

    def _end_epoch(self, running_acc: bool) -> bool:
        ended = super()._end_epoch(running_acc)
        self.marks.append(mark())
        return ended


def run_job(config: RunConfig, data: Dataset, threads: int) -> tuple[Timing, Job]:
    job = MarkedJob(config, data, budget=ThreadBudget(cores=threads))
    job.start()
    job.join()
    if job.state != "finished":
        raise RuntimeError(f"job ended as {job.state}: {job.outcome}")
    return per_epoch(job.marks), job


def bare_epochs(config: RunConfig, data: Dataset) -> tuple[Callable[[], None], nn.Module]:
    """One epoch of the idiomatic minimal loop, evaluating the sets the job evaluates."""
    built = build_model(config, data)  # same seed -> same initial weights as the job
    model, head, t = built.model, built.head, config.training
    criterion = head.criterion()
    x, y = data.x_train, head.prepare_targets(data.y_train)
    eval_sets = [(data.x_test, head.prepare_targets(data.y_test), data.y_test)]
    if len(x) <= FULL_TRAIN_EVAL_LIMIT:
        eval_sets.insert(0, (x, y, data.y_train))
    optimizer = make_optimizer(model.parameters(), t)
    generator = torch.Generator().manual_seed(t.seed)
    n, bs = len(x), t.batch_size

    def epoch() -> None:
        model.train()
        perm = torch.randperm(n, generator=generator)
        total = 0.0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            loss = criterion(model(x[idx]), y[idx])
            total += loss.item()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for xe, ye, labels in eval_sets:
                loss_sum, predicted = 0.0, []
                for i in range(0, len(xe), EVAL_CHUNK):
                    out = model(xe[i:i + EVAL_CHUNK])
                    loss_sum += criterion(out, ye[i:i + EVAL_CHUNK]).item() * len(out)
                    predicted.append(head.predicted_class(out))
                float((torch.cat(predicted) == labels).float().mean())

    return epoch, model


def run_bare(config: RunConfig, data: Dataset, threads: int) -> tuple[Timing, nn.Module]:
    torch.set_num_threads(threads)
    epoch, model = bare_epochs(config, data)
    marks: list[Mark] = []
    for _ in range(config.training.epochs):
        epoch()
        marks.append(mark())
    return per_epoch(marks), model


def fix_shadow(job: Job) -> Job:
    """The proposed fix, applied from outside: the shadow copy reads detached views of the
    weights (sharing their storage), so it records no autograd node. In train.py:
    `self._state_tensors = list(self.model.state_dict().values())`."""
    job._state_tensors = [t.detach() for t in job._state_tensors]
    return job


def keras_unavailable() -> str | None:
    try:
        import keras
    except Exception as exc:  # noqa: BLE001 - any import failure means "skip the row"
        return f"keras cannot be imported ({type(exc).__name__}: {exc}); pip install keras"
    if keras.backend.backend() != "torch":
        return f"keras runs on {keras.backend.backend()}, not torch"
    return None


def run_keras(config: RunConfig, data: Dataset, threads: int) -> tuple[Timing, None]:
    """The same MLP with Keras 3 `fit` on the torch backend, validating on the test set."""
    import keras

    torch.set_num_threads(threads)
    t = config.training
    keras.utils.set_random_seed(t.seed)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(t.lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    marks: list[Mark] = []

    class EpochEnds(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            marks.append(mark())

    model.fit(data.x_train.numpy(), data.y_train.numpy(), batch_size=t.batch_size,
              epochs=t.epochs, validation_data=(data.x_test.numpy(), data.y_test.numpy()),
              shuffle=True, verbose=0, callbacks=[EpochEnds()])
    return per_epoch(marks), None


Runner = Callable[[RunConfig, Dataset, int], tuple[Timing, Any]]


def in_fresh_thread(runner: Runner) -> Runner:
    """Run `runner` in a new thread, as the job runs: torch's thread count is per thread, and
    on a busy box a long-lived main thread at 2 threads ran 6x (up to 14x) slower than a fresh
    one."""

    def run(config: RunConfig, data: Dataset, threads: int) -> tuple[Timing, Any]:
        box: list[Any] = []

        def target() -> None:
            try:
                box.append(runner(config, data, threads))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                box.append(exc)

        worker = threading.Thread(target=target, name=f"bench-{runner.__name__}")
        worker.start()
        worker.join()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    return run


def interleaved(runners: dict[str, Runner], config: RunConfig, data: Dataset, threads: int,
                reps: int) -> tuple[dict[str, list[Timing]], dict[str, Any]]:
    """Run every contender `reps` times, rotating the order; the Timing of each run."""
    times: dict[str, list[Timing]] = {name: [] for name in runners}
    models: dict[str, Any] = {}
    names = list(runners)
    for rep in range(reps):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            timing, model = runners[name](config, data, threads)
            times[name].append(timing)
            models[name] = model
    return times, models


def max_weight_difference(a: torch.nn.Module, b: torch.nn.Module) -> float:
    sa, sb = a.state_dict(), b.state_dict()
    return max(float((sa[k] - sb[k]).abs().max()) for k in sa)


def ratio(num: list[float], den: list[float]) -> float:
    """Median of the per-repetition ratios (each pair measured back to back)."""
    return statistics.median(a / b for a, b in zip(num, den, strict=True))


# ----- 1 + 2: job vs bare loop (and Keras) ------------------------------------------------------
def versus_bare(name: str, config: RunConfig, data: Dataset, threads: int, reps: int,
                with_keras: bool) -> dict[str, Any]:
    runners: dict[str, Runner] = {"bare": in_fresh_thread(run_bare), "job": run_job}
    if with_keras:
        runners["keras"] = in_fresh_thread(run_keras)
    times, models = interleaved(runners, config, data, threads, reps)
    wall = {k: [t[0] for t in v] for k, v in times.items()}
    cpu = {k: [t[1] for t in v] for k, v in times.items()}
    job: Job = models["job"]
    result: dict[str, Any] = {
        "workload": name, "threads": threads, "epochs_per_run": config.training.epochs,
        "reps": reps, "train_samples": len(data.x_train),
        "steps_per_epoch": math.ceil(len(data.x_train) / config.training.batch_size),
        "s_per_epoch": {k: statistics.median(v) for k, v in wall.items()},
        "cpu_s_per_epoch": {k: statistics.median(v) for k, v in cpu.items()},
        "runs_wall": wall, "runs_cpu": cpu,
        "job_over_bare": ratio(wall["job"], wall["bare"]),
        "job_over_bare_cpu": ratio(cpu["job"], cpu["bare"]),
        "max_weight_difference_job_vs_bare": max_weight_difference(job.model, models["bare"]),
        "job_steps": job.step_count,
        "job_shadow_autograd_chain": _autograd_chain_length(job._shadow[0]),
    }
    if with_keras:
        result["keras_over_job"] = ratio(wall["keras"], wall["job"])
        result["keras_over_job_cpu"] = ratio(cpu["keras"], cpu["job"])
    return result


def _time_per_call(fn: Callable[[], object], min_s: float = 0.2) -> float:
    """CPU microseconds per call of `fn`, repeated until `min_s` of CPU time has passed."""
    calls, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < min_s:
        for _ in range(100):
            fn()
        calls += 100
    return elapsed / calls * 1e6


def _heap_bytes() -> int | None:
    """Bytes malloc has handed out (glibc's mallinfo2), or None where that is not available."""
    try:
        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in (
                "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                "uordblks", "fordblks", "keepcost")]

        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
        mallinfo2.restype = MallInfo2
    except (OSError, AttributeError):
        return None
    info = mallinfo2()
    return int(info.uordblks + info.hblkhd)


def _autograd_chain_length(t: torch.Tensor) -> int:
    """How many autograd nodes hang off `t` through its own in-place history."""
    node, length = t.grad_fn, 0
    while node is not None:
        length += 1
        nxt = [f for f, _ in node.next_functions if f is not None and type(f) is type(node)]
        node = nxt[0] if nxt else None
    return length


def epoch_interleaved(config: RunConfig, data: Dataset, budget_s: float) -> dict[str, Any]:
    """Process CPU time per epoch of the job's own epoch method (with and without the shadow
    fix) and of the bare loop, alternating epoch by epoch in this thread at 1 thread: no thread
    start, no scheduling, so the least noisy comparison on a shared box."""
    torch.set_num_threads(1)
    epochs: dict[str, Callable[[], Any]] = {"bare": bare_epochs(config, data)[0]}
    for name, fixed in (("job", False), ("job_fixed", True)):
        job = Job(config, data, budget=ThreadBudget(cores=1))
        job = fix_shadow(job) if fixed else job
        job.started_at = time.monotonic()
        epochs[name] = partial(job._train_until_epoch_end, stoppable=False)
    cpu: dict[str, list[float]] = {name: [] for name in epochs}
    start = time.perf_counter()
    while len(cpu["bare"]) < 3 or time.perf_counter() - start < budget_s:
        for name, epoch in epochs.items():
            before = time.process_time()
            epoch()
            cpu[name].append(time.process_time() - before)
    return {"epochs": len(cpu["bare"]),
            "cpu_s_per_epoch": {k: statistics.median(v) for k, v in cpu.items()},
            "job_over_bare_cpu": ratio(cpu["job"], cpu["bare"]),
            "job_fixed_over_bare_cpu": ratio(cpu["job_fixed"], cpu["bare"])}


def job_overheads(config: RunConfig, data: Dataset, threads: int,
                  bare_s_per_epoch: float) -> dict[str, Any]:
    """Time, one at a time, the per-step work the job does and the bare loop does not."""
    torch.set_num_threads(threads)
    job = Job(config, data, budget=ThreadBudget(cores=threads))
    head, bs, n = job.head, config.training.batch_size, len(data.x_train)
    perm = torch.randperm(n)
    idx = perm[:bs]
    out = job.model(job._x_train[idx]).detach()
    lock, shadow, state = job._weights_lock, job._shadow, job._state_tensors
    detached = [t.detach() for t in state]

    def locked() -> None:
        with lock:
            pass

    counts = [0, 0.0, 0]

    def bookkeeping() -> None:  # the job's per-step lines besides the torch calls
        value = 0.5
        if not math.isfinite(value):
            raise AssertionError
        counts[0] += 1
        counts[1] += value * len(idx)
        counts[2] += len(idx)
        head.outputs_for_loss(out)

    fresh = [t.detach().clone() for t in state]

    def shadow_no_grad() -> None:
        with torch.no_grad():
            torch._foreach_copy_(fresh, state)

    steps = math.ceil(n / bs)
    bare_step_us = bare_s_per_epoch / steps * 1e6
    items = {
        "shadow copy as in the job (records autograd)":
            _time_per_call(lambda: torch._foreach_copy_(shadow, state)),
        "weights lock (uncontended)": _time_per_call(locked),
        "finite check + counters + outputs_for_loss": _time_per_call(bookkeeping),
        "progress clock (time.monotonic)": _time_per_call(time.monotonic),
    }
    if head.task == "classification" and n > FULL_TRAIN_EVAL_LIMIT:
        labels = job._labels_train
        items["running accuracy (> 20k samples)"] = _time_per_call(
            lambda: int((head.predicted_class(out) == labels[idx]).sum()))
    proposed = {
        "shadow copy under no_grad": _time_per_call(shadow_no_grad),
        "shadow copy from detached views": _time_per_call(
            lambda: torch._foreach_copy_(fresh, detached)),
    }
    # The recording copy chains one autograd node per step onto the shadow tensors: a leak.
    leaky = [t.detach().clone() for t in state]
    before = _heap_bytes()
    for _ in range(20_000):
        torch._foreach_copy_(leaky, state)
    after = _heap_bytes()
    leak = None if before is None or after is None else (after - before) / 20_000
    return {
        "threads": threads, "bare_step_us": bare_step_us,
        "job_extra_us_per_step": items,
        "job_extra_total_us": sum(items.values()),
        "job_extra_pct_of_bare_step": 100 * sum(items.values()) / bare_step_us,
        "proposed_us_per_step": proposed,
        "shadow_requires_grad_after_copy": bool(leaky[0].requires_grad),
        "shadow_autograd_chain_after_20k_steps": _autograd_chain_length(leaky[0]),
        "shadow_leak_bytes_per_step": leak,
    }


# ----- 3: three sessions on the shared budget ---------------------------------------------------
def three_sessions(s: Settings) -> dict[str, Any]:
    """Total epochs/s of three spiral jobs started together on BUDGET vs one job alone.

    torch.set_num_threads only changes the calling thread (and threads started later), so what
    each job got is read in its own thread, when it acquires the budget.
    """
    BUDGET.configure(reserve=0)
    data = load_dataset(spiral_config(1).dataset)
    totals: dict[int, list[float]] = {1: [], 3: []}
    per_job: dict[int, list[list[float]]] = {1: [], 3: []}
    got: dict[int, list[list[int]]] = {1: [], 3: []}
    acquired: dict[int, int] = {}
    plain_acquire = BUDGET.acquire

    def recording_acquire() -> None:  # runs in the job's own thread
        plain_acquire()
        acquired[threading.get_ident()] = torch.get_num_threads()

    BUDGET.acquire = recording_acquire  # type: ignore[method-assign]
    try:
        for rep in range(s.window_reps):
            for count in ((1, 3) if rep % 2 == 0 else (3, 1)):
                acquired.clear()
                jobs = [Job(spiral_config(MAX_EPOCHS), data, budget=BUDGET) for _ in range(count)]
                for job in jobs:
                    job.start()
                time.sleep(0.3)  # all running
                start, before = time.perf_counter(), [job.epoch for job in jobs]
                time.sleep(s.window_s)
                after, elapsed = [job.epoch for job in jobs], time.perf_counter() - start
                for job in jobs:
                    job.stop()
                for job in jobs:
                    job.join()
                got[count].append([acquired.get(job._thread.ident, -1) for job in jobs])
                rates = [(b - a) / elapsed for a, b in zip(before, after, strict=True)]
                per_job[count].append(rates)
                totals[count].append(sum(rates))
    finally:
        del BUDGET.acquire
    return {
        "reserve": 0, "cores": BUDGET.cores, "window_s": s.window_s, "reps": s.window_reps,
        "budget_threads_for": {"1": BUDGET.threads_for(1), "3": BUDGET.threads_for(3)},
        "one_job_epochs_per_s": statistics.median(totals[1]),
        "three_jobs_total_epochs_per_s": statistics.median(totals[3]),
        "three_jobs_each_epochs_per_s": [statistics.median(r)
                                         for r in zip(*per_job[3], strict=True)],
        "total_over_one": ratio(totals[3], totals[1]),
        "torch_threads_one_job": got[1], "torch_threads_each_of_three": got[3],
        "runs": {"one": totals[1], "three": totals[3]},
    }


# ----- 4: the page's frames while a job trains --------------------------------------------------
class Frame:
    """What the playground page does per frame, with the time spent in each part."""

    def __init__(self, job: Job, data: Dataset):
        self.job, self.data = job, data
        self.model = build_model(job.config, data).model
        self.parts: dict[str, float] = {}
        self.frames = 0
        self.seq = 0
        try:
            from playground.charts import boundary, curves, network
        except Exception as exc:  # noqa: BLE001 - the charts modules are optional here
            self.charts, self.charts_note = None, f"playground.charts not importable: {exc}"
        else:
            self.charts = SimpleNamespace(
                decision_boundary_figure=boundary.decision_boundary_figure,
                network_figure=network.network_figure, loss_figure=curves.loss_figure)
            self.charts_note = "network, boundary, loss x2, to_json"
            try:
                self.draw()
            except Exception as exc:  # noqa: BLE001 - a changing API must not stop the run
                self.charts = None
                self.charts_note = f"charts skipped: {type(exc).__name__}: {exc}"
        self.parts.clear()
        self.frames = 0

    def _timed(self, part: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = fn()
        self.parts[part] = self.parts.get(part, 0.0) + time.perf_counter() - start
        return value

    def draw(self) -> None:
        """As playground.live.draw: weights, grid, network + boundary + 2 curves, JSON."""
        job, data, model = self.job, self.data, self.model
        events = self._timed("poll", lambda: job.poll(self.seq))
        if events:
            self.seq = events[-1]["seq"]
        self._timed("copy_weights_into", lambda: job.copy_weights_into(model))
        view = self._timed("grid_view", lambda: grid_view(model, job.head, data, 50))
        if self.charts is None:
            self.frames += 1
            return
        charts = self.charts
        boundary = self._timed("decision_boundary_figure", lambda: (
            charts.decision_boundary_figure(
                view.grid.xs, view.grid.ys, view.output, task="binary",
                train_x=data.raw_train.numpy(), train_y=data.y_train.numpy(),
                test_x=data.raw_test.numpy(), test_y=data.y_test.numpy(),
                class_names=data.class_names, height=400)))

        def network() -> Any:
            weights = [w.numpy() for w in dense_weights(model)]
            sizes = [len(data.feature_names), *(w.shape[0] for w in weights)]
            nodes = [list(view.inputs)]
            for layer in view.neurons:
                scale = np.maximum(1.0, np.abs(layer).reshape(len(layer), -1).max(axis=1))
                nodes.append(list(layer / scale[:, None, None]))
            nodes.append([2 * view.output - 1])
            return charts.network_figure(sizes, weights, input_names=data.feature_names,
                                         node_values=nodes, height=430)

        figures = [boundary, self._timed("network_figure", network)]
        figures += self._timed("loss_figure x2", lambda: [
            charts.loss_figure(job.history, height=200),
            charts.loss_figure(job.history, metric="accuracy", height=180)])
        self._timed("to_json", lambda: [f.to_json() for f in figures])
        self.frames += 1


def frame_rate(s: Settings) -> dict[str, Any]:
    """Epochs/s of one training job with the page idle, drawing flat out, and at 10 frames/s."""
    BUDGET.configure(reserve=1)  # as the app: one core kept for the UI
    data = load_dataset(spiral_config(1).dataset)
    job = Job(spiral_config(MAX_EPOCHS), data, budget=BUDGET)
    frame = Frame(job, data)
    job.start()
    time.sleep(0.3)
    modes = ("idle", "max", "10fps")
    rates: dict[str, list[float]] = {m: [] for m in modes}
    fps: dict[str, list[float]] = {m: [] for m in modes[1:]}
    frame_s, frames_max = 0.0, 0
    for rep in range(s.window_reps):
        for mode in modes[rep % 3:] + modes[:rep % 3]:
            start, first_epoch, frames = time.perf_counter(), job.epoch, frame.frames
            parts_before = sum(frame.parts.values())
            while (now := time.perf_counter()) - start < s.window_s:
                if mode == "idle":
                    time.sleep(0.05)
                    continue
                frame.draw()
                if mode == "10fps":
                    time.sleep(max(0.0, 0.1 - (time.perf_counter() - now)))
            elapsed = time.perf_counter() - start
            rates[mode].append((job.epoch - first_epoch) / elapsed)
            if mode != "idle":
                fps[mode].append((frame.frames - frames) / elapsed)
            if mode == "max":
                frame_s += sum(frame.parts.values()) - parts_before
                frames_max += frame.frames - frames
    job.stop(wait=True)
    return {
        "reserve": 1, "torch_threads": BUDGET.threads_for(1), "window_s": s.window_s,
        "reps": s.window_reps, "frame": frame.charts_note,
        "fps_max": statistics.median(fps["max"]), "fps_capped_10": statistics.median(fps["10fps"]),
        "epochs_per_s": {m: statistics.median(r) for m, r in rates.items()},
        "slowdown_max": ratio(rates["idle"], rates["max"]),
        "slowdown_10fps": ratio(rates["idle"], rates["10fps"]),
        "ms_per_frame": 1000 * frame_s / max(1.0, frames_max),
        "ms_per_part": {k: 1000 * v / frame.frames for k, v in frame.parts.items()},
    }


# ----- report -----------------------------------------------------------------------------------
Row = tuple[str, str, str, str, str, str, str, str]


def rows(results: dict[str, Any]) -> list[Row]:
    """(measurement, threads, reference, job, wall ratio, CPU ratio, target, met) rows."""
    out: list[Row] = []
    for r in results["versus_bare"]:
        spe = r["s_per_epoch"]
        out.append((f"1 job/bare  {r['workload']}", str(r["threads"]),
                    f"bare {1000 * spe['bare']:.1f} ms/ep", f"job {1000 * spe['job']:.1f} ms/ep",
                    f"{r['job_over_bare']:.3f}x", f"{r['job_over_bare_cpu']:.3f}x", "<= 1.05x",
                    _met(r["job_over_bare"] <= 1.05, r["job_over_bare_cpu"] <= 1.05)))
        if "epoch_interleaved" in r:
            e = r["epoch_interleaved"]
            for key, label in (("job", "job"), ("job_fixed", "job+fix")):
                ms = 1000 * e["cpu_s_per_epoch"][key]
                cpu_ratio = e[f"{key}_over_bare_cpu"]
                out.append((f"  same, epoch-interleaved in one thread, {label}", "1",
                            f"bare {1000 * e['cpu_s_per_epoch']['bare']:.1f} CPU ms",
                            f"{ms:.1f} CPU ms", "-", f"{cpu_ratio:.3f}x", "<= 1.05x",
                            _met(cpu_ratio <= 1.05)))
        if "keras_over_job" in r:
            out.append((f"2 keras/job {r['workload']}", str(r["threads"]),
                        f"keras {1000 * spe['keras']:.0f} ms/ep",
                        f"job {1000 * spe['job']:.0f} ms/ep", f"{r['keras_over_job']:.2f}x",
                        f"{r['keras_over_job_cpu']:.2f}x", ">= 4x",
                        _met(r["keras_over_job"] >= 4, r["keras_over_job_cpu"] >= 4)))
    if results.get("keras_skipped"):
        out.append(("2 keras/job", "-", "skipped: keras not installed", "-", "-", "-", ">= 4x",
                    "n/a"))
    t = results["three_sessions"]
    three = "/".join(str(n) for n in t["torch_threads_each_of_three"][0])
    out.append(("3 three jobs total / one job", f"{three} vs {t['torch_threads_one_job'][0][0]}",
                f"one {t['one_job_epochs_per_s']:.1f} ep/s",
                f"three {t['three_jobs_total_epochs_per_s']:.1f} ep/s",
                f"{t['total_over_one']:.2f}x", "-", ">= 1x", _met(t["total_over_one"] >= 1)))
    f = results["frame_rate"]
    eps, th = f["epochs_per_s"], str(f["torch_threads"])
    out.append(("4 frames/s while training", th, f"{f['ms_per_frame']:.0f} ms/frame",
                f"{f['fps_max']:.1f} frames/s", "-", "-", ">= 10/s", _met(f["fps_max"] >= 10)))
    out.append(("4 training slowdown, drawing flat out", th, f"idle {eps['idle']:.1f} ep/s",
                f"drawing {eps['max']:.1f} ep/s", f"{f['slowdown_max']:.2f}x", "-", "-", "-"))
    out.append(("4 training slowdown, drawing <= 10/s", th, f"idle {eps['idle']:.1f} ep/s",
                f"drawing {eps['10fps']:.1f} ep/s", f"{f['slowdown_10fps']:.2f}x", "-", "-",
                "-"))
    return out


def _met(wall: bool, cpu: bool | None = None) -> str:
    if cpu is None or cpu == wall:
        return "yes" if wall else "NO"
    return f"{'yes' if wall else 'NO'} (CPU {'yes' if cpu else 'NO'})"


def print_table(results: dict[str, Any]) -> None:
    header = ("measurement", "threads", "reference", "job", "ratio", "CPU ratio", "target",
              "met")
    table = [header, *rows(results)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for o in results["overheads"]:
        print(f"\njob-only work per step, {o['workload']}, {o['threads']} thread(s); "
              f"bare step {o['bare_step_us']:.0f} us (CPU time):")
        for name, us in o["job_extra_us_per_step"].items():
            print(f"  {name:<46} {us:7.2f} us  {100 * us / o['bare_step_us']:5.2f} %")
        print(f"  {'total':<46} {o['job_extra_total_us']:7.2f} us  "
              f"{o['job_extra_pct_of_bare_step']:5.2f} %")
        for name, us in o["proposed_us_per_step"].items():
            print(f"  proposed: {name:<36} {us:7.2f} us")
        leak = o["shadow_leak_bytes_per_step"]
        print(f"  shadow copy keeps {'?' if leak is None else f'{leak:.0f}'} B/step of heap: "
              f"an autograd chain of {o['shadow_autograd_chain_after_20k_steps']} nodes after "
              f"20k copies; a finished job's chain: {o['job_shadow_autograd_chain']} nodes "
              f"for {o['job_steps']} steps")
    f = results["frame_rate"]
    parts = ", ".join(f"{k} {v:.1f}" for k, v in f["ms_per_part"].items())
    print(f"\nframe ({f['frame']}): ms per part: {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    parser.add_argument("--output", type=Path, default=ARTIFACT, help="JSON results file")
    args = parser.parse_args()
    s, out_path = Settings.make(args.quick), args.output
    began = time.perf_counter()
    load_start = os.getloadavg()
    results: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cores": available_cores(), "cpu": _cpu_name(), "python":
                    platform.python_version(), "torch": torch.__version__},
        "settings": asdict(s), "versus_bare": [], "overheads": [],
    }
    skipped = keras_unavailable()
    if skipped:
        results["keras_skipped"] = skipped
        print(f"keras row skipped: {skipped}")
    else:
        import keras

        results["machine"]["keras"] = keras.__version__

    def save() -> None:
        results["wall_s"] = time.perf_counter() - began
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(results, indent=2))

    spiral_data = load_dataset(spiral_config(1).dataset)
    for case in s.cases:
        if case.workload == "spiral":
            name, config, data = "spiral 2-8-8-1 sgd b10", spiral_config(case.epochs), spiral_data
        else:
            name, config = f"mlp 784-128-10 adam b64 n={case.train}", mlp_config(case.epochs)
            data = mnist_like(case.train, case.train // 6)
        print(f"[{time.perf_counter() - began:5.0f} s] 1/2: {name}, {case.threads} thread(s)",
              flush=True)
        r = versus_bare(name, config, data, case.threads, case.reps,
                        case.keras and skipped is None)
        results["versus_bare"].append(r)
        if case.threads == 1:
            r["epoch_interleaved"] = epoch_interleaved(config, data, s.interleave_s)
            o = job_overheads(config, data, case.threads, r["cpu_s_per_epoch"]["bare"])
            results["overheads"].append({"workload": name, **o, **{
                k: r[k] for k in ("job_steps", "job_shadow_autograd_chain")}})
        save()
    print(f"[{time.perf_counter() - began:5.0f} s] 3: three sessions", flush=True)
    results["three_sessions"] = three_sessions(s)
    save()
    print(f"[{time.perf_counter() - began:5.0f} s] 4: frame rate", flush=True)
    results["frame_rate"] = frame_rate(s)
    results["machine"]["load_average_start_end"] = [load_start[0], os.getloadavg()[0]]
    save()
    print()
    print_table(results)
    print(f"\n{results['wall_s']:.0f} s; load average {load_start[0]:.1f} -> "
          f"{os.getloadavg()[0]:.1f} on {available_cores()} cores; wrote {out_path}")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
