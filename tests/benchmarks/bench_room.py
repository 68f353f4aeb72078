"""A room on one server: 1, 2 and 4 students training the `spiral-depth` lesson at once, in
real pages (headless Chromium), with jobs in worker processes (the default) and, as the
reference in the same run, in the server's own process (PLAYGROUND_JOBS=thread).

    python tests/benchmarks/bench_room.py [--window 20] [--sessions 1,2,4]

For each backend and room size: a fresh server; every page opens the lesson (with a huge epoch
limit), presses Train and waits until its Epoch counter moves; then the counters every page
shows are read twice, `window` seconds apart. Reported: total epochs/s the students see, the
ratio to one student alone on the same backend, and the server process's CPU (user + system)
per session over the window (what the UI costs per student at the page's redraw rate; workers
are separate processes). The browsers share the machine's cores with the server, so on a
2-core box the numbers are pessimistic. Writes tests/artifacts/bench_room.json.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before the project imports)
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright

from core.share import config_to_params
from playground.presets import PRESETS
from tests.e2e.helpers import launch_browser
from tests.e2e.processes import worker_pids
from tests.e2e.server import running_app_server
from tests.e2e.test_playground import control, poll
from tests.e2e.test_room import open_room_page

ARTIFACT = ROOT / "tests" / "artifacts" / "bench_room.json"
TICK = os.sysconf("SC_CLK_TCK")


def lesson_query() -> str:
    config = PRESETS["spiral-depth"].config()
    config.training.epochs = 1_000_000
    return "?" + urlencode(config_to_params(config))


def cpu_seconds(pid: int) -> float:
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_of(pids: set[int]) -> dict[int, float]:
    """CPU seconds so far of each process still there."""
    seconds = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            seconds[pid] = cpu_seconds(pid)
    return seconds


def browser_pids() -> set[int]:
    return {int(p.parent.name) for p in Path("/proc").glob("[0-9]*/comm")
            if _read(p).strip() in ("chromium", "chrome", "headless_shell")}


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between the two readings, over the processes in both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def epochs(page) -> int:
    return int(poll(page, "the epoch counter", "const r = reading(); return r.epoch !== null "
                    "&& String(r.epoch);"))


def measure(browser, backend: str, sessions: int, window: float) -> dict:
    env = {"PLAYGROUND_JOBS": backend, "PLAYGROUND_MAX_JOBS": str(max(8, sessions))}
    log = ROOT / "tests" / "artifacts" / f"bench-room-{backend}-{sessions}.log"
    with running_app_server(log_path=log, env=env) as server:
        contexts = [browser.new_context(viewport={"width": 1400, "height": 900})
                    for _ in range(sessions)]
        pages = [c.new_page() for c in contexts]
        try:
            for page in pages:
                open_room_page(page, server.base_url, lesson_query())
            for page in pages:
                control(page, "Train").click()
            for page in pages:
                poll(page, "training", "const r = reading(); return r.epoch >= 1;",
                     timeout_ms=300_000)
            start = [epochs(p) for p in pages]
            workers, browsers = worker_pids(server.process.pid), browser_pids()
            w0, b0 = cpu_of(workers), cpu_of(browsers)
            cpu0, t0 = cpu_seconds(server.process.pid), time.monotonic()
            time.sleep(window)
            end = [epochs(p) for p in pages]
            cpu1, t1 = cpu_seconds(server.process.pid), time.monotonic()
            w1, b1 = cpu_of(workers), cpu_of(browsers)
        finally:
            for c in contexts:
                c.close()
    elapsed = t1 - t0
    per_page = [(b - a) / elapsed for a, b in zip(start, end, strict=True)]
    return {"backend": backend, "sessions": sessions, "window_s": elapsed,
            "epochs_per_s": sum(per_page), "per_page": per_page,
            "server_cpu_per_session": (cpu1 - cpu0) / elapsed / sessions,
            "workers_cpu": used(w0, w1) / elapsed, "browsers_cpu": used(b0, b1) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--sessions", default="1,2,4")
    parser.add_argument("--backends", default="process,thread")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sessions.split(",")]
    load_before = os.getloadavg()
    rows = []
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            for backend in args.backends.split(","):
                for n in sizes:
                    row = measure(browser, backend, n, args.window)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        finally:
            browser.close()
    alone = {r["backend"]: r["epochs_per_s"] for r in rows if r["sessions"] == 1}
    print(f"\n{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load "
          f"average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}\n")
    print("| backend | sessions | total epochs/s | × one alone | per page | server CPU/session "
          "| workers CPU | browsers CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = r["epochs_per_s"] / alone[r["backend"]] if alone.get(r["backend"]) else float("nan")
        r["ratio_to_one"] = ratio
        pages = ", ".join(f"{v:.1f}" for v in r["per_page"])
        print(f"| {r['backend']} | {r['sessions']} | {r['epochs_per_s']:.1f} | **{ratio:.2f}×** "
              f"| {pages} | {r['server_cpu_per_session']:.0%} of a core "
              f"| {r['workers_cpu']:.2f} cores | {r['browsers_cpu']:.2f} cores |")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps({"load_before": load_before, "load_after": os.getloadavg(),
                                    "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
