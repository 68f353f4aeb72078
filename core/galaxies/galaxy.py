"""Galaxy models for the "Classify galaxies" page and `python -m core predict-galaxy`: load the
shipped galaxy CNN (or a session's own), prepare any picture the way its training images were
made, and say what it sees — probabilities, the top class in words, and a Grad-CAM map of the
pixels that drove it. No Streamlit here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from core.config import DatasetConfig
from core.data import load_dataset
from core.data.images import IMAGE_SOURCES, central_crop
from core.errors import ConfigError
from core.galaxies.galaxy_prep import PreparedGalaxy, prepare_galaxy
from core.galaxies.sky_files import choose_planes, read_sky_file
from core.inspection import grad_cam
from core.losses import Head
from core.models import novelty
from core.models.assets import model_path, normalization_of
from core.models.model_io import load_model
from core.models.novelty import feature_reason, penultimate
from core.pictures.preprocess import ImageRefused

DEFAULT_MODEL = "galaxy_cnn"
NO_OBJECT = ("no object stands out of the sky near its centre (noise, a texture or a flat "
             "picture), so there is no galaxy to frame")
DEFAULT_FRAME_SIDE = 69
"""Side of an SDSS cut-out: the frame for a model whose source is not a galaxy set (own folders)."""
DESCRIPTIONS = {
    "elliptical": "A smooth, rounded ball of mostly old, red stars: no disk, no spiral arms.",
    "spiral": "A flat disk seen face-on or tilted, with arms of young blue stars winding out "
              "from a central bulge.",
    "edge-on": "A disk galaxy seen from the side: a thin bright streak, often split by a dark "
               "dust lane.",
    "merger": "Two or more galaxies colliding: double nuclei, tidal tails and distorted shapes.",
    "smooth": "Smooth and featureless: an elliptical galaxy or a disk without visible structure.",
    "disk": "A galaxy with a disk: spiral arms, a bar, or the thin profile of a disk seen "
            "edge-on.",
    "round smooth": "A smooth, round galaxy with no disk features.",
    "in-between smooth": "A smooth galaxy, somewhat elongated.",
    "cigar-shaped smooth": "A smooth, strongly elongated galaxy.",
    "disturbed": "A galaxy whose shape is disturbed, often by a neighbour's pull.",
}


def is_galaxy_source(name: str) -> bool:
    """Whether models trained on this dataset classify galaxy pictures (IMAGE_SOURCES says)."""
    source = IMAGE_SOURCES.get(name)
    return source is not None and source.galaxy


def frame_side(name: str) -> int:
    """Side of the source's stored training cut-outs, before a config's crop and resize."""
    source = IMAGE_SOURCES.get(name)
    if source is None or not source.galaxy or source.stored is None:
        return DEFAULT_FRAME_SIDE
    return source.stored[1]


@dataclass
class PrepOptions:
    """How a picture is turned into the network's input (see core.galaxies.galaxy_prep)."""

    framing: str = "auto"
    zoom: float = 1.0
    stretch: str = "asinh"
    low: float = 10.0
    high: float = 99.8
    plane: int | None = None
    """For a FITS cube: the plane to use (default the first) ..."""
    rgb: tuple[int, int, int] | None = None
    """... or three planes shown as red, green and blue."""


@dataclass
class Prediction:
    probabilities: np.ndarray
    class_names: list[str]
    view: np.ndarray
    """(H, W, 3) 0-1: exactly the pixels the network saw, before standardisation."""
    cam: np.ndarray | None = None
    """(H, W) 0-1 Grad-CAM of the top class on `view` (None without convolutions)."""
    unsure_below: float | None = None
    """Below this calibrated confidence the call is "unsure" (from the model's card)."""
    unfamiliar: str | None = None
    """Why the picture does not look like the training galaxies (core.models.novelty), or None."""

    @property
    def warning(self) -> str | None:
        """The sentence to show with the answer when the picture looks unfamiliar."""
        if self.unfamiliar is None:
            return None
        return (f"This does not look like the galaxies the model was trained on: "
                f"{self.unfamiliar}. The answer is a guess.")

    @property
    def top(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def label(self) -> str:
        return self.class_names[self.top]

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.top])

    @property
    def description(self) -> str:
        return describe(self.label)

    @property
    def runner_up(self) -> int:
        return int(np.argsort(self.probabilities)[-2]) if len(self.probabilities) > 1 else self.top

    @property
    def runner_up_label(self) -> str:
        return self.class_names[self.runner_up]

    @property
    def unsure(self) -> bool:
        return self.unsure_below is not None and self.confidence < self.unsure_below

    @property
    def verdict(self) -> str:
        """The call in words: the class, or "unsure: A or B" below the threshold."""
        if self.unsure:
            return f"unsure: {self.label} or {self.runner_up_label}"
        return self.label

    def as_dict(self) -> dict[str, float]:
        return {name: round(float(p), 6)
                for name, p in zip(self.class_names, self.probabilities, strict=True)}


def describe(name: str) -> str:
    return DESCRIPTIONS.get(name.lower(), f"The class the model was taught to call '{name}'.")


@dataclass
class GalaxyModel:
    """A classifier of colour galaxy images with everything its input needs."""

    model: nn.Module
    head: Head
    input_shape: tuple[int, int, int]
    class_names: list[str]
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    crop: int | None = None
    """The config's central crop of the training frame (None: the whole frame)."""
    frame: int = 69
    """Side of the training frame the crop is taken from."""
    name: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    source: str = "galaxy_zoo"
    config: Any = None
    """The RunConfig it was trained with (fine-tuning starts from it)."""
    temperature: float = 1.0
    """Calibration: logits are divided by it (fitted on the validation split, see
    core.galaxies.galaxy_eval); 1 for an uncalibrated model."""
    views: int = 1
    """Test-time averaging: the logits are averaged over this many rotations by 90° (1, 2 or
    4; 2 is 0° and 180°), or (8) those four and their mirror images, as Dieleman et al. (2015)
    averaged rotated and flipped views."""
    unsure_below: float | None = None
    """Calibrated confidence below which the page says "unsure" (None: never)."""
    density: Any = None
    """core.models.novelty.FeatureDensity of its training features (shipped models), or None."""

    @property
    def seen_share(self) -> float:
        """The share of the framed picture the network sees (its crop of the frame)."""
        return 1.0 if self.crop is None else self.crop / self.frame

    def view(self, framed: np.ndarray) -> np.ndarray:
        """(frame, frame, 3) framed picture → the (H, W, 3) pixels the network sees."""
        return self.tensor(framed, standardise=False)[0].permute(1, 2, 0).numpy().copy()

    def tensor(self, framed: np.ndarray | Sequence[np.ndarray], standardise: bool = True
               ) -> torch.Tensor:
        """Framed pictures (frame, frame, 3) 0-1, one or a stack, → the model's batch: central
        crop, resize, standardise, exactly as core.data.images made the training set."""
        a = np.asarray(framed, dtype=np.float32)
        a = a[None] if a.ndim == 3 else a
        if a.shape[1] != self.frame or a.shape[2] != self.frame:
            raise ValueError(f"expected pictures framed to {self.frame}×{self.frame}, got "
                             f"{a.shape[2]}×{a.shape[1]}")
        a = central_crop(a, self.crop)
        x = torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2)
        _, h, w = self.input_shape
        if tuple(x.shape[-2:]) != (h, w):
            x = torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear",
                                                antialias=True, align_corners=False)
        x = x.clamp(0, 1)
        if standardise and self.mean is not None and self.std is not None:
            m = torch.as_tensor(self.mean, dtype=torch.float32).reshape(1, -1, 1, 1)
            s = torch.as_tensor(self.std, dtype=torch.float32).reshape(1, -1, 1, 1)
            x = (x - m) / s.clamp_min(1e-6)
        return x

    @torch.no_grad()
    def logits(self, framed: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """(N, classes) raw outputs, averaged over the model's views, before calibration."""
        was = self.model.training
        self.model.eval()
        turns = {1: (0,), 2: (0, 2), 4: (0, 1, 2, 3), 8: (0, 1, 2, 3)}[self.views]
        try:
            device = next(self.model.parameters()).device
            out = []
            for batch in self.tensor(framed).split(512):
                batch = batch.to(device)
                faces = [batch, batch.flip(-1)] if self.views == 8 else [batch]
                views = [torch.rot90(f, k, dims=(2, 3)) for f in faces for k in turns]
                out.append(torch.stack([self.model(v) for v in views]).mean(0).cpu())
        finally:
            self.model.train(was)
        return torch.cat(out).numpy().astype(np.float64)

    def probabilities(self, framed: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """(N, classes) calibrated probabilities for a stack of framed pictures (or (classes,)
        for one)."""
        single = np.asarray(framed).ndim == 3
        z = torch.from_numpy(self.logits(framed) / self.temperature)
        p = self.head.probabilities(z).numpy().astype(np.float64)
        return p[0] if single else p

    def predict(self, framed: np.ndarray, with_cam: bool = True,
                frames: np.ndarray | None = None) -> Prediction:
        """The prediction for `framed`; with `frames` (the same galaxy framed tighter and
        wider, see core.galaxies.galaxy_prep.AUTO_SCALES) the probabilities are their average."""
        p = self.probabilities(framed) if frames is None else self.probabilities(frames).mean(0)
        unfamiliar = self.unfamiliar(framed)
        cam = None
        if with_cam:
            device = next(self.model.parameters()).device
            cam = grad_cam(self.model, self.tensor(framed)[0].to(device), int(np.argmax(p)))
        return Prediction(p, list(self.class_names), self.view(framed), cam,
                          unsure_below=self.unsure_below, unfamiliar=unfamiliar)

    @torch.no_grad()
    def unfamiliar(self, framed: np.ndarray) -> str | None:
        """Why one framed picture's features are far from the training galaxies, or None."""
        if self.density is None:
            return None
        was = self.model.training
        self.model.eval()
        try:
            device = next(self.model.parameters()).device
            features, _ = penultimate(self.model, self.tensor(framed).to(device))
        finally:
            self.model.train(was)
        return feature_reason(self.density, features.cpu().double().numpy(), "galaxy")


def check_galaxy_model(head: Head, input_shape: Sequence[int], class_names: Sequence[str],
                       what: str = "this model") -> None:
    """ConfigError unless the model sorts colour images into classes."""
    if head.task != "classification" or len(class_names) < 2 or len(input_shape) != 3:
        raise ConfigError(f"{what} is not an image classifier")
    if int(input_shape[0]) != 3:
        raise ConfigError(f"{what} takes grey images; galaxy models take colour (3 channels)")


def galaxy_model_from(model: nn.Module, head: Head, config, input_shape: Sequence[int],
                      class_names: Sequence[str], normalization: tuple[Any, Any] = (None, None),
                      *, name: str = "", metrics: dict[str, Any] | None = None,
                      calibration: dict[str, Any] | None = None) -> GalaxyModel:
    """Wrap a trained network (shipped, trained on the Images page, or fine-tuned)."""
    check_galaxy_model(head, input_shape, class_names, name or "this model")
    mean, std = (None if v is None else np.asarray(torch.as_tensor(v).flatten(),
                                                   dtype=np.float32) for v in normalization)
    if config.dataset.normalization != "standardize":
        mean = std = None
    source = config.dataset.name
    calibration = dict(calibration or {})
    return GalaxyModel(model.eval(), head, tuple(int(v) for v in input_shape), list(class_names),
                       mean, std, config.dataset.crop, frame_side(source), name,
                       dict(metrics or {}), source, config,
                       float(calibration.get("temperature", 1.0)),
                       int(calibration.get("views", 1)), calibration.get("unsure_below"))


def load_galaxy_model(name: str = DEFAULT_MODEL) -> GalaxyModel:
    """A shipped model by name, or a .safetensors path; ModelMissing / ConfigError otherwise."""
    path = model_path(name)
    built, meta = load_model(path)
    model = galaxy_model_from(built.model, built.head, meta["config"], meta["input_shape"],
                              meta["class_names"], normalization_of(meta), name=path.stem,
                              metrics=meta["metrics"],
                              calibration=meta["extra"].get("calibration"))
    model.density = novelty.load(path)
    return model


# ----- one file, start to finish ----------------------------------------------------------------
@dataclass
class GalaxyResult:
    """What became of one file: a prediction, or the plain reason there is none."""

    file: str
    prepared: PreparedGalaxy | None = None
    prediction: Prediction | None = None
    error: str | None = None
    kind: str = ""
    planes: int = 1

    def as_json(self) -> dict[str, Any]:
        if self.prediction is None:
            return {"file": self.file, "error": self.error}
        p = self.prediction
        out = {"file": self.file, "class": p.label, "confidence": round(p.confidence, 6),
               "unsure": p.unsure, "runner_up": p.runner_up_label,
               "probabilities": p.as_dict(), "familiar": p.unfamiliar is None}
        if p.warning:
            out["warning"] = p.warning
        return out


def prepare_bytes(name: str, data: bytes, frame: int = 69, options: PrepOptions | None = None
                  ) -> tuple[PreparedGalaxy, str, int]:
    """Read and frame one file: (prepared picture, what the file was, planes in it). Raises
    ImageRefused (or ValueError for impossible options) with a plain sentence."""
    options = options or PrepOptions()
    try:
        sky = read_sky_file(name, data)
        planes = sky.planes
        sky = choose_planes(sky, options.plane, options.rgb)
        prepared = prepare_galaxy(sky, size=frame, framing=options.framing, zoom=options.zoom,
                                  stretch_method=options.stretch, low=options.low,
                                  high=options.high)
    except MemoryError:
        raise ImageRefused("the image is too large to process in memory") from None
    return prepared, sky.kind, planes


def classify_bytes(name: str, data: bytes, model: GalaxyModel,
                   options: PrepOptions | None = None, with_cam: bool = True) -> GalaxyResult:
    """Read, prepare and classify one file; every failure becomes the result's `error`."""
    try:
        prepared, kind, planes = prepare_bytes(name, data, model.frame, options)
        prediction = model.predict(prepared.image, with_cam=with_cam, frames=prepared.frames)
        if prepared.extent is not None and not prepared.extent.found:
            prediction.unfamiliar = NO_OBJECT
    except (ImageRefused, ValueError) as exc:
        return GalaxyResult(name, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one odd file must not end the batch
        return GalaxyResult(name, error=f"this file could not be processed ({type(exc).__name__}:"
                                        f" {exc})")
    return GalaxyResult(name, prepared, prediction, kind=kind, planes=planes)


def predictions_csv(results: Sequence[GalaxyResult]) -> str:
    """One row per file: file, class, confidence, unsure (yes/no: below the model's threshold),
    runner-up, a probability column per class, a warning when the picture looks unlike the
    training galaxies, error."""
    names: list[str] = []
    for r in results:
        for n in (r.prediction.class_names if r.prediction else []):
            if n not in names:
                names.append(n)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "class", "confidence", "unsure", "runner_up",
                     *[f"p_{n}" for n in names], "warning", "error"])
    for r in results:
        if r.prediction is None:
            writer.writerow([r.file, "", "", "", "", *[""] * len(names), "", r.error])
            continue
        pred = r.prediction
        p = pred.as_dict()
        writer.writerow([r.file, pred.label, f"{pred.confidence:.4f}",
                         "yes" if pred.unsure else "no", pred.runner_up_label,
                         *[f"{p[n]:.4f}" if n in p else "" for n in names],
                         pred.warning or "", ""])
    return out.getvalue()


def example_galaxies(dataset, per_class: int = 2, seed: int | None = None
                     ) -> list[tuple[str, bytes, str]]:
    """`per_class` random galaxies of each class from the held-out test split of a model's
    data set (`dataset`: its DatasetConfig), as (file name, PNG bytes, true class), so the
    examples go through exactly the path of an upload. DatasetUnavailable when the data set is
    not on this machine."""

    plain = DatasetConfig(name=dataset.name, task=dataset.task, seed=dataset.seed,
                          val_fraction=dataset.val_fraction,
                          test_fraction=dataset.test_fraction)
    data = load_dataset(plain)
    rng = np.random.default_rng(seed)
    y = data.y_test.numpy()
    out = []
    for c, name in enumerate(data.class_names):
        idx = np.flatnonzero(y == c)
        for i in rng.choice(idx, size=min(per_class, len(idx)), replace=False):
            pixels = (data.x_test[i].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, format="PNG")
            out.append((f"test_{name}_{int(i)}.png", buffer.getvalue(), name))
    return out
