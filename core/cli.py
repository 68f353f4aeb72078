"""Headless command line over the same config and job the pages use.

    python -m core train CONFIG.json [--out MODEL.safetensors] [--epochs N] [--progress]

Prints one JSON object per line: an `epoch` line per epoch, then an `end` line with the outcome
(finished, early_stopped, diverged, stopped) and the saved model's path. A bad config prints the
same plain sentence the page shows, to stderr, and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3


def _line(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def _fail(message: str) -> int:
    _line({"event": "error", "message": message})
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def train(args: argparse.Namespace) -> int:
    from core.config import RunConfig
    from core.errors import ConfigError
    from core.model_io import save_model
    from core.threads import BUDGET
    from core.train import Job

    path = Path(args.config)
    try:
        text = path.read_text()
    except OSError as exc:
        return _fail(f"cannot read {path}: {exc.strerror}")
    try:
        config = RunConfig.from_json(text)
        if args.epochs is not None:
            config.training.epochs = args.epochs
            config.validate()
        BUDGET.configure(reserve=0)
        job = Job(config)
    except ConfigError as exc:
        return _fail(str(exc))

    _line({"event": "start", "config": str(path), "parameters": job.built.total_params,
           "device": str(job.device), "train_samples": len(job.dataset.x_train),
           "test_samples": len(job.dataset.x_test)})
    seq = 0
    job.start()
    try:
        while True:
            finished = job.join(timeout=0.1)
            for event in job.poll(seq):
                seq = event["seq"]
                kind = event.pop("type")
                event.pop("seq")
                if kind == "epoch" or (kind == "progress" and args.progress):
                    _line({"event": kind, **event})
            if finished:
                break
    except KeyboardInterrupt:
        job.stop(wait=True)
        for event in job.poll(seq):
            if event["type"] == "epoch":
                _line({"event": "epoch", **{k: v for k, v in event.items()
                                            if k not in ("type", "seq")}})

    out = Path(args.out) if args.out else Path("runs") / f"{path.stem}.safetensors"
    # the metrics of the epoch whose weights are saved (the best one, when it was restored)
    restored = job.state == "early_stopped" or (job.state == "finished"
                                                and job.monitor == "val")
    kept = job.best_epoch if restored and job.best_epoch else len(job.history)
    last = dict(job.history[kept - 1]) if job.history else {}
    final: dict[str, Any] = {}
    if job.monitor == "val" and job.state != "error":
        final = job.test_metrics()  # the held-out test set, measured once at the end
        last.update(final)
    save_model(out, job.model, job.config, class_names=job.dataset.class_names,
               input_shape=tuple(job.dataset.input_shape), task=job.dataset.task,
               metrics={k: v for k, v in last.items() if k != "lr"},
               extra={"trained_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                      "outcome": job.outcome, **_normalization(job.dataset)})
    _line({"event": "end", **(job.outcome or {}), **final, "model": str(out)})
    return EXIT_DIVERGED if job.state == "diverged" else (1 if job.state == "error" else 0)


def _normalization(dataset) -> dict[str, Any]:
    """Per-channel mean/std of a standardised dataset, so new images can be prepared alike."""
    mean, std = dataset.normalization
    if mean is None:
        return {}
    return {"normalization": {"mean": mean.flatten().tolist(), "std": std.flatten().tolist()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a model from a run-config JSON file")
    p.add_argument("config", help="run-config JSON (see README)")
    p.add_argument("--out", help="where to save the model (default runs/<config>.safetensors)")
    p.add_argument("--epochs", type=int, help="override training.epochs")
    p.add_argument("--progress", action="store_true", help="also print in-epoch progress lines")
    p.set_defaults(func=train)
    args = parser.parse_args(argv)
    return args.func(args)
