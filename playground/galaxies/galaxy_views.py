"""Arrays, tables and model choices for the "Classify galaxies" page: pure functions where they
can be (they test without a browser), and the few Streamlit caches the page needs."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from core.config import DatasetConfig
from core.data.download import DatasetUnavailable
from core.errors import ConfigError
from core.galaxies.galaxy import (
    check_galaxy_model,
    classify_bytes,
    example_galaxies,
    galaxy_model_from,
    is_galaxy_source,
    load_galaxy_model,
    predictions_csv,
)
from core.galaxies.galaxy_eval import unreliable_classes
from core.galaxies.sky_files import reduce_to
from core.losses import make_head
from core.models.model_io import read_metadata
from playground import model_catalogue as catalogue
from playground.charts import image_charts as ic
from playground.charts.image_charts import png_uri
from playground.digits.draw_views import heat_overlay
from playground.literal import literal

SESSION_JOB = "images"
"""The Images page's job: a galaxy model trained there can classify here."""
TUNE_JOB = "galaxy_tune"
SHIPPED_DEFAULT = "galaxy_cnn"
PREVIEW_SIDE = 480
"""Previews are kept at most this big: a 2048-pixel float picture would cost 50 MB a file."""
RESULT_CACHE = 64
FRAME_COLOUR = (0.35, 0.75, 1.0)
SEEN_COLOUR = (1.0, 0.78, 0.2)


Choice = catalogue.Choice


# ----- which models -----------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=4)
def _shipped(folder: str, stamp: tuple) -> list[Choice]:
    choices = []
    for entry in catalogue.shipped_models(Path(folder)):
        try:
            meta = read_metadata(entry.path)
            head = make_head(meta["config"].training.loss, meta["task"], len(meta["class_names"]))
            check_galaxy_model(head, meta["input_shape"], meta["class_names"])
        except (ConfigError, KeyError, ValueError):
            continue
        if not is_galaxy_source(meta["config"].dataset.name):
            continue
        label = catalogue.pretty_name(entry.key)
        balanced = meta.get("metrics", {}).get("test_balanced_accuracy")
        if isinstance(balanced, int | float):
            label += f" (balanced accuracy {balanced:.0%} on held-out galaxies)"
        choices.append(Choice(entry.key, label, entry.path))
    choices.sort(key=lambda c: (c.key != SHIPPED_DEFAULT, c.key))
    return choices


def shipped_choices() -> list[Choice]:
    """The shipped galaxy classifiers (the galaxy CNN first)."""
    stamp = catalogue.assets_stamp()
    return [] if stamp is None else _shipped(*stamp)


def session_galaxy_job(jobs) -> Any | None:
    """The Images page's job when it has trained (at least an epoch of) a galaxy model."""
    job = jobs.get(SESSION_JOB)
    config = getattr(job, "config", None)
    if job is None or config is None or not is_galaxy_source(config.dataset.name):
        return None
    shape = tuple(getattr(job.dataset, "input_shape", ()))
    if len(shape) != 3 or shape[0] != 3 or not job.history:
        return None
    return job


@st.cache_resource(show_spinner=False, max_entries=4)
def load_shipped(path: str, mtime: float):
    return load_galaxy_model(path)


def model_from_job(job, name: str):
    """A CPU copy of a training job's current network, as a GalaxyModel."""
    last = dict(job.history[-1]) if job.history else {}
    return galaxy_model_from(job.clone_model(), job.head, job.config, job.dataset.input_shape,
                             job.dataset.class_names, job.dataset.normalization, name=name,
                             metrics=last)


# ----- results, cached per file -----------------------------------------------------------------
def digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def result_cache() -> OrderedDict:
    return st.session_state.setdefault("galaxy:results", OrderedDict())


def classify_cached(name: str, data: bytes, model, model_key: str, options) -> Any:
    """core.galaxies.galaxy.classify_bytes, remembered per (model, options, file contents); the kept
    preview is shrunk so that memory stays bounded whatever was uploaded."""
    cache = result_cache()
    key = (model_key, repr(options), name, digest(data))
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    result = slim(classify_bytes(name, data, model, options))
    cache[key] = result
    while len(cache) > RESULT_CACHE:
        cache.popitem(last=False)
    return result


def slim(result):
    """The result with its preview at most PREVIEW_SIDE pixels (box scaled alike) and kept as
    8-bit: 0.7 MB a file instead of up to 50."""
    prepared = result.prepared
    if prepared is None:
        return result
    h, w = prepared.display.shape[:2]
    factor = -(-max(h, w) // PREVIEW_SIDE)
    if factor > 1:
        prepared.display = reduce_to(prepared.display, PREVIEW_SIDE, [])
        scale_y = prepared.display.shape[0] / h
        scale_x = prepared.display.shape[1] / w
        cy, cx, side = prepared.box
        prepared.box = ((cy + 0.5) * scale_y - 0.5, (cx + 0.5) * scale_x - 0.5,
                        side * scale_x)
    prepared.display = to_uint8(prepared.display)
    return result


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def as_unit(image: np.ndarray) -> np.ndarray:
    """0-1 float32 from an 8-bit or float picture."""
    a = np.asarray(image)
    return a.astype(np.float32) / 255 if a.dtype == np.uint8 else a.astype(np.float32)


# ----- pictures ---------------------------------------------------------------------------------
def square_edges(box: tuple[float, float, float]) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), inclusive, of a (centre y, centre x, side) square."""
    cy, cx, side = box
    half = side / 2
    return (int(round(cy - half + 0.5)), int(round(cx - half + 0.5)),
            int(round(cy + half - 0.5)), int(round(cx + half - 0.5)))


def draw_box(image: np.ndarray, box: tuple[float, float, float],
             colour: tuple[float, float, float], width: int = 2) -> np.ndarray:
    """A copy of (H, W, 3) 0-1 `image` with the square's outline drawn (clipped to the
    picture; a frame bigger than the picture shows only the parts inside it)."""
    out = as_unit(image).copy()
    h, w = out.shape[:2]
    top, left, bottom, right = square_edges(box)
    c = np.asarray(colour, dtype=np.float32)
    for k in range(width):
        for row in (top + k, bottom - k):
            if 0 <= row < h:
                out[row, max(left, 0):min(right + 1, w)] = c
        for col in (left + k, right - k):
            if 0 <= col < w:
                out[max(top, 0):min(bottom + 1, h), col] = c
    return out


def preview(prepared, seen_share: float, side: int = PREVIEW_SIDE) -> np.ndarray:
    """The stretched picture with the frame (blue) and the part the network sees (amber); a
    small picture is enlarged first (crisp pixels, thin lines)."""
    display = prepared.display
    factor = max(1, side // max(display.shape[:2]))
    cy, cx, box_side = prepared.box
    if factor > 1:
        display = enlarge(display, factor * max(display.shape[:2]))
        cy, cx, box_side = (cy + 0.5) * factor - 0.5, (cx + 0.5) * factor - 0.5, box_side * factor
    width = max(2, round(max(display.shape[:2]) / 200))
    image = draw_box(display, (cy, cx, box_side), FRAME_COLOUR, width)
    if seen_share < 0.999:
        image = draw_box(image, (cy, cx, box_side * seen_share), SEEN_COLOUR, width)
    return image


def brighten(image: np.ndarray, percentile: float = 99.5) -> np.ndarray:
    """Scale so the `percentile` pixel is white: SDSS cut-outs are dark (mean 0.07) and would
    show as black squares."""
    top = float(np.percentile(image, percentile))
    return np.clip(image / top, 0, 1) if top > 0 else image


def cam_overlay(view: np.ndarray, cam: np.ndarray | None) -> np.ndarray:
    """The network's view (brightened, grey) with Grad-CAM's heat in red → yellow on top."""
    grey = brighten(view).mean(axis=-1)
    if cam is not None:  # its range, not its maximum: an even map must not wash out the view
        low, high = float(np.min(cam)), float(np.max(cam))
        cam = (cam - low) / (high - low) if high - low > 1e-3 * max(high, 1e-12) else None
    return heat_overlay(grey, cam)


def enlarge(image: np.ndarray, side: int = 240) -> np.ndarray:
    """Nearest-neighbour enlargement of a small picture so the browser shows crisp pixels."""
    factor = max(1, side // max(image.shape[:2]))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def thumbnail_uri(image: np.ndarray, side: int = 64) -> str:
    """A PNG data URI of a small copy (for the table's picture column)."""
    a = np.asarray(image, dtype=np.float32)
    factor = max(1, -(-max(a.shape[:2]) // side))
    if factor > 1:
        h, w = a.shape[0] // factor, a.shape[1] // factor
        a = a[:h * factor, :w * factor].reshape(h, factor, w, factor, -1).mean(axis=(1, 3))
    return png_uri(to_uint8(a))


def result_rows(results) -> list[dict[str, Any]]:
    """One table row per file: thumbnail of the network's view, top class, confidence and the
    probabilities, or the file's error."""
    rows = []
    for r in results:
        if r.prediction is None:
            rows.append({"picture": "", "file": r.file, "class": "—", "confidence": None,
                         "note": r.error})
            continue
        p = r.prediction
        note = ", ".join(f"{n} {v:.0%}" for n, v in p.as_dict().items())
        if p.unfamiliar:
            note = f"unlike the training galaxies ({p.unfamiliar}); {note}"
        rows.append({"picture": thumbnail_uri(brighten(p.view)), "file": r.file,
                     "class": p.verdict, "confidence": p.confidence,
                     "runner-up": f"{p.runner_up_label} {p.probabilities[p.runner_up]:.0%}",
                     "note": note})
    return rows


# ----- the page's pieces ------------------------------------------------------------------------
def uploaded(label: str, types: list[str], key: str, multiple: bool = True,
             help: str | None = None) -> list[tuple[str, bytes]]:
    """st.file_uploader as (name, bytes) pairs: the page's one door for files (page tests
    hand files in here, as AppTest cannot drive a file chooser)."""
    files = st.file_uploader(label, type=types, accept_multiple_files=multiple, key=key,
                             help=help)
    if files is None:
        return []
    return [(f.name, f.getvalue()) for f in (files if multiple else [files])]


def resolve_model(chosen: str, choices: list[Choice], own_job, tune_job) -> tuple[Any, str]:
    """The GalaxyModel behind a picker entry, and a key that changes when its weights do."""
    if chosen in ("yours", "tuned"):
        job = own_job if chosen == "yours" else tune_job
        model_key = f"{chosen}:{id(job)}:{job.epoch}:{job.step_count}"
        cached = st.session_state.get("galaxy:model_cache")
        if cached is None or cached[0] != model_key:
            name = "your model" if chosen == "yours" else "fine-tuned"
            cached = (model_key, model_from_job(job, name))
            st.session_state["galaxy:model_cache"] = cached
        return cached[1], model_key
    path = next(c.path for c in choices if c.key == chosen)
    mtime = path.stat().st_mtime
    return load_shipped(str(path), mtime), f"shipped:{path}:{mtime}"


def class_recalls(matrix: Any) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(m) / m.sum(axis=1)


def _recall_parts(names: list[str], matrix: np.ndarray) -> str:
    recalls, counts = class_recalls(matrix), matrix.sum(axis=1)
    return " · ".join(f"{n} {r:.0%} of {int(c):,}" for n, r, c in zip(names, recalls, counts,
                                                                     strict=True)
                      if np.isfinite(r))


def card_line(model) -> str | None:
    """The model's own scores, saying what each was measured on: per-class recall with counts
    on its held-out test split (or on validation for a model trained in this session), on the
    survey-shift test, and how its confidence was calibrated."""
    metrics = model.metrics or {}
    for split, words in (("test", "held-out test galaxies"), ("val", "validation galaxies")):
        matrix = metrics.get(f"{split}_confusion")
        if matrix is None:
            continue
        m = np.asarray(matrix)
        balanced = float(np.nanmean(class_recalls(m)))
        line = (f"**{catalogue.pretty_name(model.name)}** — recall on {int(m.sum()):,} {words}: "
                f"{_recall_parts(model.class_names, m)}; balanced accuracy {balanced:.0%}.")
        shift = metrics.get("shift_confusion") if split == "test" else None
        if shift is not None:
            s = np.asarray(shift)
            line += (f" On the survey-shift test (the same galaxies redrawn as other surveys and "
                     f"cameras show them, {int(s.sum()):,} pictures): "
                     f"{_recall_parts(model.class_names, s)}; balanced accuracy "
                     f"{float(np.nanmean(class_recalls(s))):.0%}.")
        unsure = getattr(model, "unsure_below", None)
        if unsure is not None:
            ece = metrics.get("test_ece")
            error = f" (calibration error {ece:.1%} on the test split)" if ece is not None else ""
            line += (f" Confidence calibrated on validation galaxies{error}; below {unsure:.0%} "
                     "it says unsure.")
        return line + f" It sees {model.input_shape[2]}×{model.input_shape[1]} pixels."
    return None


def unreliable_notes(model) -> dict[str, str]:
    """Class → a plain sentence on why its calls cannot be trusted (core.galaxies.galaxy_eval's
    rule),
    from the model's test and survey-shift confusion matrices."""
    metrics = model.metrics or {}
    test, shift = metrics.get("test_confusion"), metrics.get("shift_confusion")
    if test is None:
        return {}
    t = np.asarray(test)
    s = None if shift is None else np.asarray(shift)
    notes = {}
    for name in unreliable_classes(list(model.class_names), t, s):
        c = list(model.class_names).index(name)
        text = (f"**{name.capitalize()} calls are unreliable.** The model found {int(t[c, c])} of "
                f"{int(t[c].sum())} held-out test {name}s")
        if s is not None:
            text += f" and {int(s[c, c])} of {int(s[c].sum())} on the survey-shift test"
        called = int(t[:, c].sum())
        if called:
            text += (f"; {called - int(t[c, c])} of its {called} {name} calls on the test split "
                     "were wrong")
        notes[name] = text + "."
    return notes


def add_examples(model, per_class: int = 1) -> str | None:
    """Put one random held-out test galaxy of each class among the files; a message when the
    data set is not on this machine."""
    source = model.config.dataset if model.config is not None else DatasetConfig(
        name="galaxy_zoo", task="morphology")
    seed = int(np.random.default_rng().integers(1 << 31))
    try:
        with st.spinner("Picking test galaxies…"):
            picked = example_galaxies(source, per_class=per_class, seed=seed)
    except DatasetUnavailable as exc:
        return f"No example galaxies on this machine: {exc}"
    examples = st.session_state.setdefault("galaxy:examples", [])
    examples[:] = (examples + picked)[-24:]
    return None


def results_table(results, truth: dict[str, str]) -> None:
    """All files in one table (the network's view, top class, confidence), and the CSV."""
    rows = result_rows(results)
    if truth:  # beside the network's call, where a wide note cannot push it out of view
        rows = [{**{k: v for k, v in row.items() if k != "note"},
                 "true class": truth.get(row["file"], ""), "note": row.get("note", "")}
                for row in rows]
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "picture": st.column_config.ImageColumn("network's view", width="small"),
        "confidence": st.column_config.ProgressColumn("confidence", format="percent",
                                                      min_value=0.0, max_value=1.0),
        "note": st.column_config.TextColumn("probabilities, or why there are none")})
    st.download_button("Download all predictions (CSV)", predictions_csv(results),
                       file_name="galaxy_predictions.csv", mime="text/csv",
                       icon=":material/download:", key="galaxy:csv", on_click="ignore")


def detail_view(result, model, true_class: str | None = None) -> None:
    """One file: the framed picture, the network's input, Grad-CAM, and the verdict."""
    p, prepared = result.prediction, result.prepared
    left, middle, right = st.columns([1.25, 1, 1.3], gap="medium")
    with left:
        st.image(preview(prepared, model.seen_share), width="stretch",
                 caption=f"{literal(result.file)} · {result.kind} — blue: the frame, matched "
                         "to the "
                         "training cut-outs; amber: the part the network sees")
    with middle:
        size = f"{p.view.shape[1]}×{p.view.shape[0]}"
        st.image(enlarge(brighten(p.view)), width="stretch",
                 caption=f"What the network gets: {size} pixels (brightened to show)")
        st.image(enlarge(cam_overlay(p.view, p.cam)), width="stretch",
                 caption=f"Grad-CAM: the pixels that pushed it towards “{literal(p.label)}”")
    with right:
        second = f"{literal(p.runner_up_label)} {p.probabilities[p.runner_up]:.0%}"
        if p.unsure:
            st.markdown(f"### Unsure: {literal(p.label)} {p.confidence:.0%} or {second}")
            st.caption(f"Below {p.unsure_below:.0%} the model's calls are too often wrong to "
                       "trust (see its card): look at the picture yourself.")
        else:
            st.markdown(f"### {literal(p.label)} · {p.confidence:.0%}")
            st.caption(f"Runner-up: {second}")
        if p.warning:
            st.warning(p.warning, icon=":material/report:")
        note = unreliable_notes(model).get(p.label)
        if note:
            st.warning(note, icon=":material/warning:")
        st.markdown(literal(p.description))
        names = list(p.class_names)
        truth = names.index(true_class) if true_class in names else None
        st.altair_chart(ic.probability_chart(p.probabilities, names, true_class=truth),
                        width="stretch")
        if true_class is not None:
            verdict = "right" if true_class == p.label else "wrong"
            st.caption(f"A held-out test galaxy that Galaxy Zoo volunteers called "
                       f"**{literal(true_class)}**: the network is {verdict}.")
        for note in prepared.notes:
            st.caption(f"• {note}")
