"""The live view in a real browser, this checkout against a reference commit, in one run.

    python tests/benchmarks/bench_live_browser.py [--ref COMMIT] [--reps 2] [--seconds 10]

For each variant (this working tree; the reference commit checked out into a temporary git
worktree — by default the last commit before the live-view component, whose page re-ran a
fragment with Plotly figures 10 times a second), interleaved: start `streamlit run app.py`,
open the Playground on the `spiral-depth` preset in headless Chromium, press Train, and for
`--seconds` sample every 200 ms: the epoch the page shows and whether every live chart is
drawn and not faded. Reported per variant (medians over repetitions): the server's CPU
seconds per second (the whole process, training included), epochs per second as the page
shows them, distinct epoch readings per second, and the share of "steady" samples.
The box is shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from core.share import config_to_params  # noqa: E402
from playground.presets import PRESETS  # noqa: E402
from tests.e2e.helpers import launch_browser  # noqa: E402
from tests.e2e.server import free_port, server_env, streamlit_command  # noqa: E402

REFERENCE = "0a55f98"
"""main before the live-view component (fragment + Plotly redraws)."""

# One sample of what the student sees: the epoch shown, and whether every live chart is there,
# drawn and fully opaque. Works for both pages: the component's canvases inside its shadow
# root, or the old page's Plotly charts and metrics.
SAMPLE_JS = """() => {
  const up = (e) => e.parentElement || (e.getRootNode() && e.getRootNode().host);
  const opaque = (el) => {
    for (let e = el; e; e = up(e)) if (parseFloat(getComputedStyle(e).opacity) < 0.99) return false;
    return true;
  };
  const hosts = [...document.querySelectorAll('*')].filter(e => e.shadowRoot)
      .map(e => e.shadowRoot.querySelector('.nnp-live')).filter(Boolean);
  if (hosts.length) {
    const h = hosts[0];
    const panels = [...h.querySelectorAll('.surface')];
    const ok = panels.length >= 3 && panels.every(
      p => p.dataset.drawn === '1' && p.clientHeight > 0 && opaque(p));
    const v = h.querySelector('[data-counter="Epoch"]');
    return {epoch: v ? Number(v.textContent.replace(/,/g, '')) : null, ok};
  }
  const keys = ['pg_network', 'pg_output', 'pg_loss', 'pg_acc'];
  const charts = keys.map(k => document.querySelector('.st-key-' + k + ' .main-svg'));
  const ok = charts.every(c => c && c.getBoundingClientRect().height > 0 && opaque(c));
  let epoch = null;
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const value = m.querySelector('[data-testid="stMetricValue"]');
    if (m.innerText.startsWith('Epoch')) epoch = Number(value.innerText.replace(/,/g, ''));
  }
  return {epoch, ok};
}"""


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_variant(repo: Path, query: str, seconds: float, log: Path) -> dict:
    port = free_port()
    with open(log, "wb") as out:
        server = subprocess.Popen(streamlit_command(port), cwd=repo, env=server_env(),
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        with sync_playwright() as p:
            browser = launch_browser(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(90_000)
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    page.goto(base + "/")
                    break
                except Exception:  # noqa: BLE001 - the server is still starting
                    time.sleep(0.1)
            page.wait_for_timeout(2000)
            page.goto(base + "/playground?" + query)
            page.get_by_test_id("stMain").get_by_role("button", name="Train",
                                                      exact=True).click()
            page.wait_for_function(f"() => ({SAMPLE_JS})().epoch > 0", timeout=90_000)
            cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
            samples = []
            while time.monotonic() - t0 < seconds:
                samples.append(page.evaluate(SAMPLE_JS))
                page.wait_for_timeout(200)
            elapsed = time.monotonic() - t0
            cpu = cpu_seconds(server.pid) - cpu0
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    epochs = [s["epoch"] for s in samples if s["epoch"] is not None]
    changes = sum(1 for a, b in zip(epochs, epochs[1:], strict=False) if b != a)
    return {"server_cpu_per_s": cpu / elapsed,
            "epochs_per_s": (epochs[-1] - epochs[0]) / elapsed if len(epochs) > 1 else 0.0,
            "epoch_changes_per_s": changes / elapsed,
            "steady": sum(1 for s in samples if s["ok"]) / max(1, len(samples)),
            "samples": len(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default=REFERENCE, help="reference commit (default: %(default)s)")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    query = urlencode(config_to_params(PRESETS["spiral-depth"].config()))
    with tempfile.TemporaryDirectory(prefix="nnp-ref-", dir=ROOT.parent) as tmp:
        ref = Path(tmp) / "ref"
        subprocess.run(["git", "worktree", "add", "--detach", str(ref), args.ref], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            results: dict[str, list[dict]] = {"this tree": [], f"reference {args.ref}": []}
            repos = {"this tree": ROOT, f"reference {args.ref}": ref}
            load_before = os.getloadavg()[0]
            for rep in range(args.reps):
                order = list(repos) if rep % 2 == 0 else list(reversed(repos))
                for name in order:
                    log = Path(tmp) / f"server-{rep}-{name.split()[0]}.log"
                    results[name].append(run_variant(repos[name], query, args.seconds, log))
            load_after = os.getloadavg()[0]
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(ref)], cwd=ROOT,
                           capture_output=True)
    print(f"load average (1 min) before {load_before:.2f}, after {load_after:.2f}; "
          f"{os.cpu_count()} cores; spiral-depth, {args.seconds:g} s x {args.reps} reps")
    for name, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "samples"}
        print(f"{name:<22} server CPU {med['server_cpu_per_s']:.2f} s/s · "
              f"{med['epochs_per_s']:.1f} epochs/s shown · "
              f"{med['epoch_changes_per_s']:.1f} counter updates/s · "
              f"steady samples {100 * med['steady']:.1f} %")


if __name__ == "__main__":
    main()
