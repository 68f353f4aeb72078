"""Which browser tab a session belongs to, across reloads, so a reload (or a dropped
connection) finds the tab's run again instead of starting from epoch 0.

The id lives in the tab's sessionStorage: it survives a reload and is never shared by two tabs
(a cookie would be: every tab of the browser would attach to one run), and it is not in the
URL (a shared link would let another student attach to your run). A tiny component reads it,
or makes a random one, and hands it to Python; Streamlit reruns the page with it, and the
server's run store (core.jobs.runs) gives back that tab's jobs and page setups. A browser's
"Duplicate tab" copies sessionStorage, so a duplicated tab shares the run it was copied from.
"""

from __future__ import annotations

import streamlit as st

from core.jobs.service import run_store
from playground import jobs
from playground.state import load_config

KEY = "_tab_identity"
TAB = "_tab_id"
_CONFIG_PREFIX = "_config."

_JS = """
export default function(component) {
  const { setStateValue, data } = component;
  const KEY = "nn-playground-tab";
  let id = window.sessionStorage.getItem(KEY);
  if (!id) {
    // getRandomValues works on plain http too (randomUUID needs https or localhost)
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    window.sessionStorage.setItem(KEY, id);
  }
  // Say the id until the server has it: a value sent while the server was busy with a crowd
  // of new sessions can be lost, and the same value sent again would not count as a change,
  // so each try carries its number ("id.n").
  const tab = window.__nnPlaygroundTab || (window.__nnPlaygroundTab = {tries: 0, timer: null});
  tab.known = Boolean(data && data.known);
  tab.set = setStateValue;
  const stop = () => { clearInterval(tab.timer); tab.timer = null; };
  if (tab.known) { stop(); return; }
  const send = () => { tab.tries += 1; tab.set("tab", id + "." + tab.tries); };
  if (tab.tries === 0) send();
  if (!tab.timer) {
    tab.timer = setInterval(() => {
      if (tab.known || tab.tries >= 20) stop(); else send();
    }, 3000);
  }
}
"""

_tab_reader = st.components.v2.component("nn_playground_tab", js=_JS)


def _configs() -> dict:
    return {str(k)[len(_CONFIG_PREFIX):]: v for k, v in st.session_state.items()
            if str(k).startswith(_CONFIG_PREFIX)}


def _read_tab() -> str | None:
    """The tab's id from the reader's last value ("id.n": the n-th time it said so)."""
    state = st.session_state.get(KEY)
    value = state.get("tab") if state is not None else None
    tab = value.split(".", 1)[0] if isinstance(value, str) else None
    return tab if tab is not None and 8 <= len(tab) <= 64 else None


def _on_tab() -> None:
    """The id arrived (first run of a session, or after a reload): adopt the tab's stored
    run, or remember this session's under the id."""
    tab = _read_tab()
    if tab is None or st.session_state.get(TAB) == tab:
        return
    st.session_state[TAB] = tab
    store = run_store()
    mine = jobs.session_jobs()
    entry = store.claim(tab, mine, _configs())
    if entry.registry is not mine:
        mine.stop_all()
        jobs.adopt(entry.registry)
        for page, data in entry.configs.items():
            load_config(page, data)
    note = store.note_for(tab)
    if note:
        st.session_state["_tab_note"] = note


def attach_tab() -> None:
    """Once per run, before the page: mount the id reader (it draws nothing) and keep the
    stored entry up to date; show the note about a run that was let go, once."""
    tab = st.session_state.get(TAB)
    # the container's key says whether the tab is known (browser tests wait for it)
    with st.container(height=1, border=False,
                      key="nn_tab_known" if tab is not None else "nn_tab_unknown"):
        _tab_reader(key=KEY, data={"known": tab is not None}, on_tab_change=_on_tab,
                    height=1)
    if tab is not None:
        run_store().seen(tab, _configs())
    note = st.session_state.pop("_tab_note", None)
    if note:
        st.info(note, icon=":material/history:")
