"""Benchmark the "Train on images" lesson defaults: does each dataset's default setup teach?

    PLAYGROUND_DATA_DIR=../shared/data python tests/benchmarks/bench_lessons.py [--quick]

For Galaxy Zoo, the offline 8×8 digits and MNIST, the page's default config
(playground.images.image_setup.default_image_config) trains through the same Job the page runs, and
the previous defaults (OLD_DEFAULTS, the reference) train in the same run, so a busy machine
hits both alike. Per run: wall time, CPU time, the validation score after every epoch, the
held-out test score at the end, the time the target is first reached, and how long the
validation accuracy keeps visibly improving (the last epoch that beat the best before it by at
least 0.2 points). `--quick` skips the references. Prints a table; writes
tests/artifacts/bench_lessons.json. A script, not a pytest test.

Targets (issue #14): galaxies ≥ 0.70 balanced accuracy within 90 s on 2 cores; 8×8 digits
≥ 0.90 accuracy; MNIST still visibly improving after ≥ 20 s.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before the project imports)
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.config import RunConfig
from core.threads import BUDGET, available_cores
from core.train import Job
from playground.images.image_setup import LESSON_NOTES, default_image_config

ARTIFACT = ROOT / "tests" / "artifacts" / "bench_lessons.json"
TARGETS = {"galaxy_zoo": ("val_balanced_accuracy", 0.70, 90.0),
           "digits": ("val_accuracy", 0.90, None),
           "mnist": ("val_accuracy", None, None)}
WATCH_S = {"mnist": 20.0}
OLD_DEFAULTS = {
    "dataset": {"subset": 2000, "normalization": "unit", "crop": None, "image_size": None},
    "training": {"lr": 0.001, "batch_size": 64, "epochs": 5, "lr_schedule": "constant"},
}
"""What every dataset's default was before issue #14 (galaxies: also the 69-px frame and the
small CNN without batch norm, flips and rotations only)."""
OLD_GALAXY_LAYERS = [
    {"type": "conv2d", "filters": 16, "kernel": 3, "stride": 1, "padding": "same",
     "activation": "relu"}, {"type": "maxpool", "size": 2, "stride": 0},
    {"type": "conv2d", "filters": 32, "kernel": 3, "stride": 1, "padding": "same",
     "activation": "relu"}, {"type": "maxpool", "size": 2, "stride": 0},
    {"type": "conv2d", "filters": 64, "kernel": 3, "stride": 1, "padding": "same",
     "activation": "relu"}, {"type": "maxpool", "size": 2, "stride": 0},
    {"type": "flatten"}, {"type": "dropout", "rate": 0.3},
    {"type": "dense", "units": 64, "activation": "relu"}]


def old_config(name: str) -> RunConfig:
    data = default_image_config(name).to_dict()
    data["dataset"].update(OLD_DEFAULTS["dataset"])
    data["training"].update(OLD_DEFAULTS["training"])
    if name == "digits":
        data["dataset"]["subset"] = None
        data["network"]["layers"] = [{"type": "flatten"},
                                     {"type": "dense", "units": 16, "activation": "relu"},
                                     {"type": "dense", "units": 16, "activation": "relu"}]
    if name.startswith("galaxy"):
        data["dataset"]["augment"] = {"flip": True, "rotation": 180}
        data["network"]["layers"] = OLD_GALAXY_LAYERS
    return RunConfig.from_dict(data)


def run(config: RunConfig) -> dict:
    started, cpu = time.perf_counter(), time.process_time()
    job = Job(config)
    job.start()
    job.join()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    test = job.test_metrics()
    history = [{k: h.get(k) for k in ("epoch", "elapsed_s", "val_accuracy",
                                      "val_balanced_accuracy")} for h in job.history]
    return {"state": job.state, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "history": history, "test_accuracy": test.get("test_accuracy"),
            "test_balanced_accuracy": test.get("test_balanced_accuracy")}


def summarise(name: str, result: dict) -> dict:
    metric, target, within = TARGETS[name]
    history = result["history"]
    reached = next((h["elapsed_s"] for h in history if target is not None
                    and (h.get(metric) or 0) >= target), None)
    best, watched = -1.0, 0.0
    for h in history:
        if (h["val_accuracy"] or 0) >= best + 0.002:
            best, watched = h["val_accuracy"], h["elapsed_s"]
        best = max(best, h["val_accuracy"] or 0)
    final = history[-1].get(metric) if history else None
    ok = True
    if target is not None:
        ok = final is not None and final >= target and (
            within is None or (reached is not None and reached <= within))
    if name in WATCH_S:
        ok = ok and watched >= WATCH_S[name]
    return {"final": final, "reached_target_s": reached, "improving_until_s": round(watched, 1),
            "met": ok}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the old defaults")
    parser.add_argument("--only", nargs="*", default=list(TARGETS))
    args = parser.parse_args()
    BUDGET.configure(reserve=0)
    load_before = os.getloadavg()
    results = {}
    for name in args.only:
        results[name] = {"new": run(default_image_config(name))}
        results[name]["new"].update(summarise(name, results[name]["new"]))
        if not args.quick:
            results[name]["old"] = run(old_config(name))
            results[name]["old"].update(summarise(name, results[name]["old"]))
    load_after = os.getloadavg()
    print(f"cores {available_cores()}, load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after")
    print(f"{'dataset':<11}{'setup':<5}{'wall s':>8}{'cpu s':>8}{'final val':>10}"
          f"{'test bal':>9}{'target at s':>12}{'improving to s':>15}  met")
    for name, pair in results.items():
        for setup, r in pair.items():
            reached = "—" if r["reached_target_s"] is None else f"{r['reached_target_s']:.0f}"
            print(f"{name:<11}{setup:<5}{r['wall_s']:>8.1f}{r['cpu_s']:>8.1f}"
                  f"{r['final'] or 0:>10.3f}{r['test_balanced_accuracy'] or 0:>9.3f}"
                  f"{reached:>12}{r['improving_until_s']:>15.1f}  {r['met']}")
        if "old" in pair:
            ratio = pair["new"]["wall_s"] / pair["old"]["wall_s"]
            print(f"{'':<11}new/old wall-time ratio {ratio:.2f}")
        print(f"{'':<11}what to watch: {LESSON_NOTES[name]}")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps({"load_before": load_before, "load_after": load_after,
                                    "results": results}, indent=1))
    print(f"wrote {ARTIFACT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
