"""Peak memory of the worst configs the resource guard (core.budget) still accepts, measured
against its own estimate in the same run (the ratio measured / estimated must stay ≤ 1: the
estimate is meant as an upper bound).

    PLAYGROUND_DATA_DIR=../shared/data python tests/benchmarks/bench_worst_config.py \
        [--limit-mb 1500]

For an affordable run the memory limit is lowered to --limit-mb (the app's default is half of
the machine's memory); with it, the script searches for the largest accepted MNIST image size
(the data-heavy worst case) and the widest accepted dense network on the largest toy data set
with a full batch (the network-heavy worst case), then runs each in a fresh process: the data
set is made, the model built, and the Job trains a few steps and evaluates, as the app would.
The same is done for a tiny reference config (two layers of 4 units on 500 points): its peak is
what any first training step costs a process (torch pages in its kernels and thread pools,
~200 MB, once per process — the app has paid it before any run). Measured = the child's peak
resident set above the reference child's. Writes tests/artifacts/bench_worst_config.json.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.budget import MEMORY_LIMIT_ENV, estimate, memory_limit
from core.config import RunConfig
from core.errors import ConfigError

CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[2])
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
import torch
from core.config import RunConfig
from core.data import load_dataset
from core.train import Job
torch.set_num_threads(1)
config = RunConfig.from_json(sys.argv[1])
base = rss()
started = time.perf_counter()
dataset = load_dataset(config.dataset)
job = Job(config, dataset)
job.start()
while job.step_count < 3 and job.state in ("ready", "running"):
    time.sleep(0.05)
job.stop(wait=True)
job.evaluate()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"base": base, "peak": peak, "seconds": time.perf_counter() - started,
                  "steps": job.step_count}))
"""


def _accepted(data: dict) -> RunConfig | None:
    try:
        return RunConfig.from_dict(data)
    except ConfigError:
        return None


def worst_image_config() -> RunConfig:
    """MNIST, all images, standardised, resized to the largest size the guard accepts."""
    best = None
    for size in range(28, 257, 4):
        config = _accepted({"dataset": {"name": "mnist", "image_size": size,
                                        "normalization": "standardize"},
                            "network": {"layers": [{"type": "flatten"},
                                                   {"type": "dense", "units": 16,
                                                    "activation": "relu"}]},
                            "training": {"loss": "cce", "batch_size": 64, "epochs": 1,
                                         "device": "cpu"}})
        if config is None:
            break
        best = config
    assert best is not None, "even 28×28 MNIST is refused at this limit"
    return best


def worst_network_config() -> RunConfig:
    """The largest toy data set, one full batch, through the widest accepted dense layers."""
    best = None
    for units in range(256, 4097, 256):
        config = _accepted({"dataset": {"name": "circle", "samples": 20_000,
                                        "train_fraction": 0.95},
                            "network": {"layers": [{"type": "dense", "units": units,
                                                    "activation": "tanh"}] * 2},
                            "training": {"batch_size": 1000, "epochs": 1, "optimizer": "adam",
                                         "device": "cpu"}})
        if config is None:
            break
        best = config
    assert best is not None
    return best


def measure(config: RunConfig) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, config.to_json(indent=None), str(ROOT)],
                         capture_output=True, text=True, env=env, check=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit-mb", type=int, default=1500)
    args = parser.parse_args()
    os.environ[MEMORY_LIMIT_ENV] = str(args.limit_mb)
    reference = measure(RunConfig.from_dict({"training": {"epochs": 1, "device": "cpu"}}))
    fixed = reference["peak"] - reference["base"]
    print(f"reference (tiny config): {fixed / 1e6:,.0f} MB above a bare process of "
          f"{reference['base'] / 1e6:,.0f} MB")
    rows = []
    for name, config in (("data-heavy: MNIST resized", worst_image_config()),
                         ("network-heavy: full-batch dense", worst_network_config())):
        est = estimate(config)
        got = measure(config)
        used = got["peak"] - got["base"] - fixed
        rows.append({"case": name, "config": config.to_dict(), "limit_bytes": memory_limit(),
                     "estimated_bytes": est.peak_bytes, "measured_bytes": used,
                     "ratio": used / est.peak_bytes, "base_bytes": got["base"],
                     "seconds": got["seconds"], "steps": got["steps"]})
        d, n = config.dataset, config.network.layers
        what = (f"image_size {d.image_size}" if d.image_size else
                f"2 × dense({n[0]['units']}), batch {config.training.batch_size}")
        print(f"{name} ({what}): estimated {est.peak_bytes / 1e6:,.0f} MB, measured "
              f"{used / 1e6:,.0f} MB above the reference (ratio {used / est.peak_bytes:.2f}; "
              f"limit {memory_limit() / 1e6:,.0f} MB; {got['seconds']:.0f} s)")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    out = ROOT / "tests" / "artifacts" / "bench_worst_config.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load_average": load, "reference_bytes": fixed, "rows": rows},
                              indent=2))


if __name__ == "__main__":
    main()
