"""Headless command line over the same config and job the pages use.

    python -m core train CONFIG.json [--out MODEL.safetensors] [--epochs N] [--progress]
                                     [--init-from PRETRAINED.safetensors]
    python -m core lr-find CONFIG.json [--steps N] [--start-lr A] [--end-lr B]
    python -m core predict-digit IMAGE... [--model NAME]
    python -m core predict-galaxy FILE... [--model NAME] [--framing auto|galaxy_zoo|full|manual]
    python -m core export MODEL.safetensors [--onnx OUT.onnx] [--script TRAIN.py] [--data PATH]

Prints one JSON object per line: an `epoch` line per epoch, then an `end` line with the outcome
(finished, early_stopped, diverged, stopped) and the saved model's path. A bad config prints the
same plain sentence the page shows, to stderr, and exits with status 2.

`lr-find` runs the learning-rate range test (core.labs.landscape.lr_range_test) on the config's
network and data: one {"lr", "loss", "smoothed"} line per step, then a final line with the
suggested rate.

`predict-digit` reads each image the way the "Draw a digit" page reads a drawing (crop, scale to
20 px, centre by mass in 28×28) and prints one JSON line per file: `file`, `digit`,
`probabilities` (ten, for 0-9), or `file` and `error` (a plain sentence) when the file cannot be
read or holds no digit. NAME: mnist_cnn (default), mnist_mlp, or a .safetensors path. Exit
status: 0 when at least one file got a digit, 1 when none did, 2 when the model is missing or is
not a digit classifier.

`predict-galaxy` prepares each picture (JPEG, PNG, TIFF, GIF or FITS) the way the "Classify
galaxies" page does — stretch raw data, auto-frame the central galaxy like the training
cut-outs, resize — and prints one JSON line per file: `file`, `class`, `confidence`,
`probabilities` keyed by class name, or `file` and `error`. NAME: galaxy_cnn (default) or a
.safetensors path. Exit status as for predict-digit.

`export` writes a model this playground saved as ONNX (outputs `logits` and `prediction`) and/or
as a standalone PyTorch training script (core.export): one JSON line per file written. Exit
status 2 when the model file is refused or the export is impossible.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

# The project's modules (and with them torch) are imported inside each command, not here:
# `python -m core --help` and a refused argument answer in 0.2 s instead of several seconds.

EXIT_NO_RESULT = 1
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3


def _line(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def _fail(message: str) -> int:
    _line({"event": "error", "message": message})
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _read_text(path: Path) -> str | int:
    """The file's text, or the CLI's exit status after saying why it cannot be read (only a
    regular file of config size is read: never /dev/zero behind a link, never a pipe)."""
    from core.config import MAX_CONFIG_BYTES
    from core.safe_files import UnreadableFile, read_regular_file

    try:
        return read_regular_file(path, MAX_CONFIG_BYTES).decode("utf-8")
    except UnreadableFile as exc:
        return _fail(f"cannot read {path}: {exc}")
    except UnicodeDecodeError:
        return _fail(f"cannot read {path}: it is not a UTF-8 text file (a run config is JSON "
                     "text)")


def train(args: argparse.Namespace) -> int:
    from core.config import RunConfig
    from core.errors import ConfigError
    from core.models.assets import normalization_extra
    from core.models.model_io import save_model
    from core.threads import BUDGET
    from core.train import Job

    path = Path(args.config)
    text = _read_text(path)
    if isinstance(text, int):
        return text
    try:
        config = RunConfig.from_json(text)
        if args.epochs is not None:
            config.training.epochs = args.epochs
            config.validate()
        BUDGET.configure(reserve=0)
        warm = None
        if args.init_from:
            from safetensors.torch import load_file

            from core.models.model_io import read_metadata

            read_metadata(args.init_from)  # a model this playground saved, or a plain refusal
            warm = load_file(args.init_from)
        job = Job(config, warm_start=warm)
        if warm is not None and not job.warm_started:
            return _fail(f"{args.init_from} shares no layer with this config's network")
    except ConfigError as exc:
        return _fail(str(exc))

    _line({"event": "start", "config": str(path), "parameters": job.built.total_params,
           "device": str(job.device), "train_samples": len(job.dataset.x_train),
           "test_samples": len(job.dataset.x_test)})
    seq = 0
    job.start()
    try:
        while True:
            finished = job.join(timeout=0.1)
            for event in job.poll(seq):
                seq = event["seq"]
                kind = event.pop("type")
                event.pop("seq")
                if kind == "epoch" or (kind == "progress" and args.progress):
                    _line({"event": kind, **event})
            if finished:
                break
    except KeyboardInterrupt:
        job.stop(wait=True)
        for event in job.poll(seq):
            if event["type"] == "epoch":
                _line({"event": "epoch", **{k: v for k, v in event.items()
                                            if k not in ("type", "seq")}})

    if job.state == "error":  # a failed run leaves no model file that looks like a result
        _line({"event": "end", **(job.outcome or {}), "model": None})
        return 1
    out = Path(args.out) if args.out else Path("runs") / f"{path.stem}.safetensors"
    # the metrics of the epoch whose weights are saved (the best one, when it was restored)
    restored = job.state == "early_stopped" or (job.state == "finished"
                                                and job.monitor == "val")
    kept = job.best_epoch if restored and job.best_epoch else len(job.history)
    last = dict(job.history[kept - 1]) if job.history else {}
    final: dict[str, Any] = {}
    if job.monitor == "val" and job.state != "error":
        final = job.test_metrics()  # the held-out test set, measured once at the end
        last.update(final)
    save_model(out, job.model, job.config, class_names=job.dataset.class_names,
               input_shape=tuple(job.dataset.input_shape), task=job.dataset.task,
               metrics={k: v for k, v in last.items() if k != "lr"},
               extra={"trained_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                      "outcome": job.outcome, **normalization_extra(job.dataset),
                      **({"init_from": Path(args.init_from).name} if args.init_from else {})})
    _line({"event": "end", **(job.outcome or {}), **final, "model": str(out)})
    return EXIT_DIVERGED if job.state == "diverged" else (1 if job.state == "error" else 0)


def lr_find(args: argparse.Namespace) -> int:
    from core.config import RunConfig
    from core.errors import ConfigError
    from core.labs.landscape import lr_range_test
    from core.threads import BUDGET

    path = Path(args.config)
    text = _read_text(path)
    if isinstance(text, int):
        return text
    try:
        config = RunConfig.from_json(text)
        BUDGET.configure(reserve=0)
        result = lr_range_test(config, start_lr=args.start_lr, end_lr=args.end_lr,
                               steps=args.steps, on_step=_line)
    except ConfigError as exc:
        return _fail(str(exc))
    _line({"event": "end", "suggested_lr": result.suggestion, "best_lr": result.best_lr,
           "stopped": result.stopped, "message": result.message, "steps": len(result.lrs)})
    return 0


def predict_digit(args: argparse.Namespace) -> int:
    from core.errors import ConfigError
    from core.models.assets import ModelMissing
    from core.pictures.digits import load_digit_model
    from core.pictures.preprocess import ImageRefused, load_image, prepare_digit
    from core.threads import BUDGET

    BUDGET.configure(reserve=0)
    try:
        digits = load_digit_model(args.model)
    except (ModelMissing, ConfigError) as exc:
        return _fail(str(exc))
    worked = 0
    for name in args.images:
        try:
            prepared = prepare_digit(load_image(name))
        except ImageRefused as exc:
            _line({"file": name, "error": f"cannot read {name}: {exc}"})
            continue
        if prepared.empty:
            _line({"file": name, "error": f"no digit in {name}: the image has no ink"})
            continue
        p = digits.probabilities(prepared.image)
        warning = digits.warning(prepared.image)
        _line({"file": name, "digit": int(p.argmax()),
               "probabilities": [round(float(v), 6) for v in p], "familiar": warning is None,
               **({"warning": warning} if warning else {})})
        worked += 1
    return 0 if worked else EXIT_NO_RESULT


def predict_galaxy(args: argparse.Namespace) -> int:
    from core.errors import ConfigError
    from core.galaxies.galaxy import PrepOptions, classify_bytes, load_galaxy_model
    from core.models.assets import ModelMissing
    from core.safe_files import MAX_PICTURE_BYTES, UnreadableFile, read_regular_file
    from core.threads import BUDGET

    BUDGET.configure(reserve=0)
    try:
        model = load_galaxy_model(args.model)
    except (ModelMissing, ConfigError) as exc:
        return _fail(str(exc))
    options = PrepOptions(framing=args.framing, zoom=args.zoom, stretch=args.stretch)
    worked = 0
    for name in args.files:
        try:
            data = read_regular_file(name, MAX_PICTURE_BYTES)
        except UnreadableFile as exc:
            _line({"file": name, "error": f"cannot read {name}: {exc}"})
            continue
        result = classify_bytes(name, data, model, options, with_cam=False)
        _line(result.as_json())
        worked += result.prediction is not None
    return 0 if worked else EXIT_NO_RESULT


def export(args: argparse.Namespace) -> int:
    from core.errors import ConfigError
    from core.export import ExportRefused, onnx_bytes, training_script
    from core.models.model_io import load_model, shape_only_dataset

    if not args.onnx and not args.script:
        return _fail("say what to write: --onnx OUT.onnx and/or --script TRAIN.py")
    try:
        built, meta = load_model(args.model)
        files = {}
        if args.onnx:
            files[args.onnx] = onnx_bytes(built.model, built.head, meta["input_shape"])
        if args.script:
            files[args.script] = training_script(
                meta["config"], shape_only_dataset(meta), data_path=args.data,
                warm_started=bool(meta["extra"].get("warm_start"))).encode()
    except (ConfigError, ExportRefused, RuntimeError) as exc:
        return _fail(str(exc))
    for target, data in files.items():
        try:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_bytes(data)
        except OSError as exc:
            return _fail(f"cannot write {target}: {exc.strerror or exc}")
        _line({"event": "written", "file": target, "bytes": len(data)})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a model from a run-config JSON file")
    p.add_argument("config", help="run-config JSON (see README)")
    p.add_argument("--out", help="where to save the model (default runs/<config>.safetensors)")
    p.add_argument("--epochs", type=int, help="override training.epochs")
    p.add_argument("--progress", action="store_true", help="also print in-epoch progress lines")
    p.add_argument("--init-from", help="start from this saved model's weights (fine-tuning): "
                                       "every layer whose name and shape match")
    p.set_defaults(func=train)
    p = sub.add_parser("lr-find", help="learning-rate range test (Smith 2017) on a run config")
    p.add_argument("config", help="run-config JSON (see README)")
    p.add_argument("--steps", type=int, default=250, help="steps of the sweep (250)")
    p.add_argument("--start-lr", type=float, default=1e-6, help="first rate (1e-6)")
    p.add_argument("--end-lr", type=float, default=10.0, help="last rate (10)")
    p.set_defaults(func=lr_find)
    p = sub.add_parser("predict-digit", help="read handwritten digits from image files")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG / JPEG files, one digit each")
    p.add_argument("--model", default="mnist_cnn",
                   help="mnist_cnn (default), mnist_mlp, or a path to a .safetensors model")
    p.set_defaults(func=predict_digit)
    p = sub.add_parser("predict-galaxy", help="classify galaxy morphology in image/FITS files")
    p.add_argument("files", nargs="+", metavar="FILE", help="JPEG / PNG / TIFF / GIF / FITS")
    p.add_argument("--model", default="galaxy_cnn",
                   help="galaxy_cnn (default) or a path to a .safetensors model")
    p.add_argument("--framing", default="auto", choices=("auto", "galaxy_zoo", "full", "manual"),
                   help="auto: find the galaxy and frame it like the training images (default)")
    p.add_argument("--zoom", type=float, default=1.0,
                   help="share of the picture kept with --framing manual (1.0)")
    p.add_argument("--stretch", default="asinh", choices=("asinh", "log", "linear"),
                   help="for FITS and 16-bit data (asinh)")
    p.set_defaults(func=predict_galaxy)
    p = sub.add_parser("export", help="write a saved model as ONNX and/or a standalone script")
    p.add_argument("model", metavar="MODEL", help="a .safetensors model this playground saved")
    p.add_argument("--onnx", help="write the model as ONNX to this file")
    p.add_argument("--script", help="write a standalone PyTorch training script to this file")
    p.add_argument("--data", help="the CSV or mnist.npz path the script reads by default")
    p.set_defaults(func=export)
    args = parser.parse_args(argv)
    return _plainly(args)


def _plainly(args: argparse.Namespace) -> int:
    """Run the command; whatever a user's file or data can get wrong ends as exit 2 and one
    sentence, never a traceback (each command words its own errors; this is the backstop)."""
    from core.data.download import DatasetUnavailable
    from core.errors import ConfigError
    from core.safe_files import UnreadableFile

    try:
        return args.func(args)
    except (ConfigError, DatasetUnavailable, UnreadableFile) as exc:
        return _fail(str(exc))
    except RecursionError:
        return _fail("the input is nested too deeply to be read")
    except MemoryError:
        return _fail("this does not fit in memory; try smaller images, a subset or a smaller "
                     "network")
