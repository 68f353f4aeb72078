"""Write the model card of a shipped model from the model itself, evaluated on its held-out
test split (rebuilt from its own config: the split is fixed by the seed).

    PLAYGROUND_DATA_DIR=../shared/data python tools/model_card.py assets/mnist_cnn.safetensors \
        --title "MNIST CNN" --minutes 3.1 [--notes "…"]

Writes assets/<name>.md next to the weights and prints the metrics. Numbers in the card are
exactly what tests/core/test_shipped_models.py checks again.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import torch

from core.data import load_dataset
from core.data.images import IMAGE_SOURCES
from core.model_io import load_model


def evaluate(path: Path) -> tuple[dict, np.ndarray, list[str], object, dict]:
    built, meta = load_model(path)
    data = load_dataset(meta["config"].dataset)
    with torch.no_grad():
        pred = torch.cat([built.head.predicted_class(built.model(data.x_test[i:i + 1000]))
                          for i in range(0, len(data.x_test), 1000)])
    k = len(data.class_names)
    confusion = torch.bincount(data.y_test * k + pred, minlength=k * k).view(k, k).numpy()
    return meta, confusion, data.class_names, built, {
        "train": len(data.x_train), "val": len(data.x_val), "test": len(data.x_test)}


def card(path: Path, title: str, minutes: float | None, notes: str) -> str:
    meta, confusion, names, built, sizes = evaluate(path)
    config = meta["config"]
    recall = np.diag(confusion) / confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    precision = np.divide(np.diag(confusion), predicted, out=np.full(len(names), np.nan),
                          where=predicted > 0)
    accuracy = float(np.trace(confusion) / confusion.sum())
    source = IMAGE_SOURCES[config.dataset.name]
    shape = "×".join(map(str, meta["input_shape"]))
    trained = meta["extra"].get("trained_at", "")
    lines = [
        f"# {title}", "",
        "| Field | Value |", "| --- | --- |",
        f"| Input | {shape} ({'grey' if meta['input_shape'][0] == 1 else 'colour'}, "
        f"{config.dataset.normalization} normalisation) |",
        f"| Classes | {', '.join(names)} |",
        f"| Parameters | {built.total_params:,} |",
        f"| Data | {source.label}: {sizes['train']:,} training, {sizes['val']:,} validation, "
        f"{sizes['test']:,} test images (split seed {config.dataset.seed}) |",
        f"| Trained | {trained} on 2 CPU cores"
        + (f", {minutes:.1f} min" if minutes else "") + " |",
        f"| Reproduce | `python -m core train {path.with_suffix('.json').as_posix()} "
        f"--out {path.as_posix()}` |", "",
        "## Architecture", "", "```", built.summary_text(), "```", "",
        "## Held-out test split", "",
        "| Metric | Value |", "| --- | --- |",
        f"| Test accuracy | {accuracy:.4f} |",
        f"| Balanced accuracy | {float(np.mean(recall)):.4f} |", "",
        "| Class | Test images | Precision | Recall |", "| --- | --- | --- | --- |",
    ]
    for name, n, p, r in zip(names, confusion.sum(axis=1), precision, recall, strict=True):
        lines.append(f"| {name} | {int(n):,} | {p:.4f} | {r:.4f} |")
    lines += ["", "Confusion matrix (rows: true class, columns: predicted):", "", "```"]
    width = max(len(n) for n in names) + 2
    lines.append(" " * width + "".join(f"{n[:8]:>10}" for n in names))
    for name, row in zip(names, confusion, strict=True):
        lines.append(f"{name:<{width}}" + "".join(f"{int(v):>10}" for v in row))
    lines += ["```", "", "## Notes", "", notes.strip() or "—", ""]
    for name, r in zip(names, recall, strict=True):
        print(f"{name:>14}: recall {r:.4f}")
    print(f"test accuracy {accuracy:.4f}, balanced {float(np.mean(recall)):.4f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--title", required=True)
    parser.add_argument("--minutes", type=float)
    parser.add_argument("--notes", default="")
    args = parser.parse_args()
    text = card(args.model, args.title, args.minutes, args.notes)
    args.model.with_suffix(".md").write_text(text)
    print(f"wrote {args.model.with_suffix('.md')}")


if __name__ == "__main__":
    main()
