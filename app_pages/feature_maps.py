"""Feature maps: look inside a trained image model, CNN-Explainer style. Layout and widgets only;
the numbers come from core.inspection, the pictures from playground.image_charts."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.assets import assets_dir
from playground import image_charts as ic
from playground import inspect_views as iv
from playground import model_catalogue as catalogue
from playground.jobs import configure_threads, session_jobs
from playground.literal import literal
from playground.model_upload import uploaded_models

PAGE = "fm"
PLOT_CONFIG = {"displayModeBar": False}
configure_threads()


def key(name: str) -> str:
    return f"{PAGE}:{name}"


# ----- which model ------------------------------------------------------------------------------
def _session_job():
    job = session_jobs().get(catalogue.SESSION_JOB)
    dataset = getattr(job, "dataset", None)
    if job is None or dataset is None or not dataset.is_image:
        return None
    return job


job = _session_job()
entries = ([catalogue.ModelEntry(catalogue.SESSION_KEY, "Your model (trained this session)")]
           if job else [])
entries += catalogue.shipped_models()


def _image_check(built, meta) -> None:
    from core.errors import ConfigError

    if len(meta["input_shape"]) != 3:
        raise ConfigError("this model does not take images (it was trained on "
                          f"{meta['config'].dataset.name}); feature maps need an image model")


with st.sidebar:
    for upload_key, upload_label, upload_path in uploaded_models(PAGE, _image_check,
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
if st.session_state.get(key("select")) in keys:  # a model just uploaded
    st.session_state[key("model")] = st.session_state.pop(key("select"))
if key("model") not in st.session_state:
    wanted = st.query_params.get("model")
    st.session_state[key("model")] = (wanted if wanted in keys
                                      else keys[catalogue.default_model_index(entries)])
elif st.session_state[key("model")] not in keys:  # the session model went away
    st.session_state[key("model")] = keys[catalogue.default_model_index(entries)]
labels = {e.key: e.label for e in entries}
with st.sidebar:
    chosen = st.selectbox("Model", keys, key=key("model"), format_func=labels.__getitem__)
entry = entries[keys.index(chosen)]


class Subject:
    """The chosen model, however it came: shipped file or this session's training job."""

    def __init__(self) -> None:
        self.dataset = None
        self.data_problem: str | None = None
        self.can_fetch = False
        self.history: list[dict] = []
        if entry.path is None:
            self.model = job.clone_model().eval()
            self.head, self.summary = job.head, job.built.summary
            self.summary_text = job.built.summary_text()
            self.config, self.meta = job.config, {"metrics": {}, "extra": {}}
            self.dataset = job.dataset
            self.input_shape = tuple(job.dataset.input_shape)
            self.class_names = list(job.dataset.class_names)
            self.lock = None
            self.history = list(job.history)
            self.cache_id = None
            self.note = f"weights after epoch {job.epoch} ({job.state})"
            return
        loaded = catalogue.load_shipped(str(entry.path), entry.path.stat().st_mtime)
        self.model, self.head = loaded.built.model, loaded.built.head
        self.summary, self.meta, self.lock = loaded.built.summary, loaded.meta, loaded.lock
        self.summary_text = loaded.built.summary_text()
        self.config = loaded.meta["config"]
        self.input_shape = tuple(loaded.meta["input_shape"])
        self.class_names = list(loaded.meta["class_names"])
        self.cache_id = (str(entry.path), entry.path.stat().st_mtime)
        self.note = loaded.meta.get("extra", {}).get("trained_at", "")
        self.note = f"trained {self.note}" if self.note else ""
        self._load_data()

    def _load_data(self) -> None:
        from core.data.download import DatasetUnavailable
        from core.errors import ConfigError

        problem = iv.dataset_status(self.config.dataset)
        ds_key = iv.dataset_key(self.config)
        self.can_fetch = problem is not None and self.config.dataset.name != "galaxy_zoo"
        if problem is not None and not st.session_state.get(key(f"fetch:{ds_key}")):
            self.data_problem = problem
            return
        try:
            self.dataset = iv.load_test_data(ds_key)
        except (DatasetUnavailable, ConfigError) as exc:
            self.data_problem = str(exc)
        except Exception as exc:  # a damaged file must not end the page
            self.data_problem = f"the data set could not be loaded ({type(exc).__name__}: {exc})"
        st.session_state.pop(key(f"fetch:{ds_key}"), None)

    def guarded(self):
        import contextlib

        return self.lock if self.lock is not None else contextlib.nullcontext()


try:
    subject = Subject()
except Exception as exc:  # a damaged or foreign model file: say so, keep the page
    st.error(f"This model could not be loaded: {literal(exc)}", icon=":material/error:")
    st.stop()

if len(subject.input_shape) != 3 or subject.head.task != "classification":
    st.warning("This page shows image classifiers; this model is not one.")
    st.stop()
channels, height, width = subject.input_shape
layer_names = iv.layer_labels(subject.summary)
params = sum(r.params for r in subject.summary)
metrics = subject.meta.get("metrics", {})
with st.sidebar:
    bits = [f"{params:,} parameters", f"input {width}×{height}"
            + (" colour" if channels == 3 else " grey")]
    if isinstance(metrics.get("test_accuracy"), int | float):
        bits.append(f"test accuracy {iv.fmt_pct(metrics['test_accuracy'])}")
    if subject.note:
        bits.append(subject.note)
    st.caption(" · ".join(bits))


# ----- which input ------------------------------------------------------------------------------
def _random_index(state_key: str, n: int) -> None:
    st.session_state[state_key] = int(np.random.default_rng().integers(n))


def _fetch(ds_key: str) -> None:
    st.session_state[key(f"fetch:{ds_key}")] = True


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
                      on_click=_fetch, args=(iv.dataset_key(subject.config),),
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
        pool = (np.arange(len(y_test)) if wanted == "any class"
                else np.flatnonzero(y_test == options.index(wanted) - 1))
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
            x_input = ds.x_test[index]
            shown = ds.show(x_input[None])[0].numpy()
            display = shown[0] if channels == 1 else np.moveaxis(shown, 0, -1)
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
            import torch

            mean = std = None
            if subject.dataset is not None and subject.dataset.normalization[0] is not None:
                mean, std = (t.flatten().numpy() for t in subject.dataset.normalization)
            elif isinstance(norm := subject.meta.get("extra", {}).get("normalization"), dict):
                mean, std = norm.get("mean"), norm.get("std")
            try:
                prepared = iv.prepare_upload(
                    upload.getvalue(), subject.input_shape,
                    normalization=subject.config.dataset.normalization, mean=mean, std=std,
                    digit_like=digit_like, invert=invert)
            except iv.ImageRefused as exc:
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
def _predict(x):
    import torch

    with subject.guarded(), torch.no_grad():
        was = subject.model.training
        subject.model.eval()
        try:
            return subject.head.probabilities(subject.model(x[None]))[0].numpy()
        finally:
            subject.model.train(was)


probs = _predict(x_input)
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
def _feature_maps(x):
    from core.inspection import feature_maps

    with subject.guarded():
        return feature_maps(subject.model, x)


def _block_caption(label: str, maps: np.ndarray) -> str:
    n, h, w = maps.shape
    shape = f"{n} maps of {w}×{h}"
    if "Conv2D" in label:
        return (f"{shape}. Each map is one learned filter slid over the previous layer, then "
                "the activation: bright where the filter's pattern is found, dark where not.")
    if "MaxPool" in label:
        return (f"{shape}. Max-pooling keeps the strongest response in each window: "
                "smaller maps, the same features, a little shift doesn't matter.")
    if "AvgPool" in label:
        return f"{shape}. Average-pooling blurs and shrinks each map."
    if "BatchNorm" in label:
        return (f"{shape}. Batch normalisation shifts and rescales each map by numbers learned "
                "in training: the same pictures on a steadier scale.")
    if "Dropout" in label:
        return f"{shape}. Dropout does nothing outside training: the maps pass unchanged."
    return f"{shape}."


st.divider()
maps_by_block = _feature_maps(x_input)
if maps_by_block:
    st.subheader("Feature maps, layer by layer")
    st.caption("Each map is scaled to its own range (viridis: dark purple low, yellow high); "
               "hover a map for its minimum and maximum, or pick one to enlarge it.")
    for name, maps in maps_by_block:
        label = layer_names.get(name, name)
        n = len(maps)
        shown = maps[:256]
        st.markdown(f"**{label}**")
        st.caption(_block_caption(label, maps)
                   + (f" The first 256 of {n} are shown." if n > 256 else ""))
        grid_col, big_col = st.columns([3, 1.25], gap="medium")
        cols, tile = iv.maps_grid_layout(len(shown))
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

    from core.inspection import first_conv_filters

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
                                       cols=iv.grid_columns(len(filters)), tile_px=56,
                                       uirevision="fm_filters")
        else:
            st.caption(f"{len(filters)} filters of {k}×{k} weights, on one shared scale: blue "
                       "weights add the pixel under them, orange ones subtract it. A filter "
                       "with blue beside orange responds to an edge.")
            fig = ic.image_grid_figure([f[0] for f in filters], cmap="diverging", vmin=-m,
                                       vmax=m, titles=[f"#{i + 1}" for i in range(len(filters))],
                                       cols=iv.grid_columns(len(filters)), tile_px=64,
                                       uirevision="fm_filters")
        st.plotly_chart(fig, key=key("filters"), config=PLOT_CONFIG)
else:
    st.subheader("No convolutions in this network")
    weights = iv.first_dense_images(subject.model, subject.input_shape)
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
                                       cols=iv.grid_columns(len(shown)), tile_px=88,
                                       uirevision="fm_dense")
        else:
            fig = ic.image_grid_figure([iv.signed_rgb(w) for w in shown],
                                       titles=[f"neuron {i + 1}" for i in range(len(shown))],
                                       cols=iv.grid_columns(len(shown)), tile_px=88,
                                       uirevision="fm_dense")
        st.plotly_chart(fig, key=key("dense"), config=PLOT_CONFIG)


# ----- activation and gradient statistics -------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def _shipped_stats(path: str, mtime: float, dataset_json: str) -> list[dict]:
    loaded = catalogue.load_shipped(path, mtime)
    dataset = iv.load_test_data(dataset_json)
    return _stats(loaded.built.model, loaded.built.head, loaded.lock, dataset,
                  iv.layer_labels(loaded.built.summary))


def _stats(model, head, lock, dataset, labels, x_single=None, target=None) -> list[dict]:
    import contextlib

    import torch

    from core.inspection import layer_statistics

    if dataset is not None:
        pick = torch.from_numpy(iv.pick_batch(len(dataset.y_test)))
        x, y = dataset.x_test[pick], dataset.y_test[pick]
    else:
        x, y = x_single[None], torch.tensor([target])
    # Gradients w.r.t. the input too: otherwise a first block that has no weights (Flatten)
    # outputs a tensor without gradients and layer_statistics cannot keep them.
    x = x.clone().requires_grad_(True)
    with lock if lock is not None else contextlib.nullcontext():
        stats = layer_statistics(model, head, head.criterion(), x, head.prepare_targets(y))
    return iv.stats_rows(stats, labels)


st.divider()
st.subheader("Activations and gradients, layer by layer")
if subject.dataset is not None and subject.cache_id is not None:
    rows = _shipped_stats(*subject.cache_id, iv.dataset_key(subject.config))
    batch_note = "over a fixed batch of 64 test images"
elif subject.dataset is not None:
    rows = _stats(subject.model, subject.head, None, subject.dataset, layer_names)
    batch_note = "over a fixed batch of 64 test images"
else:
    rows = _stats(subject.model, subject.head, subject.lock, None, layer_names, x_input, top)
    batch_note = "for this one image (no test images here), with its predicted class as target"
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
            scores = (f"accuracy {iv.fmt_pct(ic.accuracy(matrix))} · balanced accuracy "
                      f"{iv.fmt_pct(ic.balanced_accuracy(matrix))}")
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

