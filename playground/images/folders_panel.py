"""Train on images → "Your pictures": upload a zip of class folders, start from a fresh network
(choosing the side every picture is resized to, grey or colour) or fine-tune a shipped model
(which sets them); the files left out are listed with their reasons."""

from __future__ import annotations

import streamlit as st

from core.data import folders as fd
from core.data.download import cache_dir
from core.errors import ConfigError
from playground.images.folder_tuning import FineTune, start_from_panel
from playground.literal import literal
from playground.state import bind, bind_value, canonical, widget_key

SIDES = [8, 16, 24, 28, 32, 48, 64, 96, 128]
LIMITS = (f"One folder per class (any names; one wrapping folder is fine), JPEG, PNG, TIFF, "
          f"GIF, BMP or WebP. Limits: {fd.MAX_ZIP_BYTES / 1e6:,.0f} MB zip, "
          f"{fd.MAX_FILES:,} files, {fd.MAX_FILE_BYTES / 1e6:,.0f} MB a file, "
          f"{fd.MAX_TOTAL_BYTES / 1e9:,.0f} GB unpacked; at least {fd.MIN_PER_CLASS} pictures "
          "in each of two classes. Each picture's central square is resized.")


def folders_panel(page: str) -> None:
    data = canonical(page)["dataset"]
    upload = st.file_uploader("A zip of class folders", type=["zip"],
                              key=widget_key(page, "folders.file"),
                              max_upload_size=fd.MAX_ZIP_BYTES // 1_000_000, help=LIMITS)
    st.caption(LIMITS)
    seen = widget_key(page, "folders.file_id")
    if upload is not None and st.session_state.get(seen) != upload.file_id:
        st.session_state[seen] = upload.file_id
        saved = fd.save_zip_upload(upload.name, upload.getvalue(), cache_dir() / "uploads")
        data["path"] = str(saved)
    tune = start_from_panel(page)
    if isinstance(tune, FineTune):
        side, channels = tune.base.side, tune.base.channels
    else:
        side = bind_value(page, "folders.side", data.get("image_size") or fd.DEFAULT_SIDE,
                          st.select_slider, "Resize every picture to (pixels)",
                          sorted(set([*SIDES, data.get("image_size") or fd.DEFAULT_SIDE])))
        data["image_size"] = side
        channels = bind(page, "dataset", "channels", st.radio, "Colour", [3, 1],
                        horizontal=True, format_func={3: "colour (RGB)", 1: "grey"}.get)
    bind(page, "dataset", "test_fraction", st.slider, "Test share", 0.1, 0.4, step=0.05,
         help="Held out until the end, stratified by class.")
    if data.get("path"):
        try:
            found = fd.picture_folders(data["path"], side, channels)
        except ConfigError:
            return  # the page says why, where the data would be
        counts = ", ".join(f"{n} {c:,}" for n, c in found.counts().items())
        st.caption(literal(f"{len(found.labels):,} pictures: {counts}"))
        if found.problems:
            with st.expander(f"{len(found.problems)} file(s) left out",
                             icon=":material/report:"):
                st.dataframe([{"file": f, "why": why} for f, why in found.problems],
                             hide_index=True, width="stretch")
