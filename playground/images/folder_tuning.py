"""Train on images → "Your pictures": start from a fresh network or fine-tune a shipped model.

The choice (which model, which layers stay frozen) lives in its own canonical dict, saved with
the page's setup, so leaving the page or reloading it finds the fine-tuning run again rather
than replacing it with a fresh network. The pictures are read as the chosen model expects (its
side, channels and normalisation: core.models.transfer), and its job is the page's usual one,
started
from the pretrained weights.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from core.config import RunConfig
from core.data.base import FOLDERS
from core.errors import ConfigError
from core.models.transfer import (
    FREEZE,
    Pretrained,
    finetune_config,
    finetune_dataset,
    freeze_choices,
    load_pretrained,
    warm_weights,
)
from playground.jobs import new_job, session_jobs
from playground.literal import literal
from playground.model_catalogue import shipped_models
from playground.state import canonical, keyed_widget, load_config, widget_key

SCRATCH = "scratch"


@dataclass
class FineTune:
    """The shipped model the run starts from, and how much of it stays frozen."""

    key: str
    label: str
    base: Pretrained
    freeze: str


def _page(page: str) -> str:
    return f"{page}.tune"


def _choice(page: str) -> dict[str, Any]:
    """{"base": model key or SCRATCH, "freeze": FREEZE key}, created on first use."""
    try:
        return canonical(_page(page))
    except KeyError:
        load_config(_page(page), {"base": SCRATCH, "freeze": "convolutions"})
        return canonical(_page(page))


def _shipped() -> dict[str, tuple[str, Path]]:
    """key → (label, file) of the models in the catalogue that have a file."""
    return {e.key: (e.label, e.path) for e in shipped_models() if e.path is not None}


@st.cache_resource(max_entries=4, show_spinner=False)
def _load(path: str, stamp: float) -> Pretrained | str:
    del stamp  # the file's time: a retrained model is read again
    try:
        return load_pretrained(path)
    except ConfigError as exc:
        return str(exc)


def chosen(page: str) -> FineTune | str | None:
    """The fine-tuning the page is set to: None for a fresh network (or data that are not your
    pictures), a message when the chosen model cannot be used."""
    if canonical(page)["dataset"]["name"] != FOLDERS:
        return None
    choice = _choice(page)
    if choice["base"] == SCRATCH:
        return None
    models = _shipped()
    if choice["base"] not in models:
        return (f"the model {choice['base']} is not among the shipped models any more: "
                "choose another starting point")
    label, path = models[choice["base"]]
    try:
        base = _load(str(path), path.stat().st_mtime)
    except OSError as exc:
        base = f"cannot read the model {path.name}: {exc.strerror or exc}"
    if isinstance(base, str):
        return base
    choices = freeze_choices(base.config.network.layers)
    freeze = choice["freeze"] if choice["freeze"] in choices else next(iter(choices))
    return FineTune(choice["base"], label, base, freeze)


def start_from_panel(page: str) -> FineTune | str | None:
    """The sidebar's "Start from" radio, the frozen-layers choice and how the pictures will be
    read; returns `chosen(page)`."""
    choice = _choice(page)
    models = _shipped()
    options = [SCRATCH, *models]
    if choice["base"] not in options:
        choice["base"] = SCRATCH
    choice["base"] = keyed_widget(
        st.radio, "Start from", widget_key(_page(page), "base"), choice["base"], options,
        format_func=lambda k: ("a fresh network (the layers you build)" if k == SCRATCH
                               else f"fine-tune {models[k][0]}"),
        help="Fine-tuning keeps a shipped model's trained layers and gives it a fresh output "
             "layer for your classes: a few dozen pictures per class can be enough.")
    tune = chosen(page)
    if isinstance(tune, FineTune):
        choices = freeze_choices(tune.base.config.network.layers)
        choice["freeze"] = keyed_widget(
            st.radio, "Freeze", widget_key(_page(page), "freeze"), tune.freeze, list(choices),
            format_func=FREEZE.__getitem__,
            help="Frozen layers keep their trained weights (and batch-norm statistics).")
        tune.freeze = choice["freeze"]
        st.caption(literal(f"Your pictures are read as {tune.label} expects: "
                           f"{tune.base.reads()}."))
    return tune


def tuned_run(tune: FineTune | str | None, own: RunConfig | None, problem: str | None
              ) -> tuple[RunConfig | None, Any, str | None]:
    """(config, dataset, problem) of the fine-tuning run built on the page's own settings
    (zip, splits, augmentation, training knobs); (None, None, why) when it cannot be made."""
    if isinstance(tune, str):
        return None, None, tune
    if tune is None or own is None:
        return None, None, problem
    try:
        config = finetune_config(tune.base, own, tune.freeze)
        dataset = _dataset(_dataset_key(config, tune), config, tune.base)
    except ConfigError as exc:
        return None, None, str(exc)
    return config, dataset, None


def _dataset_key(config: RunConfig, tune: FineTune) -> str:
    return json.dumps([asdict(config.dataset), tune.key, tune.base.side, tune.base.channels,
                       None if tune.base.mean is None else tune.base.mean.tolist()],
                      sort_keys=True)


@st.cache_resource(max_entries=2, show_spinner="Reading your pictures…")
def _dataset(key: str, _config: RunConfig, _base: Pretrained):
    """Read-only once made, so every job and rerun of the same pictures shares one copy."""
    del key
    return finetune_dataset(_config, _base)


def warm_start(tune: FineTune | str | None) -> Callable[[], dict] | None:
    """For sync_job: the pretrained weights a new fine-tuning job begins from."""
    if not isinstance(tune, FineTune):
        return None
    return lambda: warm_weights(tune.base)


def reset(page: str, tune: FineTune | str | None, config: RunConfig | None,
          dataset: Any) -> Callable[[], None] | None:
    """For control_bar: Reset starts again from the pretrained weights (None: the default
    fresh-weights reset)."""
    if not isinstance(tune, FineTune) or config is None:
        return None

    def again() -> None:
        try:
            session_jobs().replace(page, new_job(config, dataset,
                                                 warm_start=warm_weights(tune.base)))
        except ConfigError as exc:
            st.toast(literal(str(exc)), icon=":material/block:")

    return again


def network_note(tune: FineTune) -> None:
    """What replaces the layer editor while fine-tuning."""
    frozen = {"convolutions": "its convolutional layers stay frozen",
              "all_hidden": "every hidden layer stays frozen",
              "none": "every layer keeps learning"}[tune.freeze]
    st.markdown(f"Fine-tuning **{literal(tune.label)}**: its trained layers and a fresh "
                f"output layer for your classes; {frozen}.")
    st.caption("Choose *a fresh network* under *Start from* in the sidebar to build your "
               "own layers instead.")


def job_note(job: Any, tune: FineTune | str | None) -> None:
    """How many weights learn and how many stay as trained."""
    if job is None or not isinstance(tune, FineTune):
        return
    frozen = sum(p.numel() for p in job.model.parameters() if not p.requires_grad)
    trainable = sum(p.numel() for p in job.model.parameters() if p.requires_grad)
    st.caption(literal(f"Fine-tuning {tune.label} on {', '.join(job.dataset.class_names)}: "
                       f"{trainable:,} weights learn, {frozen:,} stay as trained (frozen)."))


def script_data_file(config: RunConfig) -> str | None:
    """Where the exported script looks for its data: mnist.npz, or the zip's own name."""
    if config.dataset.name == "mnist":
        return "mnist.npz"
    if config.dataset.name == FOLDERS and config.dataset.path:
        return Path(config.dataset.path).name
    return None
