"""The layer-stack editor: any sequence of the core's layer types, each with its own settings.

Generic over core.layers.LAYERS: a parameter's kind and range decide its widget, so a layer
type added to the registry appears here with no UI change. Structural edits (add, remove, move,
starter architectures) run in callbacks and forget the rows' widget values, so every row then
shows the layer now at its position.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.activations import ACTIVATIONS
from core.layers import LAYERS, Param, with_defaults
from playground.state import canonical, keyed_widget, widget_key

_LABELS = {
    "units": "units",
    "filters": "filters",
    "kernel": "kernel",
    "stride": "stride",
    "padding": "padding",
    "size": "window",
    "rate": "rate",
    "pieces": "pieces k",
    "activation": "activation",
}


def _forget_rows(page: str) -> None:
    prefix = widget_key(page, "stack.")
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


def set_layers(page: str, layers: list[dict[str, Any]]) -> None:
    canonical(page)["network"]["layers"] = [dict(layer) for layer in layers]
    _forget_rows(page)


def _remove(page: str, index: int) -> None:
    layers = canonical(page)["network"]["layers"]
    del layers[index]
    _forget_rows(page)


def _move_up(page: str, index: int) -> None:
    layers = canonical(page)["network"]["layers"]
    layers[index - 1], layers[index] = layers[index], layers[index - 1]
    _forget_rows(page)


def _add(page: str) -> None:
    kind = st.session_state[widget_key(page, "add_type")]
    defaults = with_defaults({"type": kind})
    canonical(page)["network"]["layers"].append(defaults)
    _forget_rows(page)


def _param_widget(page: str, row: int, name: str, param: Param, value: Any) -> Any:
    key = widget_key(page, f"stack.{row}.{name}")
    label = _LABELS.get(name, name)
    if param.choices is not None:
        fmt = (lambda a: ACTIVATIONS[a].label) if name == "activation" else str
        return keyed_widget(st.selectbox, label, key, value, list(param.choices),
                            format_func=fmt)
    if param.kind is float:
        return keyed_widget(st.number_input, label, key, value, min_value=float(param.low),
                            max_value=float(param.high), step=0.05)
    help_text = "0 = same as the window" if name == "stride" and param.low == 0 else None
    return keyed_widget(st.number_input, label, key, value, min_value=int(param.low),
                        max_value=int(param.high), step=1, help=help_text)


def stack_editor(page: str) -> None:
    layers: list[dict[str, Any]] = canonical(page)["network"]["layers"]
    for i, layer in enumerate(layers):
        kind = LAYERS[layer["type"]]
        spec = with_defaults(layer)
        names = [
            n for n in kind.params if not (n == "pieces" and spec.get("activation") != "maxout")
        ]
        with st.container(border=True):
            head = st.columns([3, 0.6, 0.6], vertical_alignment="center")
            frozen = "" if spec.get("trainable", True) else " · frozen (weights kept as loaded)"
            head[0].markdown(f"**{i + 1}. {kind.label}**{frozen}")
            head[1].button(
                "",
                icon=":material/arrow_upward:",
                key=widget_key(page, f"up{i}"),
                disabled=i == 0,
                on_click=_move_up,
                args=(page, i),
                help="Move this layer up",
            )
            head[2].button(
                "",
                icon=":material/close:",
                key=widget_key(page, f"rm{i}"),
                on_click=_remove,
                args=(page, i),
                help="Remove this layer",
            )
            if names:
                cols = st.columns(min(3, len(names)))
                for j, name in enumerate(names):
                    with cols[j % len(cols)]:
                        spec[name] = _param_widget(page, i, name, kind.params[name], spec[name])
        if spec.get("activation") != "maxout":
            spec.pop("pieces", None)
        layers[i] = spec
    cols = st.columns([2, 1], vertical_alignment="bottom")
    cols[0].selectbox(
        "Add a layer",
        list(LAYERS),
        key=widget_key(page, "add_type"),
        format_func=lambda k: LAYERS[k].label,
    )
    cols[1].button(
        "Add",
        icon=":material/add:",
        key=widget_key(page, "add"),
        on_click=_add,
        args=(page,),
        width="stretch",
    )
