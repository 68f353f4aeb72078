"""Zips of class folders (`spiral/…`, `elliptical/…`, any names): one safe reader shared by
the galaxy page's fine-tuning (pictures framed like the classifier's) and "Your pictures" on
Train on images (pictures cropped square and resized to a chosen side, grey or colour).

A wrapping folder, `__MACOSX` and hidden files are ignored; at most MAX_FILES files,
MAX_FILE_BYTES a file and MAX_TOTAL_BYTES unpacked; suspiciously well-compressed entries are
refused as zip bombs. Each unusable file is listed with its reason and the rest are kept.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from core.data.images import images_to_dataset, validate_image_common
from core.errors import ConfigError
from core.pictures.preprocess import ImageRefused, load_image
from core.safe_files import keep_by_content

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
PLAIN_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".bmp", ".webp")
"""What "Your pictures" reads with Pillow (FITS needs the galaxy page's stretch)."""


class FoldersRefused(ConfigError):
    """The zip as a whole cannot be used; the message is a plain sentence."""


@dataclass
class ClassFolders:
    images: np.ndarray
    """(N, H, W, C): what `prepare` made of every usable picture."""
    labels: np.ndarray
    class_names: list[str]
    files: list[str]
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(file in the zip, why it was left out)."""

    def counts(self) -> dict[str, int]:
        return {name: int((self.labels == i).sum()) for i, name in enumerate(self.class_names)}


def class_paths(names: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
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


def read_class_zip(data: bytes, prepare: Callable[[str, bytes], np.ndarray], *,
                   suffixes: tuple[str, ...] = IMAGE_SUFFIXES, what: str = "training",
                   max_file_bytes: int = MAX_FILE_BYTES) -> ClassFolders:
    """Every usable picture of a zip of class folders, as `prepare(name, bytes)` makes it
    (ImageRefused / ValueError from it become that file's problem)."""
    if len(data) > MAX_ZIP_BYTES:
        raise FoldersRefused(f"the zip is {len(data) / 1e6:.0f} MB; at most "
                             f"{MAX_ZIP_BYTES / 1e6:.0f} MB are accepted")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FoldersRefused("this is not a zip file (or it is damaged)") from None
    problems: list[tuple[str, str]] = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not _hidden(i.filename)]
        if len(infos) > MAX_FILES:
            raise FoldersRefused(f"the zip holds {len(infos):,} files; at most {MAX_FILES:,} "
                                 "are accepted")
        pictures = []
        for info in infos:
            if not info.filename.lower().endswith(suffixes):
                problems.append((info.filename, "skipped: not a picture file"))
            else:
                pictures.append(info)
        classes, outside = class_paths([i.filename for i in pictures])
        problems += outside
        images, labels, files, names = [], [], [], sorted(set(classes.values()))
        total = 0
        for info in pictures:
            if info.filename not in classes:
                continue
            why = _unsafe(info, max_file_bytes)
            if why is None and total + info.file_size > MAX_TOTAL_BYTES:
                why = (f"left out: the zip unpacks to more than {MAX_TOTAL_BYTES / 1e9:.0f} GB")
            if why:
                problems.append((info.filename, why))
                continue
            try:
                with archive.open(info) as f:
                    blob = f.read(max_file_bytes + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError):
                problems.append((info.filename, "could not be unpacked (damaged zip entry)"))
                continue
            if len(blob) > max_file_bytes:
                problems.append((info.filename, "larger than its zip entry says: left out"))
                continue
            total += len(blob)
            try:
                image = prepare(info.filename, blob)
            except (ImageRefused, ValueError) as exc:
                problems.append((info.filename, str(exc)))
                continue
            except Exception as exc:  # noqa: BLE001 - one odd file must not end the zip
                problems.append((info.filename, f"could not be processed "
                                                f"({type(exc).__name__}: {exc})"))
                continue
            images.append(image)
            labels.append(names.index(classes[info.filename]))
            files.append(info.filename)
    labels_array = np.asarray(labels, dtype=np.int64)
    counts = {n: int((labels_array == i).sum()) for i, n in enumerate(names)}
    usable = [n for n in names if counts[n] >= MIN_PER_CLASS]
    if len(usable) < 2:
        found = ", ".join(f"{n} ({c})" for n, c in counts.items()) or "none"
        raise FoldersRefused(f"{what} needs at least two class folders with at least "
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


def _unsafe(info: zipfile.ZipInfo, max_file_bytes: int) -> str | None:
    if info.flag_bits & 0x1:
        return "encrypted: cannot be read"
    if info.file_size > max_file_bytes:
        return f"{info.file_size / 1e6:.0f} MB unpacked: too large for a picture"
    if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(1, info.compress_size):
        return "compressed suspiciously well (a zip bomb?): left out"
    return None


# ----- "Your pictures": plain pictures, square, resized --------------------------------------
def plain_picture(side: int, channels: int) -> Callable[[str, bytes], np.ndarray]:
    """name, bytes -> uint8 (side, side, channels): the central square, resized (Pillow's
    antialiasing), grey or RGB (transparency shown on black)."""

    def prepare(name: str, data: bytes) -> np.ndarray:
        a = load_image(data)
        if a.ndim == 3 and a.shape[2] in (2, 4):  # alpha: composite on black
            alpha = a[..., -1:].astype(np.float32) / 255
            a = (a[..., :-1].astype(np.float32) * alpha).round().astype(np.uint8)
            a = a[..., 0] if a.shape[2] == 1 else a
        im = Image.fromarray(a)
        im = im.convert("L" if channels == 1 else "RGB")
        w, h = im.size
        s = min(w, h)
        im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
        im = im.resize((side, side), Image.Resampling.LANCZOS)
        out = np.asarray(im, dtype=np.uint8)
        return out[..., None] if channels == 1 else out

    return prepare


@functools.lru_cache(maxsize=4)
def read_picture_zip(path: str, stamp: tuple[float, int], side: int,
                     channels: int) -> ClassFolders:
    """The zip at `path` as uint8 pictures, cached until the file changes."""
    del stamp
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FoldersRefused(f"cannot read the zip {path}: {exc.strerror or exc}") from None
    return read_class_zip(data, plain_picture(side, channels), suffixes=PLAIN_SUFFIXES)


def picture_folders(path: str, side: int, channels: int) -> ClassFolders:
    try:
        stat = Path(path).stat()
    except OSError as exc:
        raise FoldersRefused(f"cannot read the zip {path}: {exc.strerror or exc}") from None
    return read_picture_zip(str(path), (stat.st_mtime, stat.st_size), side, channels)


def save_zip_upload(name: str, data: bytes, folder: Path) -> Path:
    """Keep an uploaded zip under `folder`, named by its content (a config names it by path)."""
    return keep_by_content(data, folder, name, ".zip", "pictures")


# ----- the dataset (name "folders") ---------------------------------------------------------
DEFAULT_SIDE = 32


def validate_folders(config) -> None:
    if not isinstance(config.path, str) or not config.path.strip():
        raise ConfigError("dataset.path: upload a zip of class folders (or name one)")
    if config.channels not in (1, 3) or isinstance(config.channels, bool):
        raise ConfigError(f"dataset.channels must be 1 (grey) or 3 (colour), not "
                          f"{config.channels!r}")
    if config.task is not None:
        raise ConfigError("dataset.task: your pictures' classes are their folders (leave "
                          "task out)")
    validate_image_common(config)


def make_folder_dataset(config):
    side = config.image_size or DEFAULT_SIDE
    found = picture_folders(config.path, side, config.channels)
    return images_to_dataset(config, found.images, found.labels, None, None,
                             list(found.class_names))
