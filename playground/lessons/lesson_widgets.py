"""Widgets every lesson page shares: the "try it in the Playground" link, the "what to notice"
box and the step-through controls."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from core.config import RunConfig
from core.share import config_to_params
from core.threads import BUDGET
from playground.jobs import configure_threads
from playground.presets import PRESETS
from playground.state import load_config

PLAYGROUND_PAGE = "app_pages/playground_2d.py"
PLAYGROUND_STATE = "playground"  # the Playground page's config key (playground/state.py)


def lesson_threads() -> None:
    """Torch work on a lesson page runs in the script's thread: give it the app's thread
    budget (core/threads.py: on a 2-core laptop one thread, leaving a core for the UI)."""
    configure_threads()
    BUDGET.sync()


def preset_link(preset: str) -> str:
    """The shareable Playground address (relative) that opens `preset`'s exact setup: the
    same flat parameters the Playground writes into its own address bar."""
    return "playground?" + urlencode(config_to_params(PRESETS[preset].config()))


def try_in_playground(preset: str, key: str) -> None:
    """A button that loads the preset into this session's Playground and goes there, and the
    link that opens the same setup anywhere (a new tab, a colleague's browser)."""
    title = PRESETS[preset].title
    if st.button(f"Try it in the Playground: {title}", key=f"try:{key}",
                 icon=":material/science:", type="primary"):
        config = PRESETS[preset].config()
        load_config(PLAYGROUND_STATE, config)
        st.session_state["_lesson"] = preset  # the Playground's lesson box and preset picker
        st.session_state["pg_preset_choice"] = preset
        st.switch_page(PLAYGROUND_PAGE, query_params=config_to_params(config))
    st.caption(f"Or open [this setup in a new tab]({preset_link(preset)}) to share it.")


def notice(points: list[str]) -> None:
    """'What to notice': a few sentences under the thing to play with."""
    st.markdown("**What to notice**")
    st.markdown("\n".join(f"* {p}" for p in points))


def stepper(key: str, total: int, label: str = "step") -> int:
    """Back / forward / start / end buttons over `total` steps; returns the current step
    (0 = before the first). The step lives in session state under `key`."""
    st.session_state.setdefault(key, 0)
    st.session_state[key] = min(max(st.session_state[key], 0), total)

    def move(to: int) -> None:
        st.session_state[key] = min(max(to, 0), total)

    cols = st.columns(4)
    now = st.session_state[key]
    cols[0].button("Start", key=f"{key}:first", on_click=move, args=(0,),
                   icon=":material/first_page:", disabled=now == 0, width="stretch")
    cols[1].button("Back", key=f"{key}:back", on_click=move, args=(now - 1,),
                   icon=":material/chevron_left:", disabled=now == 0, width="stretch")
    cols[2].button("Next", key=f"{key}:next", on_click=move, args=(now + 1,), help=f"next {label}",
                   icon=":material/chevron_right:", disabled=now >= total, width="stretch",
                   type="primary")
    cols[3].button("End", key=f"{key}:last", on_click=move, args=(total,),
                   icon=":material/last_page:", disabled=now >= total, width="stretch")
    return st.session_state[key]


IMAGES_PAGE = "app_pages/images.py"


def try_on_images(config: RunConfig, label: str, key: str) -> None:
    """A button that puts `config` into this session's Train-on-images page and goes there."""
    if st.button(f"Try it on Train on images: {label}", key=f"try:{key}",
                 icon=":material/image:", type="primary"):
        load_config("images", config)
        st.switch_page(IMAGES_PAGE)
