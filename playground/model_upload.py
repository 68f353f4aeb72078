"""Bring a model back: one uploader for every page that uses a trained model (Draw a digit,
Classify galaxies, Feature maps). A .safetensors file this playground saved joins the page's
model picker; anything else gets a plain message and nothing is ever unpickled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from core.data.download import cache_dir
from core.errors import ConfigError
from core.models.model_upload import MAX_MODEL_BYTES, load_uploaded_model, save_uploaded_model
from playground.literal import literal

Check = Callable[[Any, dict[str, Any]], None]
"""(built model, metadata) -> None, or ConfigError saying why this page cannot use it."""


def uploads_folder() -> Path:
    return cache_dir() / "models"


def uploaded_models(page: str, check: Check, what: str) -> list[tuple[str, str, Path]]:
    """Draw the uploader (in the current container) and return the session's accepted
    uploads for this page as (key, label, path), newest last."""
    state = st.session_state
    kept: list[tuple[str, str, Path]] = state.setdefault(f"{page}:uploaded_models", [])
    upload = st.file_uploader(
        "Use your own model (.safetensors)", type=None, key=f"{page}:model_upload",
        max_upload_size=MAX_MODEL_BYTES // 1_000_000,
        help=f"A model file downloaded from this playground ({what}). Pickles and .pt files "
             "are refused: they can run code when opened.")
    if upload is not None and state.get(f"{page}:model_upload_id") != upload.file_id:
        state[f"{page}:model_upload_id"] = upload.file_id
        state.pop(f"{page}:model_upload_error", None)
        try:
            path = save_uploaded_model(upload.name, upload.getvalue(), uploads_folder())
            built, meta = load_uploaded_model(path)
            check(built, meta)
        except ConfigError as exc:
            state[f"{page}:model_upload_error"] = f"{upload.name} was not used: {exc}"
        else:
            key = f"upload:{path.parent.name}"
            if key not in [k for k, _, _ in kept]:
                kept.append((key, f"Uploaded: {upload.name}", path))
            state[f"{page}:select"] = key
    if state.get(f"{page}:model_upload_error"):
        st.error(literal(state[f"{page}:model_upload_error"]), icon=":material/block:")
    return [entry for entry in kept if entry[2].is_file()]
