"""Share a setup: the link (the config lives in the URL), and JSON download / upload."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from core.config import MAX_CONFIG_BYTES, RunConfig
from core.data.base import TABLE
from core.data.tables import browser_may_read
from core.errors import ConfigError
from core.share import config_to_params
from playground.literal import literal
from playground.state import load_config
from playground.widgets import fits_playground


def share_panel(page: str, config: RunConfig | None) -> None:
    if config is not None:
        st.caption("The address bar always holds the whole setup: copy it to share.")
        try:
            url = st.context.url
        except Exception:  # noqa: BLE001 - older Streamlit or no browser context (tests)
            url = None
        if url:

            st.code(f"{url.split('?')[0]}?{urlencode(config_to_params(config))}",
                    language=None, wrap_lines=True)
        st.download_button("Download config (JSON)", config.to_json(),
                           file_name="playground-config.json", mime="application/json",
                           icon=":material/download:", width="stretch",
                           on_click="ignore")
    upload = st.file_uploader("Open a config (JSON)", type=["json"], key="pg_upload_config")
    if upload is not None and st.session_state.get("_config_upload_id") != upload.file_id:
        st.session_state["_config_upload_id"] = upload.file_id
        message = apply_uploaded_config(page, upload.getvalue())
        if message:
            st.session_state["_config_upload_error"] = message
        else:
            st.session_state.pop("_config_upload_error", None)
            st.rerun()
    if st.session_state.get("_config_upload_error"):
        st.error(literal(st.session_state["_config_upload_error"]), icon=":material/block:")


def apply_uploaded_config(page: str, raw: bytes) -> str | None:
    """Load an uploaded config; returns the plain message when the file is unusable."""
    if len(raw) > MAX_CONFIG_BYTES:
        return "That file is too large to be a playground config."
    try:
        config = RunConfig.from_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "That file is not a text (JSON) file."
    except ConfigError as exc:
        return f"That config cannot be used: {exc}"
    problem = fits_playground(config)
    if problem:
        return f"That config cannot be used: {problem}."

    if config.dataset.name == TABLE and not browser_may_read(config.dataset.path or ""):
        return ("That config names a CSV file that is not on this server; choose "
                "'Your own table (CSV)' and upload the file.")
    load_config(page, config)
    return None
