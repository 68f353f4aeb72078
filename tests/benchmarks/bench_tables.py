"""Measure what the CSV limits cost, so the limits on the page are measured, not guessed.

    python tests/benchmarks/bench_tables.py

(1) Reading a table at the row limit (20,000 rows × 6 columns) and at the byte limit
(20,000 rows × 150 columns, ~20 MB) with `core.data.tables` (parse, check every cell, split,
scale) against NumPy's `np.loadtxt` on the same file (the reference: a plain numeric parse
with no per-cell messages), as a ratio. (2) The Playground's boundary chart with 20,000 points
against the default 500 (its JSON size and build time), the cost the row limit bounds.
(3) Refusing a 10-million-row file (stops at row 20,001) and a 2 GB file (by its size).
Prints one JSON object; the load average is part of it.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before the project imports)
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from core.config import RunConfig
from core.data import load_dataset
from core.data.tables import MAX_ROWS, TableRefused, read_table_bytes


def table(rows: int, cols: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (rows, cols - 1))
    labels = (x[:, 0] + x[:, 1] > 0).astype(int)
    header = ",".join(f"c{j}" for j in range(cols - 1)) + ",label\n"
    lines = [",".join(f"{v:.3f}" for v in row) + f",{lab}" for row, lab in zip(x, labels,
                                                                              strict=True)]
    return (header + "\n".join(lines) + "\n").encode()


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    out = {"load_average": os.getloadavg()}
    folder = Path(tempfile.mkdtemp())
    for name, rows, cols in (("row_limit", MAX_ROWS, 6), ("byte_limit", MAX_ROWS, 150)):
        data = table(rows, cols)
        path = folder / f"{name}.csv"
        path.write_bytes(data)
        config = RunConfig.from_dict({"dataset": {"name": "csv", "path": str(path),
                                                  "columns": ["c0", "c1"]},
                                      "training": {"loss": "bce"}})

        def ours(path=path, config=config):
            from core.data import tables

            tables._read_cached.cache_clear()
            load_dataset(config.dataset)

        ours_s = best_of(ours)
        ref_s = best_of(lambda path=path: np.loadtxt(path, delimiter=",", skiprows=1))
        out[name] = {"bytes": len(data), "rows": rows, "columns": cols, "ours_s": ours_s,
                     "loadtxt_s": ref_s, "ratio": ours_s / ref_s}
    from playground.charts.boundary import decision_boundary_figure

    xs = np.linspace(-6, 6, 50)
    values = np.full((50, 50), 0.5)
    for n in (500, MAX_ROWS):
        rng = np.random.default_rng(0)
        pts, labels = rng.normal(0, 1, (n, 2)), rng.integers(0, 2, n)

        def build(pts=pts, labels=labels):
            return decision_boundary_figure(xs, xs, values, task="binary", train_x=pts,
                                            train_y=labels).to_json()
        out[f"chart_{n}_points"] = {"json_bytes": len(build()), "build_s": best_of(build)}
    start = time.perf_counter()
    try:
        read_table_bytes(b"a,b,c\n" + b"1,2,x\n" * 10_000_000)
    except TableRefused:
        out["refuse_10M_rows_s"] = time.perf_counter() - start
    big = folder / "big.csv"
    with open(big, "wb") as f:
        f.write(b"a,b,c\n")
        f.seek(2_000_000_000)
        f.write(b"\n")
    start = time.perf_counter()
    try:
        load_dataset(RunConfig.from_dict({"dataset": {"name": "csv", "path": str(big)},
                                          "training": {"loss": "bce"}}).dataset)
    except TableRefused:
        out["refuse_2GB_s"] = time.perf_counter() - start
    big.unlink()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
