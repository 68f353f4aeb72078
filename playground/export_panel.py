"""Export from every page that trains: the model file (safetensors + config), ONNX, and a
standalone PyTorch training script. The files are made when a button is pressed, from the
weights at that moment (Streamlit's deferred download data), so drawing the panel costs
nothing while a job trains."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from core.data.base import TABLE
from core.data.builtin_tables import BUILTIN_PREFIX
from core.export import (
    Exportable,
    ExportRefused,
    from_job,
    model_file_bytes,
    onnx_bytes,
    training_script,
)
from core.export.script import SCRIPT_DATASETS
from playground.literal import literal


def table_file_name(dataset) -> str | None:
    """Where the exported script looks for an uploaded table: its file name, beside it."""
    if dataset.name != TABLE or not dataset.path or dataset.path.startswith(BUILTIN_PREFIX):
        return None

    return Path(dataset.path).name


def export_job_panel(page: str, job, name: str, data_path: str | None = None) -> None:
    """The panel for a training job (Playground, Train on images, galaxy fine-tuning)."""
    export_panel(page, lambda: from_job(job, name), job.config.dataset.name,
                 data_path=data_path, trained=bool(job.history))


def export_panel(page: str, make: Callable[[], Exportable], dataset_name: str, *,
                 data_path: str | None = None, trained: bool = True) -> None:
    """Three download buttons; `make()` takes the weights when a button is pressed."""
    stem = page.replace(":", "-")
    if not trained:
        st.caption("Train for at least one epoch (or press Step), then download the model.")
    cols = st.columns(3)
    cols[0].download_button(
        "Model (.safetensors)", data=lambda: model_file_bytes(make()),
        file_name=f"{stem}.safetensors", mime="application/octet-stream",
        icon=":material/download:", key=f"{page}:export_model", width="stretch",
        on_click="ignore",
        help="Weights with the exact config, classes and metrics inside: open it again on "
             "Draw a digit, Classify galaxies or Feature maps, or with `python -m core "
             "export`.")
    cols[1].download_button(
        "ONNX", data=lambda: _onnx(make()), file_name=f"{stem}.onnx",
        mime="application/octet-stream", icon=":material/download:",
        key=f"{page}:export_onnx", width="stretch", on_click="ignore",
        help="For onnxruntime, and any tool that reads ONNX: input `input`, outputs `logits` "
             "and `prediction` (probabilities or values).")
    if dataset_name in SCRIPT_DATASETS:
        cols[2].download_button(
            "Training script (.py)", data=lambda: _script(make(), data_path),
            file_name=f"train_{stem.replace('-', '_')}.py", mime="text/x-python",
            icon=":material/code:", key=f"{page}:export_script", width="stretch",
            on_click="ignore",
            help="A standalone PyTorch script (torch + numpy only) that rebuilds this network, "
                 "loads the same data and trains it with the same settings.")
    else:
        cols[2].caption(literal(f"No training script for {dataset_name}: it covers the 2-D "
                                "data, CSV tables, MNIST, the 8×8 digits and your pictures."))
    if data_path:
        st.caption("The script reads " + literal(data_path) + " from its own folder; give "
                   "another path with `--data`.")


def _onnx(item: Exportable) -> bytes:
    return onnx_bytes(item.model, item.head, item.input_shape)


def _script(item: Exportable, data_path: str | None) -> str:
    try:
        return training_script(item.config, item.shapes(), data_path=data_path,
                               warm_started=item.warm_started)
    except ExportRefused as exc:  # shown in the file: a download cannot show a message
        return f"# This run cannot be exported as a script: {exc}\n"
