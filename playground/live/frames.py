"""Compact frames for the live view: plain JSON-able dicts, built from numbers, no Streamlit.

A *scene* is what stays fixed while one job trains (layer sizes and names, the data points,
the curve series); it is sent once, when the page mounts the live view. A *frame* is what
moves: heatmaps as 8-bit grids (base64), the shown weights as short float lists, counters,
and the curve points the browser does not have yet. The browser draws both on canvas
(`playground/live/live_view.js`), so nothing is re-mounted and nothing blanks.

Encoding of every diverging heatmap (boundary, neuron thumbnails): a byte b stands for
t = b / 127.5 - 1 in [-1, 1]; -1 is orange (negative / class 0), 0 white, +1 blue.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image

MAX_NODES_PER_LAYER = 12
"""Nodes drawn per layer; wider layers show their first ones and "+N more" (as the chart did)."""
THUMB_SIDE = 20
"""Neuron thumbnails sample the grid at 20x20 (edges included): smoothed into a 40-pixel node
they read as well as the full 50x50 grid and cost a sixth of the bytes, which keeps a 3x12
network's frame under 30 KB."""
WEIGHT_DECIMALS = 4


# ----------------------------------------------------------------------------- encoding
def b64_bytes(values: np.ndarray) -> str:
    """uint8 array → base64 text (row-major)."""
    return base64.b64encode(np.ascontiguousarray(values, dtype=np.uint8).tobytes()).decode()


def signed_bytes(values: Any, scale: float = 1.0) -> np.ndarray:
    """Values in [-scale, scale] → bytes 0…255 (see the module docstring); NaN → white."""
    v = np.asarray(values, dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(v / np.float32(scale if scale > 0 and math.isfinite(scale) else 1.0), -1, 1)
    t = np.where(np.isfinite(t), t, 0.0)
    return np.rint((t + 1.0) * 127.5).astype(np.uint8)


def unit_bytes(values: Any) -> np.ndarray:
    """Values in [0, 1] (probabilities, confidences) → bytes 0…255; NaN → 0."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return np.rint(np.clip(v, 0.0, 1.0) * 255.0).astype(np.uint8)


def finite_or_none(value: Any) -> float | None:
    """JSON has no NaN or infinity: a diverged loss becomes a gap (None)."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def rounded(values: np.ndarray, decimals: int = WEIGHT_DECIMALS) -> list:
    """Floats for JSON: rounded (bytes matter at 10 frames a second), non-finite → 0."""
    a = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return np.round(a, decimals).tolist()


def png_data_uri(image: np.ndarray) -> str:
    """A small grey (h, w) or RGB (h, w, 3) image in [0, 1] as a PNG data URI."""
    pixels = np.rint(np.clip(np.nan_to_num(np.asarray(image, dtype=np.float32)), 0, 1) * 255)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def thumb_index(n: int, side: int = THUMB_SIDE) -> np.ndarray:
    """`side` evenly spaced indices into a grid axis of n points, both ends included."""
    return np.unique(np.rint(np.linspace(0, n - 1, min(side, n))).astype(np.intp))


def thumbnail(maps: np.ndarray) -> np.ndarray:
    """(..., ny, nx) → (..., side, side) by sampling (no averaging: a map's sharp edge stays)."""
    maps = np.asarray(maps)
    iy, ix = thumb_index(maps.shape[-2]), thumb_index(maps.shape[-1])
    return maps[..., iy, :][..., ix]


# ----------------------------------------------------------------------------- curves
def curve_rows(history: Sequence[Mapping[str, Any]], keys: Sequence[str], start: int,
               x_key: str = "epoch") -> list[list[float | None]]:
    """History rows from index `start` on, each [x, value per key] (None where missing):
    the browser appends them to what it has, so a frame carries new points only."""
    return [[finite_or_none(row.get(x_key, i + start)),
             *(finite_or_none(row.get(k)) for k in keys)]
            for i, row in enumerate(history[start:])]


def metrics_of(last: Mapping[str, Any], keys: Sequence[str]) -> dict[str, float | None]:
    return {k: finite_or_none(last.get(k)) for k in keys}


# ----------------------------------------------------------------------------- playground
def shown_counts(sizes: Sequence[int], limit: int = MAX_NODES_PER_LAYER) -> list[int]:
    return [min(int(n), limit) for n in sizes]


def node_thumbnails(neurons: Sequence[np.ndarray], output_maps: Sequence[np.ndarray],
                    shown: Sequence[int]) -> list[list[str]]:
    """Per hidden/output layer, base64 thumbnails of its shown nodes.

    Hidden neurons are scaled by their layer's own max |value| when that exceeds 1 (ReLU can
    grow without bound; tanh and sigmoid stay as they are), output maps come ready in [-1, 1].
    """
    layers: list[list[str]] = []
    for i, layer in enumerate(neurons):
        part = thumbnail(np.asarray(layer)[: shown[i + 1]])
        scale = np.maximum(1.0, np.abs(np.nan_to_num(part)).reshape(len(part), -1).max(axis=1))
        layers.append([b64_bytes(signed_bytes(node / sc)) for node, sc in zip(part, scale,
                                                                               strict=True)])
    layers.append([b64_bytes(signed_bytes(thumbnail(m))) for m in output_maps[: shown[-1]]])
    return layers


def input_thumbnails(inputs: np.ndarray, shown: int) -> list[str]:
    """The input features over the plane, each scaled by its own max |value| (fixed per job)."""
    out = []
    for feature in thumbnail(np.asarray(inputs)[:shown]):
        scale = float(np.abs(feature).max()) or 1.0
        out.append(b64_bytes(signed_bytes(feature, scale)))
    return out


def output_maps(task: str, output: np.ndarray, value_bound: float) -> list[np.ndarray]:
    """What each output node shows, in [-1, 1]: binary 2p-1, regression value/bound,
    multiclass one map per class (2p-1)."""
    if task == "binary":
        return [2.0 * output - 1.0]
    if task == "regression":
        return [output / max(value_bound, 1e-9)]
    return [2.0 * output[..., k] - 1.0 for k in range(output.shape[-1])]


def boundary_grid(task: str, output: np.ndarray, value_bound: float) -> dict[str, str]:
    """The big heatmap. binary / regression: one signed grid; multiclass: the winning class
    per pixel and how sure it is (the browser blends that class's colour with white)."""
    if task == "multiclass":
        return {"cls": b64_bytes(np.argmax(output, axis=-1).astype(np.uint8)),
                "conf": b64_bytes(unit_bytes(np.max(output, axis=-1)))}
    (mapped,) = output_maps(task, output, value_bound)
    return {"val": b64_bytes(signed_bytes(mapped))}


def link_weights(weights: Sequence[np.ndarray], shown: Sequence[int]) -> list[list]:
    """Per layer the shown (to, from) block of the weight matrix, as nested float lists."""
    return [rounded(np.asarray(w)[: shown[i + 1], : shown[i]]) for i, w in enumerate(weights)]


def playground_frame(*, task: str, output: np.ndarray, neurons: Sequence[np.ndarray],
                     weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                     sizes: Sequence[int], value_bound: float = 1.0) -> dict[str, Any]:
    """The moving part of the Playground's view for one copy of the weights.

    `sizes`: nodes per layer, input to output; `weights[i]` is (sizes[i+1], sizes[i]);
    `neurons[i]`: hidden layer i's outputs over the grid (units, ny, nx); 1-D data (a curve)
    has no plane, so only the output and the weights are sent.
    """
    shown = shown_counts(sizes)
    frame: dict[str, Any] = {
        "weights": link_weights(weights, shown),
        "biases": [rounded(np.asarray(b)[: shown[i + 1]]) for i, b in enumerate(biases)],
    }
    if np.ndim(output) == 1:  # a 1-D regression curve
        frame["curve"] = rounded(output)
        return frame
    frame["boundary"] = boundary_grid(task, output, value_bound)
    frame["nodes"] = node_thumbnails(neurons, output_maps(task, output, value_bound), shown)
    return frame


def node_titles(layer_titles: Sequence[str], sizes: Sequence[int], input_names: Sequence[str],
                output_names: Sequence[str]) -> list[list[str]]:
    """Hover names of the shown nodes: x1, x2² …; h1.1 … (layer.neuron); output classes."""
    shown = shown_counts(sizes)
    names = [list(input_names)[: shown[0]]]
    for i in range(1, len(sizes) - 1):
        names.append([f"h{i}.{j + 1}" for j in range(shown[i])])
    names.append(list(output_names)[: shown[-1]])
    return names


def playground_scene(*, task: str, sizes: Sequence[int], layer_titles: Sequence[str],
                     activations: Sequence[str], input_names: Sequence[str],
                     output_names: Sequence[str], class_names: Sequence[str],
                     train_xy: np.ndarray, train_y: np.ndarray, test_xy: np.ndarray,
                     test_y: np.ndarray, inputs: np.ndarray | None, grid_xs: np.ndarray,
                     value_bound: float, show_test: bool, discretize: bool,
                     colors: Sequence[str]) -> dict[str, Any]:
    """The fixed part: the diagram's shape and names, the data points, the input nodes."""
    shown = shown_counts(sizes)
    one_d = np.ndim(train_xy) == 1 or np.shape(train_xy)[1] == 1
    scene: dict[str, Any] = {
        "kind": "playground",
        "task": task,
        "sizes": [int(n) for n in sizes],
        "shown": shown,
        "titles": list(layer_titles),
        "activations": list(activations),
        "names": node_titles(layer_titles, sizes, input_names, output_names),
        "classes": list(class_names),
        "colors": list(colors),
        "domain": [float(grid_xs[0]), float(grid_xs[-1])],
        "grid": len(grid_xs),
        "thumb": len(thumb_index(len(grid_xs))),
        "value_bound": float(value_bound),
        "show_test": bool(show_test),
        "discretize": bool(discretize),
        "one_d": bool(one_d),
        "train": _points(train_xy, train_y, task, value_bound),
        "test": _points(test_xy, test_y, task, value_bound),
    }
    if one_d:
        scene["curve_x"] = rounded(grid_xs)
    elif inputs is not None:
        scene["inputs"] = input_thumbnails(inputs, shown[0])
    return scene


def _points(xy: np.ndarray, y: np.ndarray, task: str, value_bound: float) -> dict[str, list]:
    """Data points: coordinates rounded to 3 decimals; class index, or value/bound in [-1, 1]."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim == 1:
        xy = xy[:, None]
    y = np.asarray(y, dtype=np.float64).reshape(len(xy), -1)[:, 0]
    out = {"x": rounded(xy[:, 0], 3)}
    if xy.shape[1] > 1:
        out["y"] = rounded(xy[:, 1], 3)
    if task == "regression":
        out["v"] = rounded(y / max(value_bound, 1e-9), 3)
        out["t"] = rounded(y, 3)
    else:
        out["c"] = np.asarray(y, dtype=np.int64).tolist()
    return out
