"""Every layer's output shape and parameter count, before any training."""

from __future__ import annotations

import streamlit as st

from core.build import build_model
from core.errors import ConfigError


def shapes_table(config, dataset) -> int | None:
    """Draw the Keras-like summary; returns the parameter count, or None if the stack is
    impossible (the plain reason is shown instead)."""
    try:
        built = build_model(config, dataset)
    except ConfigError as exc:
        st.error(str(exc), icon=":material/block:")
        return None
    shape = "×".join(str(d) for d in dataset.input_shape)
    rows = [{"layer": "input", "output shape": shape, "parameters": 0}]
    rows += [{"layer": f"{i}. {row.label}" if row.name != "output" else row.label,
              "output shape": "×".join(str(d) for d in row.output_shape),
              "parameters": row.params}
             for i, row in enumerate(built.summary, start=1)]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Total: **{built.total_params:,}** trainable parameters")
    return built.total_params
