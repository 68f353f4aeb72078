"""Real image datasets: MNIST, Galaxy Zoo 1 (SDSS), Galaxy10 SDSS and DECaLS, and
scikit-learn's bundled 8x8 digits as the offline fallback that always works.

Each source yields uint8 images (N, H, W, C) with integer labels; `make_image_dataset` then
applies the morphology task (merging or dropping classes), the subset, the train / validation /
test split (fixed seed), optional resizing and the normalisation, and returns a Dataset whose
tensors are (N, C, H, W) float32.
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from core.data.augment import Augmenter
from core.data.base import Dataset
from core.data.download import DatasetUnavailable, Progress, RemoteFile, fetch, find_local
from core.errors import ConfigError, shown


@dataclass(frozen=True)
class Task:
    """A labelling of a source: which original classes form each new class (others dropped)."""

    label: str
    classes: dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class ImageSource:
    label: str
    description: str
    load: Callable[[Progress | None], tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                             np.ndarray | None]]
    """progress -> (x_train, y_train, x_test or None, y_test or None), images uint8 NHWC."""
    tasks: dict[str, Task] = field(default_factory=dict)
    flips_allowed: bool = True
    remote: RemoteFile | None = None
    stored: tuple[int, int, int, int] | None = None
    """(images, height, width, channels) as stored, all splits together: the resource estimate
    (core.budget) needs them before anything is read."""
    official_test: int = 0
    """Images in the source's own test split (0: a test split is drawn with test_fraction)."""
    galaxy: bool = False
    """Colour galaxy cut-outs: its models can classify pictures on the Classify galaxies page."""

    @property
    def default_task(self) -> str:
        """The first task: what a config without `dataset.task` trains on."""
        return next(iter(self.tasks))


MNIST_REMOTE = RemoteFile(
    "mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", 11_490_434, "MNIST")
GALAXY10_SDSS_REMOTE = RemoteFile(
    "Galaxy10.h5", "https://www.astro.utoronto.ca/~bovy/Galaxy10/Galaxy10.h5",
    "969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af", 210_234_548,
    "Galaxy10 SDSS")
GALAXY10_DECALS_REMOTE = RemoteFile(
    "Galaxy10_DECals.h5", "https://zenodo.org/records/10845026/files/Galaxy10_DECals.h5",
    "19aefc477c41bb7f77ff07599a6b82a038dc042f889a111b0d4d98bb755c1571", None,
    "Galaxy10 DECaLS")
GALAXY_ZOO_FILE = "galaxy_zoo1_sdss.npz"


def _broken(name: str, path, exc: Exception) -> ConfigError:
    return ConfigError(f"the {name} file {path} is damaged or not the expected format "
                       f"({type(exc).__name__}: {exc}); delete it so it can be fetched again")


@functools.lru_cache(maxsize=4)
def _read_npz(path: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Read every array fully now, so a truncated file fails here, not halfway through training."""
    with np.load(path, allow_pickle=False) as data:
        return {k: np.asarray(data[k]) for k in keys}


def _load_mnist(progress: Progress | None):
    path = fetch(MNIST_REMOTE, progress)
    try:
        d = _read_npz(str(path), ("x_train", "y_train", "x_test", "y_test"))
        for split in ("train", "test"):
            x, y = d[f"x_{split}"], d[f"y_{split}"]
            if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),) or not len(x):
                raise ValueError(f"x_{split} has shape {x.shape}, y_{split} {y.shape}")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise _broken("MNIST", path, exc) from None
    return (d["x_train"][..., None], d["y_train"].astype(np.int64),
            d["x_test"][..., None], d["y_test"].astype(np.int64))


def _load_galaxy_zoo(progress: Progress | None):
    path = find_local(GALAXY_ZOO_FILE)
    if path is None:
        raise DatasetUnavailable(
            "the Galaxy Zoo 1 SDSS set (galaxy_zoo1_sdss.npz) is not on this machine; set "
            "PLAYGROUND_DATA_DIR to the folder that has it, or use Galaxy10 SDSS or DECaLS, "
            "which download by themselves")
    try:
        d = _read_npz(str(path), ("images", "labels"))
        if d["images"].ndim != 4 or len(d["images"]) != len(d["labels"]):
            raise ValueError(f"images have shape {d['images'].shape}")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise _broken("Galaxy Zoo", path, exc) from None
    return d["images"], d["labels"].astype(np.int64), None, None


def _galaxy10_loader(remote: RemoteFile):
    def load(progress: Progress | None):
        path = fetch(remote, progress)
        try:
            import h5py  # heavy: only the Galaxy10 files need it

            with h5py.File(path, "r") as f:
                images, labels = np.asarray(f["images"]), np.asarray(f["ans"])
        except (OSError, KeyError, ValueError) as exc:
            raise _broken(remote.title, path, exc) from None
        return images, labels.astype(np.int64), None, None
    return load


def _load_digits(progress: Progress | None):
    from sklearn.datasets import load_digits  # heavy: only the 8×8 digits need it

    digits = load_digits()
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., None]
    return images, digits.target.astype(np.int64), None, None


_DIGIT_TASK = {"digits": Task("10 digits", {str(i): (i,) for i in range(10)})}
IMAGE_SOURCES: dict[str, ImageSource] = {
    "mnist": ImageSource(
        "MNIST handwritten digits",
        "70,000 handwritten digits, 28×28 grey (60,000 train, 10,000 test).",
        _load_mnist, _DIGIT_TASK, flips_allowed=False, remote=MNIST_REMOTE,
        stored=(70_000, 28, 28, 1), official_test=10_000),
    "digits": ImageSource(
        "8×8 digits (scikit-learn, offline)",
        "1,797 tiny 8×8 digits bundled with scikit-learn: always available, no download.",
        _load_digits, _DIGIT_TASK, flips_allowed=False, stored=(1_797, 8, 8, 1)),
    "galaxy_zoo": ImageSource(
        "Galaxy Zoo 1 (SDSS)",
        "6,664 SDSS galaxies, 69×69 gri colour, with Galaxy Zoo 1 volunteer classes; "
        "70 % are ellipticals.",
        _load_galaxy_zoo,
        {"morphology": Task("4 morphologies (elliptical, spiral, edge-on, merger)",
                            {"elliptical": (0,), "spiral": (1, 2), "edge-on": (3,),
                             "merger": (5,)}),
         "smooth_disk": Task("smooth vs disk", {"smooth": (0,), "disk": (1, 2, 3)}),
         "all": Task("all 6 Galaxy Zoo 1 classes",
                     {"elliptical": (0,), "spiral (clockwise)": (1,),
                      "spiral (anticlockwise)": (2,), "edge-on": (3,), "don't know": (4,),
                      "merger": (5,)})},
        stored=(6_664, 69, 69, 3), galaxy=True),
    "galaxy10_sdss": ImageSource(
        "Galaxy10 SDSS (download, 200 MB)",
        "21,785 SDSS galaxies, 69×69, in 10 Galaxy Zoo 2 classes (astroNN).",
        _galaxy10_loader(GALAXY10_SDSS_REMOTE),
        {"morphology": Task("3 morphologies (elliptical, spiral, edge-on)",
                            {"elliptical": (1, 2, 3), "spiral": (7, 8, 9),
                             "edge-on": (4, 5, 6)}),
         "smooth_disk": Task("smooth vs disk", {"smooth": (1, 2, 3),
                                                "disk": (0, 4, 5, 6, 7, 8, 9)}),
         "all": Task("all 10 classes", {
             "disk, face-on, no spiral": (0,), "smooth, round": (1,),
             "smooth, in-between": (2,), "smooth, cigar": (3,),
             "edge-on, rounded bulge": (4,), "edge-on, boxy bulge": (5,),
             "edge-on, no bulge": (6,), "spiral, tight": (7,), "spiral, medium": (8,),
             "spiral, loose": (9,)})},
        remote=GALAXY10_SDSS_REMOTE, stored=(21_785, 69, 69, 3), galaxy=True),
    "galaxy10_decals": ImageSource(
        "Galaxy10 DECaLS (download, 2.7 GB)",
        "17,736 DECaLS galaxies, 256×256, in 10 classes (astroNN); resized on loading.",
        _galaxy10_loader(GALAXY10_DECALS_REMOTE),
        {"morphology": Task("4 morphologies (elliptical, spiral, edge-on, merger)",
                            {"elliptical": (2, 3, 4), "spiral": (5, 6, 7),
                             "edge-on": (8, 9), "merger": (1,)}),
         "smooth_disk": Task("smooth vs disk", {"smooth": (2, 3, 4),
                                                "disk": (5, 6, 7, 8, 9)}),
         "all": Task("all 10 classes", {
             "disturbed": (0,), "merging": (1,), "round smooth": (2,),
             "in-between smooth": (3,), "cigar smooth": (4,), "barred spiral": (5,),
             "unbarred tight spiral": (6,), "unbarred loose spiral": (7,),
             "edge-on, no bulge": (8,), "edge-on, with bulge": (9,)})},
        remote=GALAXY10_DECALS_REMOTE, stored=(17_736, 256, 256, 3), galaxy=True),
}
NORMALIZATIONS = {"unit": "0–1 (divide by 255)", "standardize": "standardise per channel"}
AUGMENTATIONS = ("shift", "rotation", "scale", "flip", "brightness", "noise", "stretch", "colour",
                 "blur")


def validate_image(config) -> None:
    source = IMAGE_SOURCES[config.name]
    task = source.default_task if config.task is None else config.task
    if not isinstance(task, str) or task not in source.tasks:
        raise ConfigError(f"dataset.task for {config.name} must be one of "
                          f"{', '.join(source.tasks)}, not {shown(task)}")
    validate_image_common(config, source.flips_allowed)


def validate_image_common(config, flips_allowed: bool = True) -> None:
    """Subset, splits, normalisation, size, crop and augmentation: every image dataset."""
    if config.subset is not None and (not isinstance(config.subset, int)
                                      or isinstance(config.subset, bool) or config.subset < 20):
        raise ConfigError(f"dataset.subset must be a whole number of at least 20 images, or "
                          f"null for all, not {shown(config.subset)}")
    for name, value in (("val_fraction", config.val_fraction),
                        ("test_fraction", config.test_fraction)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 0.5:
            raise ConfigError(f"dataset.{name} must be between 0 and 0.5, not {shown(value)}")
    if not isinstance(config.normalization, str) or config.normalization not in NORMALIZATIONS:
        raise ConfigError(f"dataset.normalization must be one of {', '.join(NORMALIZATIONS)}, "
                          f"not {shown(config.normalization)}")
    size = config.image_size
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)
                             or not 8 <= size <= 256):
        raise ConfigError(f"dataset.image_size must be between 8 and 256 pixels, or null, not "
                          f"{shown(size)}")
    crop = config.crop
    if crop is not None and (not isinstance(crop, int) or isinstance(crop, bool)
                             or not 8 <= crop <= 256):
        raise ConfigError(f"dataset.crop must be between 8 and 256 pixels, or null, not "
                          f"{shown(config.crop)}")
    if not isinstance(config.augment, dict):
        raise ConfigError("dataset.augment must be an object such as {\"shift\": 2}")
    for key, value in config.augment.items():
        if key not in AUGMENTATIONS:
            raise ConfigError(f"dataset.augment: unknown augmentation {shown(key)} "
                              f"(choose from {', '.join(AUGMENTATIONS)})")
        if key == "flip":
            if value and not flips_allowed:
                raise ConfigError("dataset.augment: flips are off for digits (a flipped 2 "
                                  "is not a 2)")
            continue
        limit = {"shift": 8, "rotation": 180, "scale": 0.5, "brightness": 0.9, "noise": 0.5,
                 "stretch": 2, "colour": 1, "blur": 3}[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit:
            raise ConfigError(f"dataset.augment.{key} must be between 0 and {limit:g}, "
                              f"not {shown(value)}")


def _apply_task(x: np.ndarray, y: np.ndarray, task: Task) -> tuple[np.ndarray, np.ndarray]:
    size = max(int(y.max(initial=0)), *(max(v) for v in task.classes.values())) + 1
    lookup = np.full(size, -1)
    for new, olds in enumerate(task.classes.values()):
        lookup[list(olds)] = new
    mapped = lookup[y]
    keep = mapped >= 0
    return x[keep], mapped[keep]


def stratified_split(n: int, fraction: float, rng: np.random.Generator, labels: np.ndarray):
    """Stratified: each class keeps its share in both parts (rare classes matter here)."""
    take = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        take.extend(idx[: int(round(len(idx) * fraction))])
    mask = np.zeros(n, bool)
    mask[take] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def central_crop(x: np.ndarray, crop: int | None) -> np.ndarray:
    """The central crop×crop pixels of NHWC images (all of them when crop is None)."""
    if crop is None:
        return x
    h, w = x.shape[1:3]
    if crop > min(h, w):
        raise ConfigError(f"dataset.crop is {crop} pixels, but the images are only {w}×{h}")
    top, left = (h - crop) // 2, (w - crop) // 2
    return x[:, top:top + crop, left:left + crop]


def _to_tensor(x: np.ndarray, size: int | None, crop: int | None = None) -> torch.Tensor:
    x = central_crop(x, crop)
    t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float().div_(255.0)
    if size is not None and t.shape[-1] != size:
        out = t.new_empty((len(t), t.shape[1], size, size))  # filled in place: no second copy
        for i in range(0, len(t), 1024):
            out[i:i + 1024] = F.interpolate(t[i:i + 1024], size=(size, size), mode="bilinear",
                                            antialias=True, align_corners=False)
        t = out.clamp_(0, 1)
    return t


def make_image_dataset(config, progress: Progress | None = None) -> Dataset:
    source = IMAGE_SOURCES[config.name]
    task = source.tasks[config.task or source.default_task]
    x_train, y_train, x_test, y_test = source.load(progress)
    x_train, y_train = _apply_task(x_train, y_train, task)
    if x_test is not None:
        x_test, y_test = _apply_task(x_test, y_test, task)
    return images_to_dataset(config, x_train, y_train, x_test, y_test, list(task.classes))


def images_to_dataset(config, x_train: np.ndarray, y_train: np.ndarray,
                      x_test: np.ndarray | None, y_test: np.ndarray | None,
                      class_names: list[str]) -> Dataset:
    """uint8 NHWC images and labels -> the Dataset: held-out test split (when the source has
    none), subset, stratified validation, crop/resize, normalisation, augmentation."""
    rng = np.random.default_rng(config.seed)
    if x_test is None:
        keep, test = stratified_split(len(y_train), config.test_fraction, rng, y_train)
        x_test, y_test = x_train[test], y_train[test]
        x_train, y_train = x_train[keep], y_train[keep]
    if config.subset is not None and config.subset < len(y_train):
        pick = rng.permutation(len(y_train))[: config.subset]
        x_train, y_train = x_train[pick], y_train[pick]
    train, val = stratified_split(len(y_train), config.val_fraction, rng, y_train)
    order = rng.permutation(len(train))
    train = train[order]

    size = config.image_size
    xt, xv, xs = (_to_tensor(a, size, config.crop)
                  for a in (x_train[train], x_train[val], x_test))
    mean = std = None
    if config.normalization == "standardize":
        mean = xt.mean(dim=(0, 2, 3), keepdim=True)
        std = xt.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
        for a in (xt, xv, xs):  # in place: the fresh tensors above are this function's own
            a.sub_(mean).div_(std)
    dataset = Dataset(
        name=config.name, task="classification",
        x_train=xt, y_train=torch.from_numpy(y_train[train]),
        x_test=xs, y_test=torch.from_numpy(y_test),
        x_val=xv, y_val=torch.from_numpy(y_train[val]),
        input_shape=tuple(xt.shape[1:]), class_names=list(class_names),
        normalization=(mean, std),
    )
    if config.augment:
        dataset.augment = Augmenter(config.augment, normalization=(mean, std))
    return dataset
