"""Transfer learning: fine-tune a trained galaxy CNN on the user's own classes.

The user uploads a zip of class folders (`spiral/…`, `elliptical/…`, any names). Every picture
goes through the same reading and framing as the classifier (core.galaxy), so the frozen
convolutions see what they were trained on; a file that cannot be used is reported by name and
the rest are kept. The new network is the old one with a fresh output layer for the new classes
and its convolutional layers marked `"trainable": false` — frozen weights and frozen batch-norm
statistics — trained by the same Job as every other page, so the live curves are the same too.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
import torch

from core.config import RunConfig
from core.data.base import Dataset
from core.galaxy import GalaxyModel, PrepOptions, prepare_bytes
from core.preprocess import ImageRefused

MAX_ZIP_BYTES = 200_000_000
MAX_FILES = 2_000
MAX_FILE_BYTES = 50_000_000
MAX_TOTAL_BYTES = 1_000_000_000
"""All files of the zip together, uncompressed: a zip bomb stops here, not in memory."""
MAX_RATIO = 200
"""A file compressed more than this (and over 1 MB unpacked) is a zip bomb, not a picture."""
MIN_PER_CLASS = 2
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".bmp", ".webp", ".fits",
                  ".fit", ".fts", ".fits.gz", ".fit.gz")
FREEZE = {"convolutions": "the convolutional layers (retrain the dense head)",
          "all_hidden": "every hidden layer (retrain the output layer only)",
          "none": "nothing (fine-tune every layer, slowly)"}


class TransferRefused(ValueError):
    """The zip as a whole cannot be used; the message is a plain sentence."""


@dataclass
class ClassFolders:
    images: np.ndarray
    """(N, frame, frame, 3) float32 0-1: framed like the classifier's inputs."""
    labels: np.ndarray
    class_names: list[str]
    files: list[str]
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(file in the zip, why it was left out)."""

    def counts(self) -> dict[str, int]:
        return {name: int((self.labels == i).sum()) for i, name in enumerate(self.class_names)}


def _class_paths(names: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """file → class folder, dropping a single wrapping folder; files outside any class folder
    are problems."""
    parts = {n: PurePosixPath(n).parts for n in names}
    while (parts and len({p[0] for p in parts.values()}) == 1
           and all(len(p) >= 2 for p in parts.values())
           and any(len(p) >= 3 for p in parts.values())):
        parts = {n: p[1:] for n, p in parts.items()}
    classes, problems = {}, []
    for name, p in parts.items():
        if len(p) < 2:
            problems.append((name, "not inside a class folder (put each class's pictures in "
                                   "a folder named after the class)"))
        else:
            classes[name] = p[0]
    return classes, problems


def read_class_zip(data: bytes, frame: int = 69, options: PrepOptions | None = None
                   ) -> ClassFolders:
    """Every usable picture of a zip of class folders, framed for a `frame`-pixel model."""
    if len(data) > MAX_ZIP_BYTES:
        raise TransferRefused(f"the zip is {len(data) / 1e6:.0f} MB; at most "
                              f"{MAX_ZIP_BYTES / 1e6:.0f} MB are accepted")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TransferRefused("this is not a zip file (or it is damaged)") from None
    problems: list[tuple[str, str]] = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not _hidden(i.filename)]
        if len(infos) > MAX_FILES:
            raise TransferRefused(f"the zip holds {len(infos):,} files; at most {MAX_FILES:,} "
                                  "are accepted")
        pictures = []
        for info in infos:
            if not info.filename.lower().endswith(IMAGE_SUFFIXES):
                problems.append((info.filename, "skipped: not a picture file"))
            else:
                pictures.append(info)
        classes, outside = _class_paths([i.filename for i in pictures])
        problems += outside
        images, labels, files, names = [], [], [], sorted(set(classes.values()))
        total = 0
        for info in pictures:
            if info.filename not in classes:
                continue
            why = _unsafe(info)
            if why is None and total + info.file_size > MAX_TOTAL_BYTES:
                why = (f"left out: the zip unpacks to more than {MAX_TOTAL_BYTES / 1e9:.0f} GB")
            if why:
                problems.append((info.filename, why))
                continue
            try:
                with archive.open(info) as f:
                    blob = f.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError):
                problems.append((info.filename, "could not be unpacked (damaged zip entry)"))
                continue
            if len(blob) > MAX_FILE_BYTES:
                problems.append((info.filename, "larger than its zip entry says: left out"))
                continue
            total += len(blob)
            try:
                prepared, _, _ = prepare_bytes(info.filename, blob, frame, options)
            except (ImageRefused, ValueError) as exc:
                problems.append((info.filename, str(exc)))
                continue
            except Exception as exc:  # noqa: BLE001 - one odd file must not end the zip
                problems.append((info.filename, f"could not be processed "
                                                f"({type(exc).__name__}: {exc})"))
                continue
            images.append(prepared.image)
            labels.append(names.index(classes[info.filename]))
            files.append(info.filename)
    labels_array = np.asarray(labels, dtype=np.int64)
    counts = {n: int((labels_array == i).sum()) for i, n in enumerate(names)}
    usable = [n for n in names if counts[n] >= MIN_PER_CLASS]
    if len(usable) < 2:
        found = ", ".join(f"{n} ({c})" for n, c in counts.items()) or "none"
        raise TransferRefused(f"fine-tuning needs at least two class folders with at least "
                              f"{MIN_PER_CLASS} usable pictures each; found: {found}")
    for n in names:
        if n not in usable:
            problems.append((f"{n}/", f"class left out: only {counts[n]} usable picture"))
    keep = np.isin(labels_array, [names.index(n) for n in usable])
    remap = {names.index(n): i for i, n in enumerate(usable)}
    return ClassFolders(np.stack([im for im, k in zip(images, keep, strict=True) if k]),
                        np.asarray([remap[int(v)] for v in labels_array[keep]], np.int64),
                        usable, [f for f, k in zip(files, keep, strict=True) if k], problems)


def _hidden(name: str) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in PurePosixPath(name).parts)


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "encrypted: cannot be read"
    if info.file_size > MAX_FILE_BYTES:
        return f"{info.file_size / 1e6:.0f} MB unpacked: too large for a picture"
    if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(1, info.compress_size):
        return "compressed suspiciously well (a zip bomb?): left out"
    return None


# ----- the fine-tuning run ----------------------------------------------------------------------
def transfer_config(base: RunConfig, freeze: str = "convolutions", *, epochs: int = 15,
                    lr: float = 1e-3, batch_size: int = 32) -> RunConfig:
    """The base network with `freeze` layers marked untrainable, and a short Adam schedule."""
    if freeze not in FREEZE:
        raise ValueError(f"freeze must be one of {', '.join(FREEZE)}, not {freeze!r}")
    config = base.copy()
    layers = [dict(layer) for layer in config.network.layers]
    flatten = next((i for i, layer in enumerate(layers) if layer["type"] == "flatten"),
                   len(layers))
    frozen = {"convolutions": flatten, "all_hidden": len(layers), "none": 0}[freeze]
    for i, layer in enumerate(layers):
        layer.pop("trainable", None)
        if i < frozen:
            layer["trainable"] = False
    config.network.layers = layers
    t = config.training
    t.epochs, t.lr, t.batch_size, t.optimizer = epochs, lr, batch_size, "adam"
    t.early_stopping, t.class_weights = max(3, epochs // 3), "sqrt"
    config.validate()
    return config


def transfer_dataset(folders: ClassFolders, base: GalaxyModel, *, val_fraction: float = 0.2,
                     seed: int = 0, augment: dict[str, float] | None = None) -> Dataset:
    """The pictures as the base model's inputs (its crop, size and standardisation), split
    stratified into training and validation (which also serves as the test split)."""
    from core.data.augment import Augmenter
    from core.data.images import stratified_split

    x = base.tensor(folders.images)
    y = torch.from_numpy(folders.labels)
    rng = np.random.default_rng(seed)
    train, val = stratified_split(len(y), val_fraction, rng, folders.labels)
    if len(val) == 0 or len(train) == 0:
        raise TransferRefused("too few pictures to keep some for validation: add more")
    mean = std = None
    if base.mean is not None:
        mean = torch.as_tensor(base.mean).reshape(1, -1, 1, 1)
        std = torch.as_tensor(base.std).reshape(1, -1, 1, 1)
    dataset = Dataset(name=base.source, task="classification", x_train=x[train],
                      y_train=y[train], x_test=x[val], y_test=y[val], x_val=x[val],
                      y_val=y[val], input_shape=tuple(x.shape[1:]),
                      class_names=list(folders.class_names), normalization=(mean, std))
    spec = {"flip": True, "rotation": 180} if augment is None else augment
    if spec:
        dataset.augment = Augmenter(spec, normalization=(mean, std))
    return dataset


def warm_weights(base: GalaxyModel) -> dict[str, torch.Tensor]:
    """The base network's weights without its output layer (the new classes get a fresh one)."""
    return {k: v.detach().cpu() for k, v in base.model.state_dict().items()
            if not k.startswith("output.")}
