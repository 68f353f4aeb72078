"""Benchmark the image path: a CNN epoch through the Job vs a bare PyTorch loop, and the time
the default lesson CNN needs to reach 98.5 % MNIST test accuracy.

    PLAYGROUND_DATA_DIR=../shared/data python tests/benchmarks/bench_cnn.py [--quick]

Both loops train the same LeNet-like CNN (the "Train on images" starter) from the same initial
weights on the same in-memory batches, with the same thread count, alternating epoch by epoch
so that anything else busy on the machine hits both alike; the ratio is what counts. A script,
not a pytest test: it prints a table and writes tests/artifacts/bench_cnn.json.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before the project imports)
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch

from core.build import build_model
from core.config import RunConfig
from core.data import load_dataset
from core.optimizers import make_optimizer
from core.threads import BUDGET, available_cores
from core.train import Job
from playground.images.image_setup import default_image_config

ARTIFACT = ROOT / "tests" / "artifacts" / "bench_cnn.json"
TARGET_ACCURACY = 0.985


def lesson_config(subset: int | None, epochs: int) -> RunConfig:
    config = default_image_config("mnist")
    config.dataset.subset = subset
    config.dataset.val_fraction = 0.05
    config.training.epochs = epochs
    config.training.batch_size = 64
    config.training.lr = 0.002
    return config


def bare_epoch(model, optimizer, criterion, x, y, batch_size: int, generator) -> float:
    """The idiomatic minimal loop: shuffle, slice, forward, loss.item(), backward, step."""
    started = time.perf_counter()
    model.train()
    perm = torch.randperm(len(x), generator=generator)
    for i in range(0, len(x), batch_size):
        idx = perm[i:i + batch_size]
        loss = criterion(model(x[idx]), y[idx])
        loss.item()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():  # one validation pass per epoch, as the job does
        model.eval()
        for i in range(0, 6000, 2048):
            model(x[i:i + 2048])
    return time.perf_counter() - started


def job_vs_bare(config: RunConfig, epochs: int) -> dict[str, float]:
    dataset = load_dataset(config.dataset)
    built = build_model(config, dataset)
    job = Job(config, dataset)
    initial = {k: v.clone() for k, v in job.model.state_dict().items()}
    built.model.load_state_dict(initial)
    optimizer = make_optimizer(built.model.parameters(), config.training)
    criterion = built.head.criterion()
    generator = torch.Generator().manual_seed(0)
    job_times, bare_times = [], []
    job.start(paused=True)
    for _ in range(epochs):
        started, before = time.perf_counter(), job.epoch
        job.step()
        while job.epoch == before and not job.done:
            time.sleep(0.002)
        job_times.append(time.perf_counter() - started)
        bare_times.append(bare_epoch(built.model, optimizer, criterion, dataset.x_train,
                                     dataset.y_train, config.training.batch_size, generator))
    job.stop(wait=True)
    job_s, bare_s = statistics.median(job_times), statistics.median(bare_times)
    return {"job_s_per_epoch": job_s, "bare_s_per_epoch": bare_s, "ratio": job_s / bare_s,
            "train_images": len(dataset.x_train)}


def time_to_accuracy(config: RunConfig, max_epochs: int) -> dict[str, float | None]:
    """Wall time from pressing Train until the test accuracy first reaches the target
    (measured after each epoch, evaluation time included)."""
    dataset = load_dataset(config.dataset)
    job = Job(config, dataset)
    started = time.perf_counter()
    job.start(paused=True)
    reached, accuracy = None, 0.0
    for _ in range(max_epochs):
        before = job.epoch
        job.step()
        while job.epoch == before and not job.done:
            time.sleep(0.005)
        accuracy = job.test_metrics()["test_accuracy"]
        if accuracy >= TARGET_ACCURACY:
            reached = time.perf_counter() - started
            break
    job.stop(wait=True)
    return {"seconds_to_target": reached, "epochs": job.epoch, "final_test_accuracy": accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small subset, fewer epochs")
    args = parser.parse_args()
    BUDGET.configure(reserve=0)
    threads = BUDGET.threads_for(1)
    results: dict[str, object] = {"cores": available_cores(), "threads": threads}
    subset = 5000 if args.quick else None
    ratio = job_vs_bare(lesson_config(subset, 100), epochs=2 if args.quick else 3)
    results["job_vs_bare"] = ratio
    print(f"CNN epoch ({ratio['train_images']:,} images, {threads} thread(s)): "
          f"job {ratio['job_s_per_epoch']:.2f} s, bare loop {ratio['bare_s_per_epoch']:.2f} s,"
          f" ratio {ratio['ratio']:.3f} (target ≤ 1.05)")
    if not args.quick:
        reach = time_to_accuracy(lesson_config(None, 20), max_epochs=8)
        results["time_to_98_5"] = reach
        shown = "not reached" if reach["seconds_to_target"] is None \
            else f"{reach['seconds_to_target']:.1f} s"
        print(f"Lesson CNN to {TARGET_ACCURACY:.1%} MNIST test accuracy: {shown} "
              f"({reach['epochs']} epochs, final {reach['final_test_accuracy']:.2%}; "
              "target ≤ 30 s)")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
