"""Write the model card of a shipped model from the model itself, evaluated on its held-out
test split (rebuilt from its own config: the split is fixed by the seed).

    PLAYGROUND_DATA_DIR=../shared/data python tools/model_card.py assets/mnist_cnn.safetensors \
        --title "MNIST CNN" --minutes 3.1 [--notes "…"]

Writes assets/<name>.md next to the weights and prints the metrics. Numbers in the card are
exactly what tests/core/test_shipped_models.py checks again.

A galaxy model is measured through the page's own GalaxyModel (crop, test-time views,
calibration). With `--calibrate [--views N]` its temperature is first fitted on the validation
split and stored in the model file with the unsure threshold; the card then adds the
survey-shift test (core.galaxies.galaxy_shift), the calibration and a reliability diagram
(assets/<name>_reliability.svg), and the scores are written into the file's metrics, which the
page's line reads.
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
from core.galaxies import galaxy_eval
from core.galaxies.calibration import Reliability
from core.galaxies.galaxy import is_galaxy_source, load_galaxy_model
from core.galaxies.galaxy_shift import TRANSFORMS
from core.models.model_io import load_model, read_metadata, update_metadata


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


def table_row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def reliability_svg(rel: Reliability, title: str) -> str:
    """A reliability diagram: accuracy against confidence per bin (bars), the diagonal of a
    perfectly calibrated model, and each bin's count."""
    w, h, pad = 360, 300, 40
    x0, y0, span = pad, h - pad, w - 2 * pad
    lo = float(rel.edges[0])

    def px(v: float) -> float:
        return x0 + (v - lo) / (1 - lo) * span

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'font-family="sans-serif" font-size="10">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="16" text-anchor="middle" font-size="12">{title}</text>']
    for a, b, n, acc, conf in zip(rel.edges[:-1], rel.edges[1:], rel.counts, rel.accuracy,
                                  rel.confidence, strict=True):
        if n == 0:
            continue
        top = y0 - acc * (y0 - 30)
        parts.append(f'<rect x="{px(a) + 1:.1f}" y="{top:.1f}" width="{px(b) - px(a) - 2:.1f}" '
                     f'height="{y0 - top:.1f}" fill="#4c78a8"/>')
        parts.append(f'<circle cx="{px(conf):.1f}" cy="{y0 - conf * (y0 - 30):.1f}" r="2.5" '
                     'fill="#e45756"/>')
        parts.append(f'<text x="{(px(a) + px(b)) / 2:.1f}" y="{top - 3:.1f}" '
                     f'text-anchor="middle">{int(n)}</text>')
    parts += [f'<line x1="{px(lo)}" y1="{y0 - lo * (y0 - 30):.1f}" x2="{px(1)}" y2="30" '
              'stroke="#888" stroke-dasharray="4 3"/>',
              f'<line x1="{x0}" y1="{y0}" x2="{x0 + span}" y2="{y0}" stroke="black"/>',
              f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="30" stroke="black"/>',
              f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle">confidence of the call '
              '(red dot: mean in the bin)</text>',
              f'<text x="12" y="{h / 2}" transform="rotate(-90 12 {h / 2})" '
              'text-anchor="middle">share of calls right (bar; count above)</text>']
    for v in (lo, 0.5, 0.75, 1.0):
        parts.append(f'<text x="{px(v):.1f}" y="{y0 + 12}" text-anchor="middle">{v:.2f}</text>')
    for v in (0.0, 0.5, 1.0):
        parts.append(f'<text x="{x0 - 4}" y="{y0 - v * (y0 - 30) + 3:.1f}" '
                     f'text-anchor="end">{v:.1f}</text>')
    return "\n".join([*parts, "</svg>", ""])


def galaxy_sections(path: Path, calibrate: bool, views: int | None
                    ) -> tuple[np.ndarray, list[str]]:
    """Measure a galaxy model through the page's GalaxyModel; (test confusion, card lines)."""
    model = load_galaxy_model(str(path))
    record = None
    if calibrate:
        record = galaxy_eval.calibrate(model, views)
    report = galaxy_eval.evaluate(model)
    names = report.class_names
    test, pooled = report.test, report.shift_pooled
    uncalibrated = galaxy_eval.Split(test.labels, test.probabilities)
    if record is not None:
        model.temperature = 1.0
        uncalibrated = galaxy_eval.Split(test.labels, model.probabilities(
            galaxy_eval.test_frames(model.config.dataset)[0]))
        model.temperature = record["temperature"]
        update_metadata(path, extra={"calibration": record}, metrics={
            "test_confusion": test.confusion().tolist(),
            "test_accuracy": float(np.mean(test.predicted == test.labels)),
            "test_balanced_accuracy": float(np.mean(test.recalls())),
            "test_ece": round(test.ece, 4),
            "shift_confusion": pooled.confusion().tolist(),
            "shift_balanced_accuracy": float(np.mean(pooled.recalls())),
            "shift_ece": round(pooled.ece, 4),
            "unreliable": report.unreliable()})
    calibration = record or read_metadata(path)["extra"].get("calibration")
    n_test = len(test.labels)
    counts = np.bincount(test.labels, minlength=len(names))
    lines = ["## Survey-shift test", "",
             f"The same {n_test:,} held-out test galaxies redrawn {len(TRANSFORMS)} ways as other "
             "surveys and cameras show them (`core/galaxies/galaxy_shift.py` documents each "
             f"transform and the survey facts it follows): {len(pooled.labels):,} pictures, never "
             "trained on. "
             "Recall per class, through the page's model (crop, "
             f"{_views_text(model.views)} averaged, calibrated):",
             "",
             table_row(["Class", "Test images", "Survey-shift images", "Recall, test split",
                        "Recall, survey shift"]),
             "| --- | --- | --- | --- | --- |"]
    for c, name in enumerate(names):
        lines.append(table_row([f"{name} (survey shift)", f"{int(counts[c]):,}",
                                f"{int(counts[c]) * len(TRANSFORMS):,}",
                                f"{test.recalls()[c]:.4f}", f"{pooled.recalls()[c]:.4f}"]))
    lines.append(table_row(["Balanced accuracy (survey shift)", f"{n_test:,}",
                            f"{len(pooled.labels):,}", f"{np.mean(test.recalls()):.4f}",
                            f"{np.mean(pooled.recalls()):.4f}"]))
    lines += ["", "Recall per transform:", "",
              table_row(["Transform", *names, "balanced"]),
              "| --- |" + " --- |" * (len(names) + 1)]
    for name, split in report.shift.items():
        r = split.recalls()
        lines.append(table_row([f"`{name}`", *(f"{v:.3f}" for v in r), f"{np.mean(r):.3f}"]))
    rel = test.reliability()
    svg_path = path.with_name(f"{path.stem}_reliability.svg")
    svg_path.write_text(reliability_svg(rel, f"Reliability on the test split ({n_test:,} "
                                              f"galaxies), ECE {rel.ece:.3f}"))
    lines += ["", "## Calibration", ""]
    if calibration:
        lines += [
            f"Temperature scaling (Guo et al. 2017) fitted on the {calibration['fitted_on']}: "
            f"the averaged logits are divided by T = {calibration['temperature']:.3f} before the "
            "softmax; the ranking of classes, and so every call, is unchanged. Expected "
            "calibration error (ECE, 10 equal-width confidence bins, count-weighted "
            "|accuracy − confidence|):", "",
            table_row(["Calibration", "Value"]), "| --- | --- |",
            table_row(["Temperature", f"{calibration['temperature']:.4f}"]),
            table_row(["Test-time views", f"{model.views}"]),
            table_row(["ECE, test split, before", f"{uncalibrated.ece:.4f}"]),
            table_row(["ECE, test split", f"{test.ece:.4f}"]),
            table_row(["ECE, survey shift", f"{pooled.ece:.4f}"]),
            table_row(["Unsure below", f"{calibration['unsure_below']:.2f}"])]
        sure = test.probabilities.max(axis=1) >= calibration["unsure_below"]
        right = test.predicted == test.labels
        lines += ["", f"**Unsure.** Below a calibrated confidence of "
                  f"{calibration['unsure_below']:.2f} the page says *unsure* and names the "
                  f"runner-up: the lowest threshold from which the validation calls are right at "
                  f"least {galaxy_eval.UNSURE_TARGET:.0%} of the time. On the test split "
                  f"{int((~sure).sum())} of {n_test:,} galaxies ({(~sure).mean():.0%}) are "
                  f"unsure; the sure calls are right {right[sure].mean():.1%} of the time, the "
                  f"unsure ones {right[~sure].mean():.1%}."]
    lines += ["", f"![Reliability diagram]({svg_path.name})", "",
              "Reliability on the test split (bins of the top-class confidence):", "",
              table_row(["Confidence bin", "Galaxies", "Mean confidence", "Share right"]),
              "| --- | --- | --- | --- |"]
    for a, b, n, conf, acc in zip(rel.edges[:-1], rel.edges[1:], rel.counts, rel.confidence,
                                  rel.accuracy, strict=True):
        if n:
            lines.append(table_row([f"{a:.2f}–{b:.2f}", int(n), f"{conf:.3f}", f"{acc:.3f}"]))
    unreliable = report.unreliable()
    if unreliable:
        lines += ["", f"**Unreliable calls:** {', '.join(unreliable)} — recall under "
                  f"{galaxy_eval.RELIABLE_RECALL:.0%} on the test split or the survey-shift test, "
                  f"or under {galaxy_eval.RELIABLE_PRECISION:.0%} of its calls right on the test "
                  "split; the page says so above its results and next to every such call."]
    return test.confusion(), lines


def _views_text(views: int) -> str:
    if views == 8:
        return "8 rotated and mirrored views"
    return f"{views} rotated view{'s' if views > 1 else ''}"


def card(path: Path, title: str, minutes: float | None, notes: str, calibrate: bool = False,
         views: int | None = None) -> str:
    meta, confusion, names, built, sizes = evaluate(path)
    extra_lines: list[str] = []
    if is_galaxy_source(meta["config"].dataset.name):
        confusion, extra_lines = galaxy_sections(path, calibrate, views)
        meta = load_model(path)[1]
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
    lines += ["```", "", *extra_lines, "", "## Notes", "", notes.strip() or "—", ""]
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
    parser.add_argument("--notes-file", type=Path, help="read the notes from this file")
    parser.add_argument("--calibrate", action="store_true",
                        help="galaxy models: fit the temperature on the validation split first")
    parser.add_argument("--views", type=int, choices=(1, 2, 4, 8),
                        help="galaxy models: rotated (8: and mirrored) views averaged at test "
                             "time")
    args = parser.parse_args()
    notes = args.notes_file.read_text() if args.notes_file else args.notes
    text = card(args.model, args.title, args.minutes, notes, args.calibrate, args.views)
    args.model.with_suffix(".md").write_text(text)
    print(f"wrote {args.model.with_suffix('.md')}")


if __name__ == "__main__":
    main()
