"""Feature maps: look inside a trained image model, CNN-Explainer style. Layout and widgets only:
the model, its data and the numbers come from playground.digits.feature_maps_views (on
core.inspection
and core.pictures.preprocess), the pictures from playground.charts.image_charts."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from core.inspection import first_conv_filters
from core.models.assets import assets_dir
from playground import model_catalogue as catalogue
from playground.charts import image_charts as ic
from playground.digits import feature_maps_views as fmv
from playground.jobs import configure_threads, session_jobs
from playground.literal import literal
from playground.model_upload import uploaded_models

PAGE = "fm"
PLOT_CONFIG = {"displayModeBar": False}
configure_threads()


def key(name: str) -> str:
    return f"{PAGE}:{name}"


# ----- which model ------------------------------------------------------------------------------
job = fmv.session_image_job(session_jobs())
entries = ([catalogue.ModelEntry(catalogue.SESSION_KEY, "Your model (trained this session)")]
           if job else [])
entries += catalogue.shipped_models()

with st.sidebar:
    for upload_key, upload_label, upload_path in uploaded_models(PAGE, fmv.image_check,
                                                                 "an image model"):
        entries.append(catalogue.ModelEntry(upload_key, upload_label, upload_path))

st.title("Feature maps")
st.caption("What a trained network sees: every convolution's feature maps for one image, the "
           "filters it learned, and how activations and gradients are spread layer by layer.")

if not entries:
    st.info(f"There is no trained image model yet. Train one on the image-training page, or "
            f"put a saved model (`*.safetensors`) into `{assets_dir()}`.",
            icon=":material/info:")
    st.stop()

keys = [e.key for e in entries]
fmv.settle_model(PAGE, entries, st.query_params.get("model"))
labels = {e.key: e.label for e in entries}
with st.sidebar:
    chosen = st.selectbox("Model", keys, key=key("model"), format_func=labels.__getitem__)
entry = entries[keys.index(chosen)]


try:
    subject = fmv.Subject(entry, job, PAGE)
except Exception as exc:  # a damaged or foreign model file: say so, keep the page
    st.error(f"This model could not be loaded: {literal(exc)}", icon=":material/error:")
    st.stop()

if len(subject.input_shape) != 3 or subject.head.task != "classification":
    st.warning("This page shows image classifiers; this model is not one.")
    st.stop()
channels, height, width = subject.input_shape
layer_names = fmv.layer_labels(subject.summary)
metrics = subject.meta.get("metrics", {})
with st.sidebar:
    st.caption(subject.caption())


# ----- which input ------------------------------------------------------------------------------
def _random_index(state_key: str, n: int) -> None:
    st.session_state[state_key] = int(np.random.default_rng().integers(n))


SOURCES = ("A test image", "Your own image")
x_input = display = None
true_class: int | None = None
input_caption = ""
with st.sidebar:
    if subject.dataset is None:
        st.warning(f"No test images: {literal(subject.data_problem)}. You can still upload an "
                   "image.",
                   icon=":material/cloud_off:")
        if subject.can_fetch:
            st.button("Fetch the data set", icon=":material/download:", key=key("fetch"),
                      on_click=fmv.request_fetch,
                      args=(PAGE, fmv.dataset_key(subject.config)),
                      help="Downloads the data set once into the local cache.")
        source = SOURCES[1]
    else:
        source = st.radio("Input", SOURCES, key=key("source"), horizontal=True)

    if source == SOURCES[0]:
        ds = subject.dataset
        y_test = ds.y_test.numpy()
        ds_name = f"{subject.config.dataset.name}:{subject.config.dataset.task}"
        options = ["any class", *ds.class_names]
        wanted = st.selectbox("Class", options, key=key(f"class:{ds_name}"))
        pool = fmv.class_pool(y_test, options.index(wanted) - 1)
        if len(pool) == 0:
            st.warning(f"The test set has no images of class {wanted}.")
        else:
            index_key = key(f"index:{ds_name}:{wanted}")
            if st.session_state.get(index_key, 0) >= len(pool):
                st.session_state[index_key] = 0
            pos = st.number_input(f"Image number (0 – {len(pool) - 1:,})", min_value=0,
                                  max_value=len(pool) - 1, step=1, key=index_key)
            st.button("Random image", icon=":material/casino:", key=key("random"),
                      on_click=_random_index, args=(index_key, len(pool)), width="stretch")
            index = int(pool[int(pos)])
            x_input, display = ds.x_test[index], subject.as_shown(ds.x_test[index])
            true_class = int(y_test[index])
            input_caption = (f"test image {index:,} of {len(y_test):,} · true class: "
                             f"**{ds.class_names[true_class]}**")
    else:
        upload = st.file_uploader("A PNG or JPEG image", type=["png", "jpg", "jpeg"],
                                  key=key("upload"))
        digit_like = invert = None
        if channels == 1:
            digit_like = st.toggle("Crop and centre the digit as in MNIST", value=True,
                                   key=key("fit"))
            invert = None if st.toggle("Invert a light background", value=True,
                                       key=key("invert")) else False
        if upload is not None:
            mean, std = subject.upload_normalization()
            try:
                prepared = fmv.prepare_upload(
                    upload.getvalue(), subject.input_shape,
                    normalization=subject.config.dataset.normalization, mean=mean, std=std,
                    digit_like=digit_like, invert=invert)
            except fmv.ImageRefused as exc:
                st.error(f"This image cannot be used: {literal(exc)}.",
                         icon=":material/broken_image:")
            else:
                x_input = torch.from_numpy(prepared.x)
                display = prepared.display
                input_caption = "your image · " + "; ".join(prepared.notes)

if x_input is None:
    st.info("Choose an input in the sidebar: a test image, or upload your own.",
            icon=":material/image:")
    st.stop()


# ----- the input and the prediction -------------------------------------------------------------
probs = subject.predict(x_input)
top = int(np.argmax(probs))
left, right = st.columns([1, 1.6], gap="large")
with left:
    st.markdown("**The input, as the model sees it**")
    st.plotly_chart(ic.heatmap_figure(display, cmap="grey", vmin=0.0, vmax=1.0, height=260,
                                      value_label="pixel", colorbar=False,
                                      uirevision="fm_input"),
                    key=key("input_chart"), config=PLOT_CONFIG)
    st.caption(input_caption)
with right:
    verdict = f"**Prediction: {literal(subject.class_names[top])}** ({probs[top]:.0%} sure)"
    if true_class is not None:
        truth = literal(subject.class_names[true_class])
        verdict += " ✓" if top == true_class else f" ✗ — it is {truth}"
    st.markdown(verdict)
    st.altair_chart(ic.probability_chart(probs, subject.class_names, true_class=true_class),
                    width="stretch", key=key("probs"))


# ----- feature maps -----------------------------------------------------------------------------
st.divider()
maps_by_block = subject.feature_maps(x_input)
if maps_by_block:
    st.subheader("Feature maps, layer by layer")
    st.caption("Each map is scaled to its own range (viridis: dark purple low, yellow high); "
               "hover a map for its minimum and maximum, or pick one to enlarge it.")
    for name, maps in maps_by_block:
        label = layer_names.get(name, name)
        n = len(maps)
        shown = maps[:256]
        st.markdown(f"**{label}**")
        st.caption(fmv.block_caption(label, maps)
                   + (f" The first 256 of {n} are shown." if n > 256 else ""))
        grid_col, big_col = st.columns([3, 1.25], gap="medium")
        cols, tile = fmv.maps_grid_layout(len(shown))
        with grid_col:
            st.plotly_chart(
                ic.image_grid_figure(list(shown), titles=[f"#{i + 1}" for i in range(len(shown))],
                                     cols=cols, cmap="viridis",
                                     tile_px=tile, uirevision=f"fm_maps_{name}"),
                key=key(f"grid:{name}"), config=PLOT_CONFIG)
        with big_col:
            strongest = int(np.argmax(shown.reshape(len(shown), -1).max(axis=1)))
            pick = st.selectbox("Enlarge map", range(len(shown)), index=strongest,
                                format_func=lambda i: f"#{i + 1}", key=key(f"pick:{name}"))
            st.plotly_chart(ic.heatmap_figure(shown[pick], cmap="viridis", height=210,
                                              value_label="activation",
                                              uirevision=f"fm_big_{name}"),
                            key=key(f"big:{name}"), config=PLOT_CONFIG)

    filters = first_conv_filters(subject.model)
    if filters is not None:
        st.subheader("What the first layer learned: its filters")
        m = float(np.abs(filters).max()) if filters.size else 1.0
        k = filters.shape[-1]
        if filters.shape[1] == 3:
            st.caption(f"{len(filters)} colour filters of {k}×{k} pixels, on one shared scale: "
                       "grey is 0; a red part adds red light, a cyan part subtracts it.")
            fig = ic.image_grid_figure([np.moveaxis(f, 0, -1) for f in filters], vmin=-m, vmax=m,
                                       titles=[f"#{i + 1}" for i in range(len(filters))],
                                       cols=fmv.grid_columns(len(filters)), tile_px=56,
                                       uirevision="fm_filters")
        else:
            st.caption(f"{len(filters)} filters of {k}×{k} weights, on one shared scale: blue "
                       "weights add the pixel under them, orange ones subtract it. A filter "
                       "with blue beside orange responds to an edge.")
            fig = ic.image_grid_figure([f[0] for f in filters], cmap="diverging", vmin=-m,
                                       vmax=m, titles=[f"#{i + 1}" for i in range(len(filters))],
                                       cols=fmv.grid_columns(len(filters)), tile_px=64,
                                       uirevision="fm_filters")
        st.plotly_chart(fig, key=key("filters"), config=PLOT_CONFIG)
else:
    st.subheader("No convolutions in this network")
    weights = fmv.first_dense_images(subject.model, subject.input_shape)
    if weights is None:
        st.caption("This network has no convolutional layers, so there are no feature maps.")
    else:
        units = len(weights)
        shown = weights[:128]
        st.caption(
            f"This is a multi-layer perceptron: it flattens the {width}×{height} image into "
            f"{int(np.prod(subject.input_shape)):,} numbers and has no feature maps. Instead, "
            f"here is what each of the first layer's {units} neurons looks for: its "
            f"{int(np.prod(subject.input_shape)):,} weights put back on the image grid. Blue "
            "pixels push the neuron up, orange ones push it down (each neuron on its own "
            "scale).")
        if channels == 1:
            fig = ic.image_grid_figure([w[0] for w in shown], cmap="diverging",
                                       titles=[f"neuron {i + 1}" for i in range(len(shown))],
                                       cols=fmv.grid_columns(len(shown)), tile_px=88,
                                       uirevision="fm_dense")
        else:
            fig = ic.image_grid_figure([fmv.signed_rgb(w) for w in shown],
                                       titles=[f"neuron {i + 1}" for i in range(len(shown))],
                                       cols=fmv.grid_columns(len(shown)), tile_px=88,
                                       uirevision="fm_dense")
        st.plotly_chart(fig, key=key("dense"), config=PLOT_CONFIG)


# ----- activation and gradient statistics -------------------------------------------------------
st.divider()
st.subheader("Activations and gradients, layer by layer")
rows, batch_note = subject.statistics(x_input, top, layer_names)
st.caption(
    f"How the values leaving each layer (left) and the loss gradients flowing back into it "
    f"(right) are spread, {batch_note}. Healthy training keeps both spreads (std) roughly "
    "similar from layer to layer: activations that shrink to 0 or blow up mean an "
    "initialisation that is too small or too big; gradients that shrink towards the first "
    "layers are vanishing gradients (try sigmoid in a deep network).")
if rows:
    st.altair_chart(ic.histograms_chart(rows, panel_width=320), width="content", key=key("hist"))


# ----- model card and test scores ---------------------------------------------------------------
with st.expander("Model card and test scores", icon=":material/description:"):
    card = entry.card
    if card is not None and card.is_file():
        st.markdown(card.read_text(encoding="utf-8", errors="replace"))
    confusion, split = metrics.get("test_confusion"), "test"
    if confusion is None and subject.history:
        confusion, split = subject.history[-1].get("val_confusion"), "validation"
    if confusion is not None:
        try:
            matrix = np.asarray(confusion, dtype=float)
            scores = (f"accuracy {fmv.fmt_pct(ic.accuracy(matrix))} · balanced accuracy "
                      f"{fmv.fmt_pct(ic.balanced_accuracy(matrix))}")
            st.markdown(f"**Confusion matrix on the {split} set** ({scores})")
            cm_col, table_col = st.columns([1.2, 1])
            cm_col.plotly_chart(ic.confusion_matrix_figure(matrix, subject.class_names),
                                key=key("confusion"), config=PLOT_CONFIG)
            table_col.dataframe(ic.per_class_table(matrix, subject.class_names),
                                hide_index=True, width="stretch",
                                column_config={c: st.column_config.NumberColumn(format="%.2f")
                                               for c in ("precision", "recall", "F1")})
        except ValueError as exc:
            st.caption(f"The saved confusion matrix cannot be drawn ({exc}).")
    elif card is None or not card.is_file():
        st.caption("No model card or test scores were saved with this model.")
    st.markdown("**Architecture** (as Keras' `model.summary()`)")
    st.code(subject.summary_text, language=None)

