"""Image data on the page: loading with a download progress bar, class counts, previews."""

from __future__ import annotations

import streamlit as st
import torch

from core.data import load_dataset
from core.data.download import DatasetUnavailable
from core.errors import ConfigError
from playground.charts import image_charts
from playground.state import widget_key

PREVIEW = 16


def load_with_progress(dataset_config):
    """The Dataset, or the plain message saying why it is not available (offline, damaged)."""
    bar = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = st.progress(0.0, text="Downloading…")
        mb = done / 1e6
        if total:
            bar.progress(min(1.0, done / total), text=f"Downloading {mb:,.1f} of "
                                                      f"{total / 1e6:,.1f} MB")
        else:
            bar.progress(0.0, text=f"Downloading {mb:,.1f} MB")

    try:
        with st.spinner("Loading images…"):
            dataset = load_dataset(dataset_config, progress)
    except (DatasetUnavailable, ConfigError) as exc:
        text = str(exc)
        return (text[0].upper() + text[1:] + " Meanwhile, the 8×8 digits (scikit-learn) "
                "work offline.")
    finally:
        if bar is not None:
            bar.empty()
    return dataset


def class_counts_view(dataset) -> None:
    counts = torch.bincount(dataset.y_train.long(), minlength=dataset.n_classes).tolist()
    st.altair_chart(image_charts.class_counts_chart(dict(zip(dataset.class_names, counts,
                                                             strict=True))),
                    width="stretch")
    val = 0 if dataset.x_val is None else len(dataset.x_val)
    st.caption(f"{len(dataset.x_train):,} training · {val:,} validation · "
               f"{len(dataset.x_test):,} test images of "
               + "×".join(str(d) for d in dataset.input_shape[::-1][:2][::-1])
               + f" pixels, {dataset.input_shape[0]} channel"
               + ("s" if dataset.input_shape[0] > 1 else ""))


def preview_view(page: str, dataset) -> None:
    """Sample training images, and the same images through the augmentation when it is on."""
    x = dataset.x_train[:PREVIEW]
    names = [dataset.class_names[int(c)] for c in dataset.y_train[:PREVIEW]]
    images = [_display(img) for img in dataset.show(x)]
    tabs = st.tabs(["Samples", "Augmented"])
    with tabs[0]:
        st.plotly_chart(image_charts.image_grid_figure(images, titles=names, cols=8,
                                                       cmap="grey"),
                        key=widget_key(page, "samples"), config={"displayModeBar": False})
    with tabs[1]:
        if dataset.augment is None:
            st.caption("Augmentation is off: switch some on in the sidebar.")
            return
        seed_key = widget_key(page, "aug_seed")
        st.session_state.setdefault(seed_key, 0)
        if st.button("New random augmentations", key=widget_key(page, "reaugment")):
            st.session_state[seed_key] += 1
        generator = torch.Generator().manual_seed(st.session_state[seed_key])
        augmented = dataset.show(dataset.augment(x, generator))
        st.plotly_chart(image_charts.image_grid_figure([_display(i) for i in augmented],
                                                       titles=names, cols=8, cmap="grey"),
                        key=widget_key(page, "augmented"), config={"displayModeBar": False})


def _display(image: torch.Tensor):
    """(C, H, W) 0-1 tensor -> (H, W) grey or (H, W, 3) colour array."""
    array = image.permute(1, 2, 0).numpy()
    return array[..., 0] if array.shape[-1] == 1 else array
