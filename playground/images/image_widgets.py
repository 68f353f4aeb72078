"""Widgets of the image-training page: dataset, augmentation and the training knobs."""

from __future__ import annotations

import streamlit as st

from core.config import DEVICES
from core.data.base import FOLDERS
from core.data.images import AUGMENTATIONS, IMAGE_SOURCES, NORMALIZATIONS
from core.optimizers import OPTIMIZERS
from playground.images.folder_tuning import chosen
from playground.images.folders_panel import folders_panel
from playground.images.image_setup import LESSON_NOTES, STARTER_FOR, STARTERS, default_image_config
from playground.stack_editor import set_layers
from playground.state import bind, bind_value, canonical, from_state, load_config, widget_key
from playground.widgets import LEARNING_RATES, fmt_number, with_value

SUBSETS = [500, 1000, 2000, 5000, 10_000, 20_000, None]


def _switch_dataset(page: str) -> None:
    name = st.session_state[widget_key(page, "source")]
    load_config(page, default_image_config(name))


def _source_label(name: str) -> str:
    return "Your pictures (zip of class folders)" if name == FOLDERS else IMAGE_SOURCES[name].label


def dataset_panel(page: str) -> None:
    data = canonical(page)["dataset"]
    key = widget_key(page, "source")
    st.session_state.setdefault(key, data["name"])
    from_state(st.selectbox, "Dataset", [*IMAGE_SOURCES, FOLDERS], key=key,
               format_func=_source_label, on_change=_switch_dataset, args=(page,),
               help="Switching the dataset loads its starter network and settings.")
    if data["name"] == FOLDERS:
        folders_panel(page)
    else:
        _source_panel(page)
    bind(page, "dataset", "val_fraction", st.slider, "Validation share", 0.05, 0.3, step=0.05)
    if chosen(page) is None:  # a fine-tuned model's pictures are normalised as its data were
        bind(page, "dataset", "normalization", st.selectbox, "Normalisation",
             list(NORMALIZATIONS), format_func=lambda n: NORMALIZATIONS[n])


def _source_panel(page: str) -> None:
    data = canonical(page)["dataset"]
    source = IMAGE_SOURCES[data["name"]]
    st.caption(source.description)
    if data["name"] in LESSON_NOTES:
        st.caption(f"**What to watch:** {LESSON_NOTES[data['name']]}")
    if len(source.tasks) > 1:
        data["task"] = data["task"] or source.default_task
        bind(page, "dataset", "task", st.selectbox, "Task", list(source.tasks),
             format_func=lambda t: source.tasks[t].label)
    bind(page, "dataset", "subset", st.select_slider, "Training images",
         SUBSETS if data["subset"] in SUBSETS else sorted([*SUBSETS[:-1], data["subset"]])
         + [None], format_func=lambda v: "all" if v is None else f"{v:,}",
         help="A subset trains fast for a first lesson; 'all' uses the whole training set.")
    if data["name"].startswith("galaxy"):
        sizes = [32, 48, 64, 69, 96, 128]
        current = data["image_size"] or (69 if data["name"] != "galaxy10_decals" else 256)
        bind_value(page, "image_size", current, st.select_slider, "Image size (pixels)",
                   sorted(set([*sizes, current])))
        chosen = st.session_state[widget_key(page, "image_size")]
        data["image_size"] = None if chosen == 69 and data["name"] != "galaxy10_decals" \
            else chosen


def augmentation_panel(page: str) -> None:
    data = canonical(page)["dataset"]
    aug = dict(data["augment"])
    flips = data["name"] == FOLDERS or IMAGE_SOURCES[data["name"]].flips_allowed
    limits = {"shift": (0, 8, 1, "Random shift (pixels)"),
              "rotation": (0, 180, 5, "Random rotation (degrees)"),
              "scale": (0.0, 0.5, 0.05, "Random zoom (± share)"),
              "brightness": (0.0, 0.5, 0.05, "Brightness change (±)"),
              "noise": (0.0, 0.3, 0.01, "Pixel noise (std)"),
              "stretch": (0.0, 1.0, 0.05, "Display stretch change (±, log)"),
              "colour": (0.0, 1.0, 0.05, "Colour scheme change"),
              "blur": (0.0, 2.0, 0.1, "Blur / sharpen (σ, pixels)")}
    for name in AUGMENTATIONS:
        if name == "flip":
            on = bind_value(page, "aug.flip", bool(aug.get("flip")) and flips, st.checkbox,
                            "Random flips", disabled=not flips,
                            help=None if flips else "Off for digits: a flipped 2 is not a 2.")
            value = bool(on) and flips
        else:
            low, high, step, label = limits[name]
            value = bind_value(page, f"aug.{name}", type(low)(aug.get(name, low)), st.slider,
                               label, low, high, step=step)
        if value:
            aug[name] = value
        else:
            aug.pop(name, None)
    data["augment"] = aug


def starter_picker(page: str) -> None:
    data = canonical(page)["dataset"]
    key = widget_key(page, "starter")
    st.session_state.setdefault(key, STARTER_FOR[data["name"]])
    cols = st.columns([2, 1], vertical_alignment="bottom")
    from_state(cols[0].selectbox, "Starter architecture", list(STARTERS), key=key,
               format_func=lambda s: STARTERS[s][0])
    cols[1].button("Use", key=widget_key(page, "use_starter"), width="stretch",
                   on_click=lambda: set_layers(page, STARTERS[st.session_state[key]][1]))


def training_panel(page: str) -> None:
    training = canonical(page)["training"]
    bind(page, "training", "loss", st.selectbox, "Loss", ["cce", "hinge", "mse"],
         format_func={"cce": "Categorical cross-entropy", "hinge": "Hinge (multi-class)",
                      "mse": "Mean squared error (on probabilities)"}.get)
    bind(page, "training", "optimizer", st.selectbox, "Optimizer", list(OPTIMIZERS),
         format_func=lambda n: OPTIMIZERS[n].label)
    bind(page, "training", "lr", st.select_slider, "Learning rate",
         with_value(LEARNING_RATES, training["lr"]), format_func=fmt_number)
    bind(page, "training", "lr_schedule", st.selectbox, "Learning-rate schedule",
         ["constant", "cosine"],
         format_func={"constant": "constant", "cosine": "cosine decay to 0 over the epochs"}.get)
    bind(page, "training", "batch_size", st.select_slider, "Batch size",
         with_value([8, 16, 32, 64, 128, 256, 512], training["batch_size"]))
    bind(page, "training", "epochs", st.number_input, "Epochs", min_value=1, max_value=500,
         step=1)
    bind(page, "training", "class_weights", st.selectbox, "Class weights",
         ["none", "sqrt", "balanced"],
         format_func={"none": "none (every image counts the same)",
                      "sqrt": "milder (by 1/√frequency)",
                      "balanced": "balanced (rare classes count as much)"}.get)
    on = bind_value(page, "early_stopping_on", training["early_stopping"] is not None,
                    st.toggle, "Early stopping on validation loss")
    training["early_stopping"] = (bind_value(page, "patience", training["early_stopping"] or 3,
                                             st.number_input, "Patience (epochs)", min_value=1,
                                             max_value=100, step=1) if on else None)
    bind(page, "training", "l2", st.select_slider, "L2 strength",
         with_value([0.0, 1e-6, 1e-5, 1e-4, 1e-3], training["l2"]), format_func=fmt_number)
    bind(page, "training", "seed", st.number_input, "Seed", min_value=0, step=1)
    bind(page, "training", "device", st.selectbox, "Device", list(DEVICES))
