"""A standalone PyTorch training script for a run: it rebuilds the network, loads the data
(the toy generator, the CSV file, the MNIST file, scikit-learn's digits or a zip of class
folders) and trains with the same settings, without importing this project — a student takes
it home and edits it.

The data code is the project's own functions copied in with `inspect.getsource` (one home for
each fact: the script reads a CSV or draws a spiral exactly as the page did). The model is
written from the built torch modules themselves, in the same order, so with the same seed the
script starts from the same initial weights as the page.
"""

from __future__ import annotations

import inspect
import pprint
import textwrap

import torch
from torch import nn

from core import safe_files
from core.activations import Gaussian
from core.build import Frozen, build_model
from core.config import RunConfig
from core.data import builtin_tables, folders, images, tables, toy
from core.data.base import FOLDERS, TABLE, Dataset
from core.layers import Maxout
from core.optimizers import OPTIMIZERS
from core.pictures import preprocess

SCRIPT_DATASETS = (*toy.TOY_DATASETS, TABLE, "mnist", "digits", FOLDERS)


class ExportRefused(ValueError):
    """This run cannot be written as a standalone script; the message says why."""


def training_script(config: RunConfig, dataset: Dataset, *, data_path: str | None = None,
                    warm_started: bool = False) -> str:
    """The script's text. `dataset` gives the shapes and classes (an empty shape-only one from
    a model file will do); `data_path` is where the script looks for a CSV or MNIST file."""
    name = config.dataset.name
    if name not in SCRIPT_DATASETS:
        raise ExportRefused(f"the training script covers the 2-D datasets, CSV tables, MNIST, "
                            f"the 8×8 digits and your pictures, not {name}; the model and ONNX "
                            "files can still be downloaded")
    built = build_model(config, dataset)
    notes = []
    if warm_started:
        notes.append("This model was fine-tuned from pretrained weights; the script trains the "
                     "same network from scratch (frozen layers stay frozen at their fresh start).")
    if config.dataset.augment and (name in images.IMAGE_SOURCES or name == FOLDERS):
        notes.append("The page augmented the training images on the fly; this script does not.")
    parts = [
        _header(config, notes),
        _CONFIG.format(config=pprint.pformat(config.to_dict(), width=96, sort_dicts=False)),
        _data_section(config, data_path),
        _model_section(built.model),
        _head_section(built.head),
        _optimizer_section(config),
        _TRAIN,
    ]
    return "\n\n".join(textwrap.dedent(p).strip("\n") for p in parts) + "\n"


# ----- pieces ----------------------------------------------------------------------------------
def _header(config: RunConfig, notes: list[str]) -> str:
    lines = [
        '"""Standalone PyTorch training script exported from the Neural Network Playground.',
        "",
        f"Dataset: {config.dataset.name}. Run it with:  python {{this file}} [--data PATH] "
        "[--epochs N] [--out model.pt]",
        "It needs only torch and numpy (the 8×8 digits also need scikit-learn, your pictures",
        "Pillow); it prints one",
        "JSON line per epoch and the final test metrics. CONFIG below holds every setting.",
        *[f"Note: {n}" for n in notes],
        '"""',
        "",
        "import argparse",
        "import csv",
        "import io",
        "import json",
        "import math",
        "from collections import OrderedDict",
        "",
        "import numpy as np",
        "import torch",
        "from torch import nn",
        "from torch.nn import functional as F",
    ]
    return "\n".join(lines)


_CONFIG = """
# ----- the run's settings (the playground's JSON config) --------------------------------------
CONFIG = {config}
"""


def _source(*objects) -> str:
    return "\n\n".join(textwrap.dedent(inspect.getsource(o)) for o in objects)


def _data_section(config: RunConfig, data_path: str | None) -> str:
    d = config.dataset
    if d.name in toy.TOY_DATASETS:
        generator = toy.TOY_DATASETS[d.name].generate
        constants = f"DOMAIN = {toy.DOMAIN!r}\nRADIUS = {toy.RADIUS!r}\n"
        if d.name == "bumps":
            constants += f"_BUMPS = {toy._BUMPS!r}\n"
        return (_DATA_BANNER + constants + "\n\n" + _source(toy.featurize, generator)
                + _TOY_LOAD.replace("GENERATOR", generator.__name__)
                .replace("CLASSIFICATION", repr(toy.TOY_DATASETS[d.name].task
                                                == "classification"))
                .replace("MULTI", repr(toy.TOY_DATASETS[d.name].max_classes > 2)))
    if d.name == TABLE:
        table = tables.read_table(d.path)
        choice = tables.resolve_choice(d, table)
        constants = "\n".join(f"{k} = {getattr(tables, k)!r}" for k in
                              ("MAX_FILE_BYTES", "MAX_ROWS", "MAX_COLUMNS", "MAX_CLASSES",
                               "MISSING"))
        code = [_DATA_BANNER, constants, "\n\nclass TableRefused(ValueError):\n    pass\n\n",
                _source(tables.decode_csv, tables.parse_csv, tables._is_number, tables._missing,
                        tables.numeric_column, tables.label_column, tables.split_and_scale)]
        builtin = d.path.startswith(builtin_tables.BUILTIN_PREFIX)
        default = data_path or ("" if builtin else d.path)
        if builtin:
            table_name = d.path[len(builtin_tables.BUILTIN_PREFIX):]
            generator = builtin_tables.BUILTIN_TABLES[table_name][1]
            code += [f"\n\nSEED = {builtin_tables.SEED}\n\n",
                     _source(generator, builtin_tables.builtin_csv).replace(
                         "header, rows = BUILTIN_TABLES[name][1](",
                         f"header, rows = {generator.__name__}(")]
        code.append(_CSV_LOAD.format(
            default=default, builtin=repr(table_name if builtin else None),
            columns=choice.columns, target=choice.target,
            classification=choice.task == "classification"))
        return "".join(code)
    # images
    constants = f"SOURCE = {d.name!r}\n"
    code = [_DATA_BANNER, constants, "ConfigError = ValueError\n\n\n",
            _source(images.stratified_split, images.central_crop, images._to_tensor)]
    if d.name == "mnist":
        code.append(_MNIST_LOAD.format(default=data_path or "mnist.npz"))
    elif d.name == FOLDERS:
        code.append(_folders_section(data_path or d.path))
    else:
        code.append(_DIGITS_LOAD)
    code.append(_IMAGE_SPLIT)
    return "".join(code)


def _folders_section(default: str | None) -> str:
    """The playground's own zip reader and picture preparation (core.data.folders and
    core.pictures.preprocess.load_image), with their project imports swapped for local stand-ins."""
    constants = "\n".join(f"{k} = {getattr(folders, k)!r}" for k in (
        "MAX_ZIP_BYTES", "MAX_FILES", "MAX_FILE_BYTES", "MAX_TOTAL_BYTES", "MAX_RATIO",
        "MIN_PER_CLASS", "IMAGE_SUFFIXES", "PLAIN_SUFFIXES", "DEFAULT_SIDE"))
    loader = _source(preprocess.load_image)  # its names: the prelude's stand-ins
    helpers = [preprocess.image_array, preprocess._check_size]  # what load_image calls
    picture = _source(folders.plain_picture)
    return "".join([
        "\n\n", _FOLDERS_PRELUDE.format(
            constants=constants, max_pixels=preprocess.MAX_PIXELS,
            max_picture_bytes=safe_files.MAX_PICTURE_BYTES), "\n\n",
        _source(folders.ClassFolders, folders.class_paths, folders.read_class_zip,
                folders._hidden, folders._unsafe),
        "\n\n", loader, "\n\n", _source(*helpers), "\n\n", picture,
        _FOLDERS_LOAD.format(default=default or "pictures.zip")])


_FOLDERS_PRELUDE = '''
import contextlib
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image, ImageOps

{constants}
MAX_PIXELS = {max_pixels}
MAX_PICTURE_BYTES = {max_picture_bytes}


class FoldersRefused(ValueError):
    """The zip as a whole cannot be used."""


class ImageRefused(ValueError):
    """One picture cannot be used: it is left out, with this reason."""


UnreadableFile = OSError


def read_regular_file(path, max_bytes):
    """A picture file's bytes (this script reads its pictures from the zip)."""
    with open(path, "rb") as f:
        return f.read(max_bytes + 1)
'''

_FOLDERS_LOAD = '''


DEFAULT_DATA = {default!r}


def load_source(path=None):
    """Your pictures: a zip of class folders, each picture's central square resized to
    image_size, grey or colour, read exactly as the playground reads them."""
    import sys

    d = CONFIG["dataset"]
    with open(path or DEFAULT_DATA, "rb") as f:
        data = f.read(MAX_ZIP_BYTES + 1)
    found = read_class_zip(data, plain_picture(d["image_size"] or DEFAULT_SIDE, d["channels"]),
                           suffixes=PLAIN_SUFFIXES)
    for name, why in found.problems:
        print(f"left out {{name}}: {{why}}", file=sys.stderr)
    return found.images, found.labels, None, None, list(found.class_names)
'''


_DATA_BANNER = "# ----- data ------------------------------------------------------------\n"

_TOY_LOAD = '''


def load_data(path=None):
    """(x_train, y_train, x_test, y_test, class_names): points drawn as the playground does."""
    d = CONFIG["dataset"]
    rng = np.random.default_rng(d["seed"])
    classes = d["classes"] if MULTI else 2
    points, targets = GENERATOR(rng, d["samples"], float(d["noise"]), classes)
    order = rng.permutation(len(points))
    points, targets = points[order], targets[order]
    n_train = max(1, min(len(points) - 1, round(len(points) * d["train_fraction"])))
    x = featurize(torch.as_tensor(points, dtype=torch.float32), d["features"])
    if CLASSIFICATION:
        y = torch.as_tensor(targets, dtype=torch.long)
        names = [f"class {i}" for i in range(classes)]
    else:
        y, names = torch.as_tensor(targets, dtype=torch.float32), []
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:], names, None
'''

_CSV_LOAD = '''


DEFAULT_DATA = {default!r}
BUILTIN = {builtin}
COLUMNS = {columns!r}
TARGET = {target!r}
CLASSIFICATION = {classification!r}


def load_data(path=None):
    """(x_train, y_train, x_test, y_test, class_names): the CSV read, split and scaled as the
    playground does (scaling statistics from the training rows only)."""
    d = CONFIG["dataset"]
    if path is None and BUILTIN is not None:
        text = builtin_csv(BUILTIN)
    else:
        with open(path or DEFAULT_DATA, "rb") as f:
            text = decode_csv(f.read(MAX_FILE_BYTES + 1))
    header, rows, lines = parse_csv(text)
    x = np.stack([numeric_column(header, rows, c, lines) for c in COLUMNS], axis=1)
    if CLASSIFICATION:
        y, names = label_column(header, rows, TARGET, lines)
    else:
        y, names = numeric_column(header, rows, TARGET, lines), []
    x_train, y_train, x_test, y_test, _, _ = split_and_scale(
        x, y, CLASSIFICATION, d["train_fraction"], d["seed"], d["normalization"])
    y_type = torch.long if CLASSIFICATION else torch.float32
    return (torch.as_tensor(x_train, dtype=torch.float32), torch.as_tensor(y_train, dtype=y_type),
            torch.as_tensor(x_test, dtype=torch.float32), torch.as_tensor(y_test, dtype=y_type),
            names, None)
'''

_MNIST_LOAD = '''


DEFAULT_DATA = {default!r}


def load_source(path=None):
    """MNIST in the Keras layout (mnist.npz): images uint8 (N, 28, 28, 1) and labels."""
    with np.load(path or DEFAULT_DATA, allow_pickle=False) as f:
        return (f["x_train"][..., None], f["y_train"].astype(np.int64),
                f["x_test"][..., None], f["y_test"].astype(np.int64),
                [str(i) for i in range(10)])
'''

_DIGITS_LOAD = '''


def load_source(path=None):
    """scikit-learn's 8×8 digits, scaled to 0-255 like the playground."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., None]
    return images, digits.target.astype(np.int64), None, None, [str(i) for i in range(10)]
'''

_IMAGE_SPLIT = '''


def load_data(path=None):
    """(x_train, y_train, x_test, y_test, class_names, (x_val, y_val)) as the playground splits
    them: held-out test, optional subset, stratified validation, resize, normalisation."""
    d = CONFIG["dataset"]
    x_train, y_train, x_test, y_test, names = load_source(path)
    rng = np.random.default_rng(d["seed"])
    if x_test is None:
        keep, test = stratified_split(len(y_train), d["test_fraction"], rng, y_train)
        x_test, y_test = x_train[test], y_train[test]
        x_train, y_train = x_train[keep], y_train[keep]
    if d["subset"] is not None and d["subset"] < len(y_train):
        pick = rng.permutation(len(y_train))[: d["subset"]]
        x_train, y_train = x_train[pick], y_train[pick]
    train, val = stratified_split(len(y_train), d["val_fraction"], rng, y_train)
    train = train[rng.permutation(len(train))]
    xt, xv, xs = (_to_tensor(a, d["image_size"], d["crop"])
                  for a in (x_train[train], x_train[val], x_test))
    if d["normalization"] == "standardize":
        mean = xt.mean(dim=(0, 2, 3), keepdim=True)
        std = xt.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
        xt, xv, xs = ((a - mean) / std for a in (xt, xv, xs))
    return (xt, torch.from_numpy(y_train[train]), xs, torch.from_numpy(y_test), names,
            (xv, torch.from_numpy(y_train[val])) if len(val) else None)
'''


def _module_code(module: nn.Module) -> str:
    if isinstance(module, Maxout):
        return f"Maxout({module.linear.in_features}, {module.units}, {module.pieces})"
    if isinstance(module, Gaussian):
        return "Gaussian()"
    if isinstance(module, nn.Conv2d):  # its repr leaves padding="same" unquoted
        m = module
        return (f"nn.Conv2d({m.in_channels}, {m.out_channels}, kernel_size={m.kernel_size!r}, "
                f"stride={m.stride!r}, padding={m.padding!r})")
    if isinstance(module, nn.Sequential):
        inner = ", ".join(_module_code(m) for m in module)
        return f"frozen({inner})" if isinstance(module, Frozen) else f"nn.Sequential({inner})"
    if not type(module).__module__.startswith("torch.nn"):
        raise ExportRefused(f"the layer {type(module).__name__} has no standalone form")
    return "nn." + repr(module)


def _model_section(model: nn.Sequential) -> str:
    blocks = "\n".join(f"        ({name!r}, {_module_code(block)}),"
                       for name, block in model.named_children())
    uses = {type(m) for m in model.modules()}
    classes = [_source(c) for c in (Gaussian, Maxout) if c in uses]
    return "\n".join([
        "# ----- the network (the output layer last; the loss picks its activation) -----",
        *(c + "\n\n" for c in classes),
        _FROZEN if any(isinstance(m, Frozen) for m in model.modules()) else "",
        "def build_model():",
        '    """The same layers in the same order as the playground, so the same seed gives the',
        '    same initial weights."""',
        '    torch.manual_seed(CONFIG["training"]["seed"])',
        "    model = nn.Sequential(OrderedDict([",
        blocks,
        "    ]))",
        '    init_weights(model, CONFIG["network"]["init"], CONFIG["network"]["init_std"])',
        "    return model",
        "",
        "",
        _INIT,
    ])


_FROZEN = '''
class _Frozen(nn.Sequential):
    """A layer marked "trainable": false: no gradients, always in eval mode."""

    def train(self, mode=True):
        return super().train(False)


def frozen(*modules):
    block = _Frozen(*modules)
    for p in block.parameters():
        p.requires_grad_(False)
    return block.train(False)


'''

_INIT = '''
def init_weights(model, name, std):
    """Every Linear/Conv2d weight from torch.nn.init; biases start at zero."""
    rules = {
        "xavier_uniform": lambda w: nn.init.xavier_uniform_(w),
        "xavier_normal": lambda w: nn.init.xavier_normal_(w),
        "he_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
        "he_normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
        "normal": lambda w: nn.init.normal_(w, 0.0, std),
        "zeros": lambda w: nn.init.zeros_(w),
    }
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            with torch.no_grad():
                rules[name](module.weight)
                if module.bias is not None:
                    module.bias.zero_()
'''


def _head_section(head) -> str:
    return f'''
# ----- loss and output: {head.loss}, {head.out_units} unit(s), {head.output_activation} -----
LOSS = {head.loss!r}
TASK = {head.task!r}
N_CLASSES = {head.n_classes}
OUTPUT = {head.output_activation!r}
SINGLE_LOGIT = {head.single_logit!r}


def make_criterion(class_weights=None):
    if LOSS == "bce":
        pos = None if class_weights is None else class_weights[1] / class_weights[0]
        return nn.BCEWithLogitsLoss(pos_weight=pos)
    if LOSS == "cce":
        return nn.CrossEntropyLoss(weight=class_weights)
    if LOSS == "hinge":
        return nn.MultiMarginLoss(weight=class_weights)
    return {{"mse": nn.MSELoss, "mae": nn.L1Loss, "huber": nn.HuberLoss}}[LOSS]()


def prepare_targets(y):
    if TASK == "regression":
        return y.float().reshape(len(y), -1)
    if LOSS in ("cce", "hinge"):
        return y.long()
    if SINGLE_LOGIT:
        return y.float().reshape(-1, 1)
    return F.one_hot(y.long(), N_CLASSES).float()


def predict(logits):
    """Probabilities (sigmoid or softmax) or values (regression)."""
    if OUTPUT == "sigmoid":
        return torch.sigmoid(logits)
    if OUTPUT == "softmax":
        return torch.softmax(logits, dim=1)
    return logits


def outputs_for_loss(logits):
    """Distance losses on a classification task compare probabilities with 0/1 targets."""
    distance = TASK == "classification" and LOSS in ("mse", "mae", "huber")
    return predict(logits) if distance else logits


def predicted_class(logits):
    return (logits[:, 0] > 0).long() if SINGLE_LOGIT else logits.argmax(dim=1)
'''


def _optimizer_section(config: RunConfig) -> str:
    """The optimizer as the registry builds it: its torch class and the keyword arguments the
    run's settings give it (the registry is the one place that maps one to the other)."""
    entry = OPTIMIZERS[config.training.optimizer]
    if getattr(torch.optim, entry.cls.__name__, None) is not entry.cls:
        raise ExportRefused(f"the optimizer {entry.label} is not a torch.optim class")
    settings = pprint.pformat(entry.settings(config.training), width=80, sort_dicts=False)
    return "\n".join([
        f"# ----- optimizer: {entry.label} (the learning rate is set again every epoch) -----",
        "def make_optimizer(params, t):",
        f"    return torch.optim.{entry.cls.__name__}(params, **{settings})",
    ])


_TRAIN = '''
# ----- training ------------------------------------------------------------------------------
def class_weights(y, rule):
    """'balanced': n / (k * count) per class; 'sqrt': its square root, same mean weight."""
    if rule == "none" or TASK != "classification":
        return None
    counts = torch.bincount(y.long(), minlength=N_CLASSES).clamp_min(1).float()
    weights = len(y) / (N_CLASSES * counts)
    if rule == "sqrt":
        weights = weights.sqrt()
        weights = weights * counts.sum() / (weights * counts).sum()
    return weights


@torch.no_grad()
def evaluate(model, criterion, x, y, chunk=2048):
    model.eval()
    total, correct = 0.0, 0
    for i in range(0, len(x), chunk):
        out = model(x[i:i + chunk])
        total += float(criterion(outputs_for_loss(out), prepare_targets(y[i:i + chunk]))) * len(out)
        if TASK == "classification":
            correct += int((predicted_class(out) == y[i:i + chunk]).sum())
    model.train()
    result = {"loss": total / max(1, len(x))}
    if TASK == "classification":
        result["accuracy"] = correct / max(1, len(x))
    return result


def train(epochs=None, data=None, out=None):
    t = CONFIG["training"]
    epochs = epochs or t["epochs"]
    device = torch.device("cuda" if t["device"] in ("auto", "cuda") and torch.cuda.is_available()
                          else "cpu")
    x_train, y_train, x_test, y_test, class_names, val = load_data(data)
    model = build_model().to(device)
    x_train, y_train, x_test, y_test = (a.to(device) for a in (x_train, y_train, x_test, y_test))
    if val is not None:
        val = tuple(a.to(device) for a in val)
    x_mon, y_mon = val if val is not None else (x_test, y_test)
    monitor = "val" if val is not None else "test"
    weights = class_weights(y_train, t["class_weights"])
    criterion = make_criterion(None if weights is None else weights.to(device))
    optimizer = make_optimizer(model.parameters(), t)
    penalized = [m.weight for m in model.modules()
                 if isinstance(m, (nn.Linear, nn.Conv2d)) and m.weight.requires_grad]
    generator = torch.Generator().manual_seed(t["seed"])
    targets = prepare_targets(y_train)
    n, batch = len(x_train), min(t["batch_size"], len(x_train))
    keeps_best = monitor == "val" or t["early_stopping"] is not None
    best, stale, outcome = None, 0, "finished"
    model.train()
    for epoch in range(epochs):
        lr = t["lr"]
        if t["lr_schedule"] == "cosine":
            lr = t["lr"] * 0.5 * (1 + math.cos(math.pi * min(epoch, epochs) / max(1, epochs)))
        for group in optimizer.param_groups:
            group["lr"] = lr
        perm = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            loss = criterion(outputs_for_loss(model(x_train[idx])), targets[idx])
            if not math.isfinite(loss.item()):
                print(json.dumps({"event": "diverged", "epoch": epoch + 1}))
                return model
            if t["l1"] or t["l2"]:
                for w in penalized:
                    loss = loss + t["l1"] * w.abs().sum() + t["l2"] * (w * w).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        train_m = evaluate(model, criterion, x_train, y_train)
        mon_m = evaluate(model, criterion, x_mon, y_mon)
        line = {"event": "epoch", "epoch": epoch + 1, "lr": lr,
                **{f"train_{k}": v for k, v in train_m.items()},
                **{f"{monitor}_{k}": v for k, v in mon_m.items()}}
        print(json.dumps(line), flush=True)
        if keeps_best and len(x_mon):
            if best is None or mon_m["loss"] < best[0]:
                best = (mon_m["loss"], epoch + 1,
                        {k: v.detach().clone() for k, v in model.state_dict().items()})
                stale = 0
            else:
                stale += 1
                if t["early_stopping"] is not None and stale >= t["early_stopping"]:
                    outcome = "early_stopped"
                    break
    if best is not None and (outcome == "early_stopped" or monitor == "val"):
        model.load_state_dict(best[2])
    final = {f"test_{k}": v for k, v in evaluate(model, criterion, x_test, y_test).items()}
    print(json.dumps({"event": "end", "outcome": outcome, **final,
                      "best_epoch": best[1] if best else None}), flush=True)
    if out:
        torch.save(model.state_dict(), out)
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the data file (CSV, mnist.npz or a zip of class "
                                          "folders), if the run used one")
    parser.add_argument("--epochs", type=int, help="override the number of epochs")
    parser.add_argument("--out", help="save the trained weights (state_dict) to this file")
    args = parser.parse_args()
    train(args.epochs, args.data, args.out)
'''
