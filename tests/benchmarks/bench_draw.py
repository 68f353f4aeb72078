"""Benchmark the Draw a digit page's reading of a drawing against its 150 ms target.

    python tests/benchmarks/bench_draw.py [--repeats N] [--threads T]

What one stroke costs between the canvas sending its picture and the answer, measured on the
page's own code path for a 280×280 canvas: (1) decoding the component's PNG data URL into an
RGBA array (what `CanvasResult.image_data` does), (2) `core.pictures.preprocess.prepare_digit`, (3)
the
model input and one forward pass (`playground.digits.draw_views.Reader.probabilities`, here through
`core.pictures.digits`), for the shipped CNN and MLP, and for three drawings: a regular 7 (brush
22), a
thin-stroke 7 (brush 3, which takes the thickening path) and a small off-centre 4. For context,
also the "Look inside" extras the page computes afterwards (saliency, Grad-CAM, feature maps).

Torch runs with 1 thread by default: what the app gives the UI's work on a 2-core machine
(`core.threads` reserves a core). Every number is the median (and 90th percentile) of
`--repeats` interleaved repetitions, in wall time and in thread CPU time (steadier when other
processes share the cores). Prints a table with each total as a ratio to the target and writes
tests/artifacts/bench_draw.json (bench_draw_threadsT.json for other thread counts).
"""

# ruff: noqa: E402  (the repository root goes on sys.path before the project imports)
from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import torch
from PIL import Image, ImageDraw

from core.inspection import feature_maps, grad_cam, saliency
from core.pictures.digits import load_digit_model
from core.pictures.preprocess import prepare_digit

TARGET_MS = 150.0
ARTIFACT = ROOT / "tests" / "artifacts" / "bench_draw.json"

DRAWINGS = {
    "seven, brush 22": ([[(70, 50), (210, 50), (120, 240)]], 22),
    "thin seven, brush 3": ([[(70, 50), (210, 50), (120, 240)]], 3),
    "small 4 in a corner": ([[(60, 20), (25, 60), (70, 60)], [(60, 20), (60, 85)]], 8),
}


def canvas_data_url(strokes, width: int) -> str:
    """What the component sends: a PNG data URL of the opaque 280×280 RGBA canvas."""
    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    d = ImageDraw.Draw(im)
    for pts in strokes:
        d.line(pts, fill=(255, 255, 255, 255), width=width, joint="curve")
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def decode(url: str) -> np.ndarray:
    """streamlit_drawable_canvas.CanvasResult.image_data, verbatim."""
    _, encoded = url.split(";base64,", 1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))))


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.thread_time()
    out = fn()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000, out


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": statistics.median(ordered),
            "p90": ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    models = {name: load_digit_model(name) for name in ("mnist_cnn", "mnist_mlp")}
    urls = {name: canvas_data_url(*spec) for name, spec in DRAWINGS.items()}
    for m in models.values():  # torch's first call sets up its kernels: not part of a stroke
        m.probabilities(np.zeros((28, 28), np.float32))

    stages = ("decode", "preprocess", "inference", "total")
    samples: dict[tuple[str, str], dict[str, list[float]]] = {
        (d, m): {f"{s}_{k}": [] for s in stages for k in ("wall", "cpu")}
        for d in DRAWINGS for m in models}
    extras: dict[str, list[float]] = {"saliency": [], "grad_cam": [], "feature_maps": []}
    answers: dict[tuple[str, str], int] = {}
    for rep in range(args.repeats):
        order = [(d, m) for d in DRAWINGS for m in models]
        shift = rep % len(order)
        for d, m in order[shift:] + order[:shift]:
            model = models[m]
            s = samples[(d, m)]
            w1, c1, rgba = timed(lambda d=d: decode(urls[d]))
            w2, c2, prepared = timed(lambda rgba=rgba: prepare_digit(rgba))
            w3, c3, probs = timed(lambda m=model, p=prepared: m.probabilities(p.image))
            for stage, (w, c) in zip(stages, ((w1, c1), (w2, c2), (w3, c3),
                                              (w1 + w2 + w3, c1 + c2 + c3)), strict=True):
                s[f"{stage}_wall"].append(w)
                s[f"{stage}_cpu"].append(c)
            answers[(d, m)] = int(np.argmax(probs))
        if rep < max(20, args.repeats // 5):
            net = models["mnist_cnn"].model
            x = models["mnist_cnn"].input(prepare_digit(decode(urls["seven, brush 22"])).image)[0]
            extras["saliency"].append(timed(lambda x=x, n=net: saliency(n, x, 7))[0])
            extras["grad_cam"].append(timed(lambda x=x, n=net: grad_cam(n, x, 7))[0])
            extras["feature_maps"].append(timed(lambda x=x, n=net: feature_maps(n, x))[0])

    rows = []
    print(f"Draw a digit: canvas picture → answer, 280×280, {args.repeats} repeats, torch "
          f"threads {args.threads}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'drawing':<22} {'model':<10} {'decode':>8} {'prep':>8} {'infer':>8} "
          f"{'total':>8} {'p90':>8} {'cpu':>8} {'÷150 ms':>8}  answer")
    for (d, m), s in samples.items():
        row = {"drawing": d, "model": m, "answer": answers[(d, m)]}
        for key, values in s.items():
            row[key] = summary(values)
        row["ratio_to_target"] = row["total_wall"]["median"] / TARGET_MS
        rows.append(row)
        print(f"{d:<22} {m:<10} {row['decode_wall']['median']:8.2f} "
              f"{row['preprocess_wall']['median']:8.2f} {row['inference_wall']['median']:8.2f} "
              f"{row['total_wall']['median']:8.2f} {row['total_wall']['p90']:8.2f} "
              f"{row['total_cpu']['median']:8.2f} {row['ratio_to_target']:8.3f}  "
              f"{answers[(d, m)]}")
    extra = {k: summary(v) for k, v in extras.items()}
    print("Look inside (CNN, ms, median): " + ", ".join(
        f"{k} {v['median']:.2f}" for k, v in extra.items()))
    worst = max(r["total_wall"]["median"] for r in rows)
    print(f"Worst median total {worst:.1f} ms = {worst / TARGET_MS:.3f} × the {TARGET_MS:.0f} ms "
          "target")

    artifact = ARTIFACT if args.threads == 1 else ARTIFACT.with_stem(
        f"{ARTIFACT.stem}_threads{args.threads}")
    artifact.parent.mkdir(parents=True, exist_ok=True)
    artifact.write_text(json.dumps({
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "load_average": os.getloadavg(),
                    "python": platform.python_version(), "torch": torch.__version__},
        "threads": args.threads, "repeats": args.repeats, "target_ms": TARGET_MS,
        "rows": rows, "look_inside_ms": extra}, indent=1))
    print(f"wrote {artifact.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
