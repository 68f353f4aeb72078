"""The page's configuration: one canonical dict in session state, widgets bound to it, and the
URL kept in step so a copied link reopens the same setup.

Streamlit forgets the value of any widget that is not drawn in a run (switching the optimizer
hides the momentum slider, for instance), so widget keys are never the source of truth: each
bound widget reads its starting value from the canonical dict and writes its value back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import streamlit as st

from core.config import RunConfig
from core.errors import ConfigError
from core.share import config_from_params, config_to_params


def widget_key(page: str, name: str) -> str:
    """Widget keys are scoped by page, so two pages never share a widget's remembered value."""
    return f"{page}:{name}"


def _config_key(page: str) -> str:
    return f"_config.{page}"


def canonical(page: str) -> dict[str, Any]:
    """The page's config as a plain dict (may hold values that do not validate yet)."""
    return st.session_state[_config_key(page)]


def load_config(page: str, config: RunConfig | dict[str, Any]) -> None:
    """Replace the page's config and forget widget values, so widgets show the new one.

    Call it from a callback or before any bound widget is drawn in this run.
    """
    data = config.to_dict() if isinstance(config, RunConfig) else copy.deepcopy(config)
    st.session_state[_config_key(page)] = data
    for key in [k for k in st.session_state if str(k).startswith(f"{page}:")]:
        del st.session_state[key]


def init_config(page: str, presets: dict[str, Any], default_preset: str,
                use_url: bool = True,
                fits: Callable[[RunConfig], str | None] | None = None) -> str | None:
    """First run of a session: take the config from the link (or `?preset=`), else the default.

    Returns a message when the link was unusable (defaults loaded instead), also kept for
    link_note; `fits` says why a valid config is still one the page's widgets cannot show. The
    message quotes the link's values: show it with playground.literal.literal.
    """
    note_key = _note_key(page)
    if _config_key(page) in st.session_state:
        return None
    params = st.query_params.to_dict() if use_url else {}
    message = None
    config: RunConfig | dict | None = None
    try:
        if params.get("preset") in presets:
            config = presets[params["preset"]]
        else:
            config = config_from_params(params)
            problem = fits(config) if fits is not None and config is not None else None
            if problem:
                raise ConfigError(problem)
    except ConfigError as exc:
        config = None
        message = f"This link's configuration could not be used ({exc}); showing the default."
    load_config(page, config if config is not None else presets[default_preset])
    if message is not None:
        st.session_state[note_key] = (message, copy.deepcopy(canonical(page)))
    return message


def _note_key(page: str) -> str:
    return f"_link_note.{page}"


def link_note(page: str) -> str | None:
    """The unusable link's message, on every run until the user changes the setup (the tab-id
    rerun right after the first run must not wipe it). Call it after the widgets are bound."""
    note = st.session_state.get(_note_key(page))
    if note is not None and note[1] == canonical(page):
        return note[0]
    st.session_state.pop(_note_key(page), None)
    return None


def sync_url(config: RunConfig) -> None:
    """Write the config into the address bar (only when it changed, to avoid churn)."""
    params = config_to_params(config)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def keyed_widget(widget: Callable[..., Any], label: str, key: str, value: Any,
                 *args: Any, **kwargs: Any) -> Any:
    """Draw `widget` under `key`, starting at `value` (kept in Session State when new).

    The value also goes in as the widget's own default: a script run cut short by a rerun
    (the tab id arriving, a live-view trigger) can leave the browser without the value set
    through Session State, and it then shows and sends back the widget's default, e.g. a
    "Number of points" of 4 and no input feature while the server holds 500 and (x1, x2).
    """
    if key not in st.session_state:
        st.session_state[key] = value
    return widget(label, *args, key=key, **_with_default(widget, st.session_state[key], args,
                                                         kwargs))


def from_state(widget: Callable[..., Any], label: str, *args: Any, key: str,
               **kwargs: Any) -> Any:
    """Draw `widget` under `key`, whose value the page put in Session State beforehand, and
    pass that value as the widget's default too (see keyed_widget)."""
    if key in st.session_state:
        kwargs = _with_default(widget, st.session_state[key], args, kwargs)
    return widget(label, *args, key=key, **kwargs)


def _with_default(widget: Callable[..., Any], current: Any, args: tuple,
                  kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs` plus the widget's default argument set to `current`, where it fits the widget
    (numbers in the widget's own type; a choice among its options); else unchanged."""
    kind = getattr(widget, "__name__", "")
    if kind in ("selectbox", "radio", "select_slider"):
        options = list(args[0] if args else kwargs.get("options", []))
        if current not in options or len(args) > 1 or {"index", "value"} & kwargs.keys():
            return kwargs
        if kind == "select_slider":
            return {**kwargs, "value": current}
        return {**kwargs, "index": options.index(current)}
    if kind in ("multiselect", "pills", "segmented_control"):
        return kwargs if len(args) > 1 or "default" in kwargs else {**kwargs, "default": current}
    if kind in ("number_input", "slider"):  # (label,) min_value, max_value, value, step
        if len(args) > 2 or "value" in kwargs:
            return kwargs
        bounds = {**dict(zip(("min_value", "max_value"), args, strict=False)), **kwargs}
        ref = next((bounds[k] for k in ("min_value", "max_value", "step") if k in bounds), None)
        if isinstance(current, bool) or not isinstance(current, int | float):
            return kwargs
        if isinstance(ref, float):
            current = float(current)
        elif isinstance(ref, int) and isinstance(current, float):
            if not current.is_integer():
                return kwargs
            current = int(current)
        low, high = bounds.get("min_value"), bounds.get("max_value")
        if (low is not None and current < low) or (high is not None and current > high):
            return kwargs
    elif args or "value" in kwargs:  # checkbox, toggle, text: (label,) value
        return kwargs
    return {**kwargs, "value": current}


def bind(page: str, section: str, name: str, widget: Callable[..., Any], label: str,
         *args: Any, **kwargs: Any) -> Any:
    """Draw `widget` for config[section][name] and store its value back into the config."""
    data = canonical(page)
    value = keyed_widget(widget, label, widget_key(page, f"{section}.{name}"),
                         data[section][name], *args, **kwargs)
    data[section][name] = value
    return value


def bind_value(page: str, key: str, initial: Any, widget: Callable[..., Any], label: str,
               *args: Any, **kwargs: Any) -> Any:
    """Like bind, for widgets that do not map one-to-one onto a config field."""
    return keyed_widget(widget, label, widget_key(page, key), initial, *args, **kwargs)


def current_config(page: str) -> tuple[RunConfig | None, str | None]:
    """The validated config, or None and the plain message saying what is wrong."""
    try:
        return RunConfig.from_dict(copy.deepcopy(canonical(page))), None
    except ConfigError as exc:
        return None, str(exc)
    except TypeError as exc:  # a value of the wrong kind from a hand-edited file
        return None, f"the configuration has a value of the wrong kind ({exc})"
