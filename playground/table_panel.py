"""The Playground's "Your own table (CSV)" data panel: pick a built-in astronomy table or
upload a CSV, then the plotted columns, extra inputs, the label or target, scaling and split.

Only the choice lives in the config (and so in the URL and the JSON file): the path of a
built-in table or of the upload kept under the cache, never the data itself."""

from __future__ import annotations

import zlib
from typing import Any

import streamlit as st

from core.data.builtin_tables import BUILTIN_PREFIX, BUILTIN_TABLES, builtin_csv
from core.data.tables import (
    MAX_CLASSES,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NORMALIZATIONS,
    Table,
    TableRefused,
    browser_may_read,
    guess_task,
    label_column,
    read_table,
    save_upload,
)
from playground.literal import literal
from playground.state import bind, bind_value, canonical, widget_key

UPLOAD = "upload"
LIMITS = (f"Limits: {MAX_FILE_BYTES / 1e6:,.0f} MB, {MAX_ROWS:,} rows (every point is drawn "
          f"live), {MAX_COLUMNS} columns, {MAX_CLASSES} classes. First line: the column "
          "names; separated by commas, semicolons or tabs; UTF-8.")


def start_table(data: dict[str, Any]) -> None:
    """Switching to CSV: a built-in table and standardised inputs to begin with."""
    if not data.get("path"):
        data["path"] = BUILTIN_PREFIX + next(iter(BUILTIN_TABLES))
        data["normalization"] = "standardize"
        data["columns"], data["target"], data["task"] = [], None, None


def forget_table(data: dict[str, Any]) -> None:
    """Back to a generated dataset: the table's fields leave the config (and the URL)."""
    data.update(path=None, columns=[], target=None, task=None, normalization="unit")


def table_problem(data: dict[str, Any]) -> tuple[Table | None, str | None]:
    """The table a config names, or the plain reason it cannot be read here."""
    path = data.get("path") or ""
    if not browser_may_read(path):
        return None, ("this setup names a CSV file that is not on this server (a link or "
                      "config from another machine?): upload the file again")
    try:
        return read_table(path), None
    except TableRefused as exc:
        return None, str(exc)


def table_panel(page: str) -> None:
    data = canonical(page)["dataset"]
    start_table(data)
    path = data["path"]
    sources = [BUILTIN_PREFIX + n for n in BUILTIN_TABLES]
    current = path if path in sources else UPLOAD
    source = bind_value(page, "table.source", current, st.selectbox, "Table",
                        [*sources, UPLOAD],
                        format_func=lambda s: "Upload a CSV file…" if s == UPLOAD
                        else BUILTIN_TABLES[s[len(BUILTIN_PREFIX):]][0])
    if source != UPLOAD and source != path:
        data.update(path=source, columns=[], target=None, task=None)
        _forget_column_widgets(page)
    if source == UPLOAD:
        _upload(page, data)
    else:
        st.download_button("Download this table (CSV)", builtin_csv(source[len(BUILTIN_PREFIX):]),
                           file_name=f"{source[len(BUILTIN_PREFIX):]}.csv", mime="text/csv",
                           icon=":material/download:", key=widget_key(page, "table.download"),
                           on_click="ignore")
    table, problem = table_problem(data)
    if problem:
        st.error(literal(problem), icon=":material/table:")
        return
    _columns(page, data, table)
    bind(page, "dataset", "normalization", st.selectbox, "Input scaling", list(NORMALIZATIONS),
         format_func=NORMALIZATIONS.__getitem__)
    bind(page, "dataset", "train_fraction", st.slider, "Training share", min_value=0.05,
         max_value=0.95, step=0.05, help="The rest is the test set (split per class).")
    bind(page, "dataset", "seed", st.number_input, "Split seed", min_value=0, step=1)


def _upload(page: str, data: dict[str, Any]) -> None:
    upload = st.file_uploader("Your CSV file", type=["csv", "txt", "tsv"],
                              key=widget_key(page, "table.file"),
                              max_upload_size=max(1, MAX_FILE_BYTES // 1_000_000), help=LIMITS)
    st.caption(LIMITS)
    seen = widget_key(page, "table.file_id")
    if upload is not None and st.session_state.get(seen) != upload.file_id:
        st.session_state[seen] = upload.file_id
        try:
            saved = save_upload(upload.name, upload.getvalue())
        except TableRefused as exc:
            st.session_state[widget_key(page, "table.error")] = f"{upload.name}: {exc}"
        else:
            st.session_state.pop(widget_key(page, "table.error"), None)
            data.update(path=str(saved), columns=[], target=None, task=None)
            _forget_column_widgets(page)
    error = st.session_state.get(widget_key(page, "table.error"))
    if error:
        st.error(literal(error), icon=":material/table:")
    if data["path"].startswith(BUILTIN_PREFIX):
        st.info("Upload a file to use it; the built-in table stays until then.",
                icon=":material/upload_file:")


def _forget_column_widgets(page: str) -> None:
    for name in ("table.x", "table.y", "table.extra", "table.target", "table.task"):
        st.session_state.pop(widget_key(page, name), None)


def _columns(page: str, data: dict[str, Any], table: Table) -> None:
    header = table.header
    # The column widgets are keyed by the table: a browser that missed the run which set them
    # for a new table (cut short by another rerun) would keep the old table's choices and fall
    # back to the first column; a new key starts from the default passed in instead.
    table_id = f"{zlib.crc32(str(data.get('path')).encode()):08x}"
    page = f"{page}@{table_id}"
    numeric = table.numeric_names()
    target = data.get("target") if data.get("target") in header else header[-1]
    target = bind_value(page, "table.target", target, st.selectbox,
                        "Label or target column", header, format_func=str)
    guessed = guess_task(header, table.rows, target)
    task = data.get("task") or guessed
    task = bind_value(page, "table.task", task, st.radio, "Task",
                      ["classification", "regression"], horizontal=True,
                      help="Classification: the column names classes (text, or a few whole "
                           "numbers). Regression: it is a number to predict.")
    inputs = [c for c in numeric if c != target]
    if not inputs:
        st.error("No other column holds numbers: the network needs numeric inputs.",
                 icon=":material/table:")
        data.update(target=target, task=task, columns=[])
        return
    chosen = [c for c in data.get("columns") or [] if c in inputs] or inputs[:2]
    x = bind_value(page, "table.x", chosen[0], st.selectbox, "Plot across (x1)", inputs,
                   format_func=str)
    y_options = [c for c in inputs if c != x]
    y = None
    if y_options:
        y_default = chosen[1] if len(chosen) > 1 and chosen[1] in y_options else y_options[0]
        if st.session_state.get(widget_key(page, "table.y")) not in y_options:
            st.session_state.pop(widget_key(page, "table.y"), None)
        y = bind_value(page, "table.y", y_default, st.selectbox, "Plot up (x2)", y_options,
                       format_func=str)
    extra_options = [c for c in inputs if c not in (x, y)]
    extra_default = [c for c in chosen[2:] if c in extra_options]
    key = widget_key(page, "table.extra")
    if key in st.session_state:
        st.session_state[key] = [c for c in st.session_state[key] if c in extra_options]
    extra = bind_value(page, "table.extra", extra_default, st.multiselect,
                       "More inputs (not plotted)", extra_options, format_func=str,
                       help="Extra columns the network also receives; the plane shows them "
                            "held at their training mean.")
    data.update(target=target, task=task, columns=[c for c in (x, y, *extra) if c])
    counts = ""
    if task == "classification":
        try:
            labels, names = label_column(header, table.rows, target, table.lines)
            counts = " · " + ", ".join(f"{n} {int((labels == i).sum()):,}"
                                       for i, n in enumerate(names))
        except TableRefused:
            counts = ""
    st.caption(literal(f"{len(table.rows):,} rows, {len(header)} columns{counts}"))


def table_classes(data: dict[str, Any]) -> tuple[str, int]:
    """(task, number of classes) of the table a config names: for the loss choices."""
    table, problem = table_problem(data)
    if table is None or problem:
        return "classification", 2
    target = data.get("target") or table.header[-1]
    if target not in table.header:
        return "classification", 2
    task = data.get("task") or guess_task(table.header, table.rows, target)
    if task == "regression":
        return task, 0
    try:
        return task, len(label_column(table.header, table.rows, target, table.lines)[1])
    except TableRefused:
        return task, 2
