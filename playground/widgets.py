"""Widgets that read and write the page's configuration (see playground.state.bind).

Option lists come from the core registries, so adding an activation or optimizer there makes
it appear here with no UI change.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.activations import ACTIVATIONS
from core.config import DEVICES
from core.data import FEATURES, TOY_DATASETS
from core.data.base import TABLE
from core.initializers import INITIALIZERS
from core.layers import LAYERS
from core.losses import LOSSES, REGRESSION_LOSSES
from core.optimizers import OPTIMIZERS
from playground.state import bind, bind_value, canonical, widget_key
from playground.table_panel import forget_table, table_classes, table_panel

LEARNING_RATES = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REGULARIZATION = [0.0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0]
BATCH_SIZES = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 250, 500, 1000]
MAX_HIDDEN_LAYERS = 32


def fits_playground(config: Any) -> str | None:
    """Why the Playground's widgets cannot show a (valid) config from a link or a file — an
    image dataset, more hidden layers than the editor holds, a layer that is not dense — or
    None. Said plainly instead of silently dropping layers or blaming a setting."""
    data, layers = config.dataset, config.network.layers
    if data.name not in (*TOY_DATASETS, TABLE):
        return f"it is for the {data.name} dataset, not a 2-D playground one"
    if len(layers) > MAX_HIDDEN_LAYERS:
        return (f"it has {len(layers):,} hidden layers; the Playground holds at most "
                f"{MAX_HIDDEN_LAYERS}")
    for i, layer in enumerate(layers, start=1):
        if layer["type"] != "dense":
            return (f"layer {i} is a {LAYERS[layer['type']].label} layer; the Playground's "
                    "hidden layers are dense (Train on images has the others)")
    return None


def with_value(options: list, value: Any) -> list:
    """Keep a value from a link or file selectable even when it is off the usual grid."""
    return options if value in options else sorted([*options, value])


def fmt_number(value: float) -> str:
    return f"{value:g}"


def dataset_label(name: str) -> str:
    return "Your own table (CSV)" if name == TABLE else TOY_DATASETS[name].label


def dataset_panel(page: str) -> None:
    data = canonical(page)["dataset"]
    name = bind(page, "dataset", "name", st.selectbox, "Dataset", [*TOY_DATASETS, TABLE],
                format_func=dataset_label)
    if name == TABLE:
        table_panel(page)
        return
    if data.get("path"):
        forget_table(data)
    toy = TOY_DATASETS[name]
    if toy.task == "classification" and toy.max_classes > 2:
        bind(page, "dataset", "classes", st.number_input, "Classes", min_value=2,
             max_value=toy.max_classes, step=1)
    elif toy.task == "classification":
        data["classes"] = 2
    bind(page, "dataset", "samples", st.number_input, "Number of points", min_value=4,
         max_value=20_000, step=50)
    bind(page, "dataset", "noise", st.slider, "Noise", min_value=0.0, max_value=1.0, step=0.01)
    bind(page, "dataset", "train_fraction", st.slider, "Training share", min_value=0.05,
         max_value=0.95, step=0.05, help="The rest is the test set (drawn with a dark outline).")
    bind(page, "dataset", "seed", st.number_input, "Data seed", min_value=0, step=1)


def feature_toggles(page: str) -> None:
    """TF Playground's input column: which functions of (x1, x2) the network receives."""
    data = canonical(page)["dataset"]
    if data["name"] == TABLE:
        return  # a table's inputs are its chosen columns (the Data panel)
    dims = TOY_DATASETS[data["name"]].dims
    chosen = []
    st.markdown("**Inputs**")
    cols = st.columns(2)
    for i, (name, (label, needs)) in enumerate(FEATURES.items()):
        if needs >= dims:
            continue
        with cols[i % 2]:
            on = bind_value(page, f"feature.{name}", name in data["features"], st.checkbox,
                            label)
        if on:
            chosen.append(name)
    data["features"] = chosen


def layer_editor(page: str) -> None:
    """Hidden layers: how many, and for each its width and activation (per layer)."""
    layers: list[dict[str, Any]] = canonical(page)["network"]["layers"]
    count = bind_value(page, "layers.count", len(layers), st.number_input, "Hidden layers",
                       min_value=0, max_value=MAX_HIDDEN_LAYERS, step=1,
                       help="0 hidden layers = a single perceptron.")
    while len(layers) < count:
        last = layers[-1] if layers else {"type": "dense", "units": 4, "activation": "tanh"}
        layers.append(dict(last))
    del layers[count:]
    acts = list(ACTIVATIONS)
    for i, layer in enumerate(layers, start=1):
        cols = st.columns([1, 1.4, 0.8] if layer.get("activation") == "maxout" else [1, 1.4])
        with cols[0]:
            layer["units"] = bind_value(page, f"layer{i}.units", layer.get("units", 4),
                                        st.number_input, f"Layer {i} neurons", min_value=1,
                                        max_value=4096, step=1)
        with cols[1]:
            layer["activation"] = bind_value(page, f"layer{i}.activation",
                                             layer.get("activation", "tanh"), st.selectbox,
                                             f"Layer {i} activation", acts,
                                             format_func=lambda a: ACTIVATIONS[a].label)
        if layer["activation"] == "maxout":
            with cols[2]:
                layer["pieces"] = bind_value(page, f"layer{i}.pieces", layer.get("pieces", 2),
                                             st.number_input, "pieces k", min_value=2,
                                             max_value=8, step=1)
        else:
            layer.pop("pieces", None)


def valid_losses(page: str) -> list[str]:
    data = canonical(page)["dataset"]
    if data["name"] == TABLE:
        task, classes = table_classes(data)
    else:
        toy = TOY_DATASETS[data["name"]]
        task = toy.task
        classes = data["classes"] if toy.max_classes > 2 else 2
    if task == "regression":
        return list(REGRESSION_LOSSES)
    return [loss for loss in LOSSES if not (loss == "bce" and classes != 2)]


def training_panel(page: str) -> None:
    config = canonical(page)
    training = config["training"]
    losses = valid_losses(page)
    if training["loss"] not in losses:
        fallback = "cce" if "cce" in losses else losses[0]
        st.toast(f"Loss switched to {LOSSES[fallback]}: {LOSSES[training['loss']]} does not "
                 "fit this dataset.")
        training["loss"] = fallback
        st.session_state.pop(widget_key(page, "training.loss"), None)
    bind(page, "training", "loss", st.selectbox, "Loss", losses,
         format_func=lambda n: LOSSES[n])
    optimizer = bind(page, "training", "optimizer", st.selectbox, "Optimizer", list(OPTIMIZERS),
                     format_func=lambda n: OPTIMIZERS[n].label)
    bind(page, "training", "lr", st.select_slider, "Learning rate",
         with_value(LEARNING_RATES, training["lr"]), format_func=fmt_number)
    knobs = OPTIMIZERS[optimizer].knobs
    if "momentum" in knobs:
        bind(page, "training", "momentum", st.slider, "Momentum ρ", 0.0, 0.99, step=0.01)
    if "rho" in knobs:
        bind(page, "training", "rho", st.slider, "Decay ρ (squared-gradient average)", 0.0,
             0.999, step=0.001, format="%.3f")
    if "beta1" in knobs:
        bind(page, "training", "beta1", st.slider, "β1 (first moment)", 0.0, 0.999, step=0.001,
             format="%.3f")
        bind(page, "training", "beta2", st.slider, "β2 (second moment)", 0.0, 0.9999,
             step=0.0001, format="%.4f")
    if "weight_decay" in knobs:
        bind(page, "training", "weight_decay", st.select_slider, "Weight decay (decoupled)",
             with_value(REGULARIZATION, training["weight_decay"]), format_func=fmt_number)
    bind(page, "training", "batch_size", st.select_slider, "Batch size",
         with_value(BATCH_SIZES, training["batch_size"]),
         help="A batch larger than the training set means full-batch gradient descent.")
    bind(page, "training", "epochs", st.number_input, "Epochs", min_value=1,
         max_value=1_000_000, step=100)


def regularization_panel(page: str) -> None:
    training = canonical(page)["training"]
    bind(page, "training", "l1", st.select_slider, "L1 strength",
         with_value(REGULARIZATION, training["l1"]), format_func=fmt_number)
    bind(page, "training", "l2", st.select_slider, "L2 strength",
         with_value(REGULARIZATION, training["l2"]), format_func=fmt_number)
    bind(page, "training", "dropout", st.slider, "Dropout rate (hidden layers)", 0.0, 0.9,
         step=0.05)
    on = bind_value(page, "early_stopping_on", training["early_stopping"] is not None,
                    st.toggle, "Early stopping")
    if on:
        patience = bind_value(page, "early_stopping", training["early_stopping"] or 20,
                              st.number_input, "Patience (epochs without a better test loss)",
                              min_value=1, max_value=10_000, step=1)
        training["early_stopping"] = patience
    else:
        training["early_stopping"] = None


def init_panel(page: str) -> None:
    network = canonical(page)["network"]
    init = bind(page, "network", "init", st.selectbox, "Weight initialisation",
                list(INITIALIZERS), format_func=lambda n: INITIALIZERS[n].label)
    if INITIALIZERS[init].uses_std:
        bind(page, "network", "init_std", st.select_slider, "Initial weight std",
             with_value([0.001, 0.01, 0.1, 0.3, 0.5, 1.0, 2.0, 4.0, 10.0],
                         network["init_std"]), format_func=fmt_number)
    bind(page, "training", "seed", st.number_input, "Weight seed", min_value=0, step=1)
    bind(page, "training", "device", st.selectbox, "Device", list(DEVICES),
         help="auto uses a CUDA or Apple GPU when there is one, else the CPU.")
