"""A room without browsers: N students' `spiral-depth` runs, each with its live view polling
the feed at the page's rate, on worker processes (the app's default) against the server's own
threads (the reference, in the same run).

    python tests/benchmarks/bench_room_feeds.py [--window 6] [--reps 3] [--sessions 1,2,4]

`bench_room.py` drives real pages, but on the 2-core box the browsers take about half the CPU,
so it cannot tell what the server and its workers would do for a room whose browsers run on the
students' own laptops (the real case). Here each "student" is a job made as the page makes it
(`core.jobs.service.make_job`, with the app's admission cap and thread budget) plus a thread
that does what the page's live view asks of the server: `Feed.poll` every 0.1 s (a new frame
whenever training moved, curve rows since the last poll). Windows are interleaved: every
repetition measures each room size on each backend once, in a rotating order, and reports total
epochs/s; ratios are the median of per-repetition ratios to one student alone on the same
backend. The load average is printed beside the figures. Writes
tests/artifacts/bench_room_feeds.json.

Target (issue 12): four students >= 1.6x the epochs/s of one alone.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before the project imports)
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.jobs.service import make_job
from core.threads import BUDGET
from playground.live.feeds import PlaygroundFeed
from playground.presets import PRESETS

ARTIFACT = ROOT / "tests" / "artifacts" / "bench_room_feeds.json"
POLL_S = 0.1  # the live view's poll interval while training


class Student:
    """One page's share of the server: a training job and its live view's polls."""

    def __init__(self) -> None:
        config = PRESETS["spiral-depth"].config()
        config.training.epochs = 1_000_000
        self.job = make_job(config)
        self.feed = PlaygroundFeed(self.job)
        self.stop = threading.Event()
        self.poller = threading.Thread(target=self._poll, daemon=True)
        self.since: str | None = None
        self.have = [0]

    def _poll(self) -> None:
        while not self.stop.is_set():
            began = time.perf_counter()
            reply = self.feed.poll(self.since, self.have)
            if reply is not None:
                self.since = reply["v"]
                self.have = [start + len(rows) for start, rows in
                             zip(reply["from"], reply["rows"], strict=True)]
            self.stop.wait(max(0.0, POLL_S - (time.perf_counter() - began)))

    def start(self) -> None:
        self.job.start()
        self.poller.start()

    def close(self) -> None:
        self.stop.set()
        self.poller.join()
        self.job.stop(wait=True)


def room_rate(n: int, window_s: float) -> float:
    """Total epochs/s of `n` students training together, over `window_s` once all train."""
    students = [Student() for _ in range(n)]
    try:
        for s in students:
            s.start()
        deadline = time.monotonic() + 120
        while any(s.job.epoch < 2 for s in students):  # every worker up and training
            if time.monotonic() > deadline:
                raise RuntimeError(f"{n} students: not all jobs started within 120 s")
            time.sleep(0.05)
        first = [s.job.epoch for s in students]
        began = time.perf_counter()
        time.sleep(window_s)
        elapsed = time.perf_counter() - began
        return sum(s.job.epoch - e for s, e in zip(students, first, strict=True)) / elapsed
    finally:
        for s in students:
            s.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=6.0, help="seconds per window")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions")
    parser.add_argument("--sessions", default="1,2,4", help="room sizes, with 1 first")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sessions.split(",")]
    assert sizes[0] == 1, "the reference is one student alone"
    BUDGET.configure(reserve=1 if (os.cpu_count() or 2) <= 4 else 0)  # as the app does
    cells = [(backend, n) for backend in ("process", "thread") for n in sizes]
    rates: dict[tuple[str, int], list[float]] = {cell: [] for cell in cells}
    loads = [os.getloadavg()[0]]
    for rep in range(args.reps):
        shift = rep % len(cells)
        for backend, n in cells[shift:] + cells[:shift]:
            os.environ["PLAYGROUND_JOBS"] = backend
            rates[(backend, n)].append(room_rate(n, args.window))
            loads.append(os.getloadavg()[0])
            print(f"  rep {rep + 1}: {backend:7} {n} student(s) "
                  f"{rates[(backend, n)][-1]:7.1f} epochs/s (load {loads[-1]:.2f})",
                  flush=True)
    report = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "cores": os.cpu_count(), "window_s": args.window, "reps": args.reps,
              "load_average_1min": {"min": min(loads), "max": max(loads)},
              "epochs_per_s": {f"{b} x{n}": r for (b, n), r in rates.items()}, "ratio": {}}
    print(f"\n{os.cpu_count()} cores; load average {min(loads):.2f}-{max(loads):.2f} (1 min)")
    for backend in ("process", "thread"):
        for n in sizes:
            ratios = [r / one for r, one in
                      zip(rates[(backend, n)], rates[(backend, 1)], strict=True)]
            ratio = statistics.median(ratios)
            report["ratio"][f"{backend} x{n}"] = ratio
            print(f"{backend:7} {n} student(s): {statistics.median(rates[(backend, n)]):7.1f} "
                  f"epochs/s in all, {ratio:.2f}x one alone")
    print("target: 4 students >= 1.6x one alone")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
