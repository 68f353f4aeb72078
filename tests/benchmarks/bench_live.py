"""The live view's cost on the server, against the Plotly frame it replaced, in one run.

    python tests/benchmarks/bench_live.py [--quick]

1. Frame cost: CPU milliseconds (this thread's `thread_time`) and bytes of one Playground frame
   for the `spiral-depth` preset (3x12 tanh): the new feed frame (grid forward pass, 8-bit
   heatmaps, weights, counters, JSON) vs the old one (the same forward pass, network +
   boundary + two curve figures, `to_json`), interleaved, medians and their ratio.
2. Training slowdown, for a job in the server's own process (a thread) and for one in a worker
   process (the app's default backend): epochs/s while nobody draws, while a page polls the
   feed at its rate (10/s: a new frame per poll, as while training), and while the old Plotly
   frame is drawn at 10/s and flat out; windows interleaved, ratios against "idle".

Targets (issue 11): frame <= 5 ms CPU and <= 30 KB; slowdown at the page's rate <= 1.2x.
The box is shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.threads import BUDGET  # noqa: E402
from core.train import Job  # noqa: E402
from playground.live.feeds import PlaygroundFeed  # noqa: E402
from playground.presets import PRESETS  # noqa: E402
from tests.benchmarks.bench_trainer import Frame  # noqa: E402


def spiral_depth(epochs: int = 100_000) -> Job:
    config = PRESETS["spiral-depth"].config()
    config.training.epochs = epochs
    return Job(config, budget=BUDGET)


def new_frame(feed: PlaygroundFeed) -> int:
    """One frame as the route serves it after a training step: built and encoded."""
    feed._cached = None  # a new training state every time
    reply = feed.poll(None, [len(feed.job.history)])
    return len(json.dumps(reply, separators=(",", ":"), allow_nan=False))


def frame_cost(reps: int) -> dict:
    job = spiral_depth(epochs=20)
    job.start()
    job.join(60)
    feed, old = PlaygroundFeed(job), Frame(job, job.dataset)
    old_bytes = 0

    def draw_old() -> None:
        nonlocal old_bytes
        old.draw()

    new_ms, old_ms = [], []
    new_bytes = new_frame(feed)
    for rep in range(reps):
        for name in (("new", "old") if rep % 2 == 0 else ("old", "new")):
            start = time.thread_time()
            if name == "new":
                new_bytes = new_frame(feed)
                new_ms.append(1000 * (time.thread_time() - start))
            else:
                draw_old()
                old_ms.append(1000 * (time.thread_time() - start))
    figures_json = old_figures_bytes(old)
    return {"new_ms": statistics.median(new_ms), "old_ms": statistics.median(old_ms),
            "new_bytes": new_bytes, "old_bytes": figures_json,
            "ratio": statistics.median(old_ms) / statistics.median(new_ms)}


def old_figures_bytes(old: Frame) -> int:
    """Bytes of the old frame's four figures as JSON (what Streamlit shipped per frame)."""
    sizes = []
    original = type(old)._timed

    def capture(self, part, fn):  # noqa: ANN001 - wraps Frame._timed to see the figures
        value = original(self, part, fn)
        if part == "to_json":
            sizes.append(sum(len(s) for s in value))
        return value

    type(old)._timed = capture
    try:
        old.draw()
    finally:
        type(old)._timed = original
    return sizes[0] if sizes else 0


def remote_spiral_depth() -> object:
    """The same run on the app's default backend: a worker process (core.jobs)."""
    from core.jobs.service import make_job

    config = PRESETS["spiral-depth"].config()
    config.training.epochs = 100_000
    return make_job(config)


def slowdown(window_s: float, reps: int, backend: str) -> dict:
    BUDGET.configure(reserve=1 if (os.cpu_count() or 2) <= 4 else 0)  # as the app does
    job = spiral_depth() if backend == "thread" else remote_spiral_depth()
    feed, old = PlaygroundFeed(job), Frame(job, job.dataset)
    job.start()
    time.sleep(0.5)
    modes = ("idle", "feed 10/s", "plotly 10/s", "plotly flat out")
    rates: dict[str, list[float]] = {m: [] for m in modes}
    for rep in range(reps):
        order = modes[rep % len(modes):] + modes[:rep % len(modes)]
        for mode in order:
            stop = threading.Event()

            def page(mode: str = mode, stop: threading.Event = stop) -> None:
                while not stop.is_set():
                    began = time.perf_counter()
                    if mode == "feed 10/s":
                        feed.poll(None, [len(job.history)])
                    elif mode.startswith("plotly"):
                        old.draw()
                    if mode != "plotly flat out":
                        stop.wait(max(0.0, 0.1 - (time.perf_counter() - began)))

            drawer = threading.Thread(target=page, daemon=True)
            first = job.epoch
            start = time.perf_counter()
            if mode != "idle":
                drawer.start()
            time.sleep(window_s)
            elapsed = time.perf_counter() - start
            rates[mode].append((job.epoch - first) / elapsed)
            stop.set()
            if mode != "idle":
                drawer.join()
    job.stop(wait=True)
    idle = statistics.median(rates["idle"])
    return {"epochs_per_s": {m: statistics.median(r) for m, r in rates.items()},
            "slowdown": {m: idle / max(1e-9, statistics.median(r)) for m, r in rates.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions")
    args = parser.parse_args()
    before = os.getloadavg()
    cost = frame_cost(reps=10 if args.quick else 40)
    slows = {backend: slowdown(window_s=1.5 if args.quick else 3.0, reps=2 if args.quick else 4,
                               backend=backend) for backend in ("thread", "process")}
    after = os.getloadavg()
    print(f"load average before {before[0]:.2f}, after {after[0]:.2f} (1 min); "
          f"{os.cpu_count()} cores")
    print(f"frame, spiral-depth:  new {cost['new_ms']:.2f} ms CPU, {cost['new_bytes']:,} B"
          f"  |  old Plotly {cost['old_ms']:.2f} ms CPU, {cost['old_bytes']:,} B"
          f"  |  old/new CPU {cost['ratio']:.1f}x  (targets: <= 5 ms, <= 30,000 B)")
    for backend, slow in slows.items():
        where = "in the server (thread)" if backend == "thread" else "in a worker process"
        print(f"job {where}:")
        for mode, eps in slow["epochs_per_s"].items():
            print(f"  training while {mode:<16} {eps:7.1f} epochs/s   slowdown "
                  f"{slow['slowdown'][mode]:.2f}x")
    print("target: slowdown while a page polls at its rate <= 1.2x")


if __name__ == "__main__":
    main()
