"""Draw a digit: the MNIST page a workshop crowd plays with. Draw, and a network reads it the
moment the pen lifts; see the 28×28 picture it really gets, where it looked, and teach it with
your own drawings. Layout and widgets only: the preprocessing is core.pictures.preprocess, the
models
core.pictures.digits, the readers, fine-tuning and arrays playground.digits.draw_views, the pictures
playground.charts.image_charts."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from core.models.assets import assets_dir
from core.pictures.digits import collection_zip, doubt
from core.pictures.preprocess import ImageRefused, prepare_digit
from playground import model_catalogue as catalogue
from playground.charts import image_charts as ic
from playground.digits import draw_canvas
from playground.digits import draw_views as dv
from playground.digits import feature_maps_views as fmv
from playground.export_panel import export_panel
from playground.jobs import configure_threads, session_jobs
from playground.literal import literal
from playground.model_upload import uploaded_models

PAGE = "draw"
PLOT_CONFIG = {"displayModeBar": False}
DIGITS = [str(d) for d in range(10)]
configure_threads()


def key(name: str) -> str:
    return f"{PAGE}:{name}"


state = st.session_state
state.setdefault(key("canvas_n"), 0)
state.setdefault(key("collection"), [])
collection: list[dict] = state[key("collection")]

# ----- which model ------------------------------------------------------------------------------
job = dv.session_digit_job(session_jobs())
choices = list(dv.shipped_choices())
if job is not None:
    choices.append(dv.Choice(dv.SESSION_KEY, "Your model (trained this session on MNIST)"))
tuned = state.get(key("tuned"))
if tuned is not None:
    choices.append(dv.Choice(dv.TUNED_KEY, tuned["label"]))


with st.sidebar:
    choices += [dv.Choice(*entry) for entry in
                uploaded_models(PAGE, dv.digit_check,
                                "a digit classifier: grey images, 10 classes")]

st.title("Draw a digit")
st.caption("Draw a digit from 0 to 9, and a neural network trained on MNIST's 60,000 "
           "handwritten digits reads it as soon as you lift the pen. Try to fool it!")

if not choices:
    st.error(f"No digit model is here: the shipped MNIST models (`mnist_cnn.safetensors`, "
             f"`mnist_mlp.safetensors`) are missing from `{assets_dir()}`, and no MNIST "
             f"model was trained in this session.", icon=":material/error:")
    st.stop()

keys = [c.key for c in choices]
labels = {c.key: c.label for c in choices}
catalogue.settle_choice(PAGE, keys, fallback=st.query_params.get("model"))


def _clear() -> None:
    state[key("canvas_n")] += 1


with st.sidebar:
    chosen = st.radio("Model", keys, key=key("model"), format_func=labels.__getitem__,
                      help="Which network reads your drawing. Switch and compare: the same "
                           "drawing stays on the canvas.")
    brush = st.slider("Brush width", min_value=6, max_value=48, value=22, step=2,
                      key=key("brush"), help="Pixels on the 280×280 canvas. Thin strokes are "
                      "thickened before the network sees them, as MNIST's pen strokes were "
                      "2–3 of its 28 pixels wide.")


def reader_for(choice: dv.Choice) -> dv.Reader:
    return dv.reader_for(choice, job, tuned, state.setdefault(key("job_cache"), {}))


try:
    reader = reader_for(choices[keys.index(chosen)])
except Exception as exc:  # a damaged model file: say so, keep the page
    st.error(f"This model could not be loaded: {literal(exc)}", icon=":material/error:")
    st.stop()
if reader.note:
    st.sidebar.caption(reader.note)


# ----- the collection of labelled drawings and fine-tuning --------------------------------------
def _forget_collection() -> None:
    state[key("collection")] = []


def _forget_tuned() -> None:
    state.pop(key("tuned"), None)
    state.pop(key("tuned_before"), None)


def _fine_tune(image: np.ndarray | None, steps: int, lr: float) -> None:
    state[key("tuned")], before = dv.fine_tune_copy(reader, collection, image, steps, lr)
    state.pop(key("tuned_before"), None)
    if before is not None:
        state[key("tuned_before")] = before
    state[key("select")] = dv.TUNED_KEY


def collection_panel(image: np.ndarray | None) -> None:
    st.markdown("**Your drawings**")
    if not collection:
        st.caption("None saved yet. When the network gets one wrong, tell it the right digit: "
                   "your drawings collect here, ready to download or to fine-tune on.")
        return
    images, targets = dv.collection_arrays(collection)
    shown = slice(max(0, len(collection) - 30), len(collection))
    titles = dv.collection_titles(collection[shown])
    grid_col, action_col = st.columns([1.5, 1.0], gap="large")
    with grid_col:
        st.caption(f"{len(collection)} drawing{'s' if len(collection) != 1 else ''}, each with "
                   "the digit you meant" + (" (the last 30 shown)" if len(collection) > 30
                                            else "") + "; in brackets what the network read.")
        st.plotly_chart(ic.image_grid_figure(list(images[shown]), titles=titles, cols=10,
                                             tile_px=52, uirevision="draw_collection"),
                        key=key("collection_grid"), config=PLOT_CONFIG)
    with action_col:
        what = ("Fine-tune it further" if reader.key == dv.TUNED_KEY
                else f"Fine-tune {reader.label.split(' (')[0]}")
        tune = st.button(what, type="primary",
                         icon=":material/school:", key=key("tune"), width="stretch",
                         help="Trains a copy of the chosen model for a few steps on your "
                              "drawings; the copy appears in the model list as 'Fine-tuned on "
                              "your drawings'.")
        with st.expander("Fine-tuning settings"):
            steps = st.slider("Adam steps", 5, 200, 40, step=5, key=key("steps"),
                              help="Each step sees all your drawings (shifted a pixel each way) "
                                   "and a few real MNIST digits, so the network does not forget "
                                   "the rest.")
            lr = st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], value=1e-3,
                                  key=key("lr"), format_func=lambda v: f"{v:g}")
        st.download_button(
            "Download (PNG files + labels.csv)", icon=":material/download:",
            data=collection_zip(list(images), list(targets),
                                [i["predicted"] for i in collection]),
            file_name="my_digits.zip", mime="application/zip", key=key("download"),
            width="stretch", on_click="ignore")
        st.button("Forget my drawings", icon=":material/delete:", on_click=_forget_collection,
                  key=key("forget"), width="stretch")
        if tuned is not None:
            st.button("Forget the fine-tuned model", icon=":material/undo:",
                      on_click=_forget_tuned, key=key("forget_tuned"), width="stretch")
            if tuned.get("config") is not None:
                with st.expander("Export the fine-tuned model", icon=":material/download:"):
                    export_panel("draw-finetuned", lambda: dv.tuned_exportable(tuned), "mnist",
                                 data_path="mnist.npz")
    if tune:
        with st.spinner("Fine-tuning a copy of the model…"):
            _fine_tune(image, steps, lr)
        st.rerun()


# ----- the drawing and what the network reads ---------------------------------------------------
# On a phone the three columns stack, which would put the answer two screens below the canvas:
# a one-line answer under the canvas shows there instead (hidden on wider screens).
st.html(f"<style>{dv.PHONE_ANSWER_CSS}</style>")
draw_col, seen_col, answer_col = st.columns([1.0, 0.95, 1.3], gap="medium")
with draw_col:
    st.markdown("**Your drawing**")
    result = draw_canvas.canvas(stroke_width=brush, key=key(f"canvas:{state[key('canvas_n')]}"))
    phone_answer = st.container(key=dv.PHONE_ANSWER_KEY)
    st.button("Clear", icon=":material/ink_eraser:", on_click=_clear, key=key("clear"),
              help="A fresh canvas. Undo and redo are on the canvas's own toolbar, which "
                   "appears above it when you point at it or touch it.")
    st.caption("Mouse, finger or pen. Undo, redo and clear are also on the toolbar above the "
               "canvas when you point at it or touch it.")

started = time.perf_counter()
raw = getattr(result, "image_data", None)  # the canvas PNG, decoded
prepared = None
if raw is not None:
    try:
        prepared = prepare_digit(raw)
    except ImageRefused as exc:
        seen_col.error(f"This drawing cannot be read: {exc}.", icon=":material/broken_image:")

if prepared is None or prepared.empty:
    with seen_col:
        st.markdown("**What the network sees**")
        st.plotly_chart(ic.heatmap_figure(np.zeros((28, 28), np.float32), cmap="grey", vmin=0.0,
                                          vmax=1.0, height=280, value_label="ink",
                                          colorbar=False, uirevision="draw_seen"),
                        key=key("seen"), config=PLOT_CONFIG)
        st.caption("The 28×28 picture the network gets, once you draw.")
    with answer_col:
        st.info("**Draw a digit** from 0 to 9 in the black square — big or small, anywhere in "
                "the square. Lift the pen, and the network's answer appears here.",
                icon=":material/draw:")
    if collection:
        st.divider()
        collection_panel(None)
    st.stop()

image = prepared.image
x = reader.input(image)
probs = reader.probabilities(image)
elapsed_ms = (time.perf_counter() - started) * 1000
top = int(np.argmax(probs))

with phone_answer:
    st.markdown(f"### It reads a {top} · {probs[top]:.0%} sure")
    if doubt(probs):
        st.caption(doubt(probs))

with seen_col:
    st.markdown("**What the network sees**")
    st.plotly_chart(ic.heatmap_figure(image, cmap="grey", vmin=0.0, vmax=1.0, height=280,
                                      value_label="ink", colorbar=False,
                                      uirevision="draw_seen"),
                    key=key("seen"), config=PLOT_CONFIG)
    st.caption("28×28 pixels, made as MNIST's digits were: cropped to the ink, scaled to 20 "
               "pixels, centred by its centre of mass."
               + (" Thin strokes were thickened." if prepared.thickened else ""))

with answer_col:
    st.markdown(
        f'<div class="draw-answer" style="display:flex;align-items:center;gap:1.2rem">'
        f'<span class="draw-digit" aria-label="predicted digit {top}" style="font-size:5.5rem;'
        f'font-weight:700;line-height:1;color:#1f6fb4">{top}</span>'
        f'<span style="font-size:1.05rem">The network reads a <b>{top}</b><br>'
        f'{probs[top]:.0%} sure</span></div>', unsafe_allow_html=True)
    strange = reader.warning(image)
    if strange:
        st.warning(strange, icon=":material/report:")
    note = doubt(probs)
    if note:
        st.warning(note, icon=":material/help:")
    st.altair_chart(ic.probability_chart(probs, DIGITS, bar_px=20), width="stretch",
                    key=key("probs"))
    others = dv.other_readings(choices, reader, image, reader_for)
    if others:
        st.caption("The other models read: " + " · ".join(others))
    st.caption(f"Read in {elapsed_ms:.0f} ms: decoding the canvas, preprocessing and the "
               "network.")

before = state.get(key("tuned_before"))
if reader.key == dv.TUNED_KEY and before and before["digest"] == dv.image_digest(image):
    st.success(f"Before fine-tuning, {before['model']} read this drawing as a "
               f"**{before['digit']}** ({before['p']:.0%}); the fine-tuned copy reads "
               f"**{top}** ({probs[top]:.0%}).", icon=":material/school:")

# ----- teach it ---------------------------------------------------------------------------------
st.divider()
st.subheader("Wrong? Tell it the right digit")
st.caption("Pick the digit you meant and save the drawing. Collect a few of its mistakes, then "
           "fine-tune the network on them and watch its answer change.")
pick_col, save_col = st.columns([2.0, 1.0], vertical_alignment="bottom")
with pick_col:
    right = st.pills("The right digit", DIGITS, key=key("right"))
with save_col:
    save = st.button("Save this drawing" + (f" as a {right}" if right is not None else ""),
                     icon=":material/add:", key=key("save"), disabled=right is None,
                     width="stretch")
if save:
    st.success(dv.add_drawing(collection, image, int(right), top, reader.label),
               icon=":material/check:")
collection_panel(image)

# ----- look inside ------------------------------------------------------------------------------
st.divider()
st.subheader("Look inside the network")
saliency, cam = dv.pixel_maps(reader, x, top)
tiles = [np.repeat(image[..., None], 3, axis=2), dv.heat_overlay(image, saliency)]
titles = ["what it sees", f"saliency for {top}"]
if cam is not None:
    tiles.append(dv.heat_overlay(image, cam))
    titles.append(f"Grad-CAM for {top}")
pix_col, text_col = st.columns([1.6, 1.0], gap="large")
with pix_col:
    st.plotly_chart(ic.image_grid_figure(tiles, titles=titles, cols=3, tile_px=190,
                                         uirevision="draw_pixels"),
                    key=key("pixels"), config=PLOT_CONFIG)
with text_col:
    st.markdown("**Which pixels drove the decision**")
    st.caption(f"**Saliency**: how much the score of {top} changes when each pixel changes a "
               "little (the gradient); bright pixels matter most — empty ones too: ink there "
               "would change its mind. "
               + ("**Grad-CAM**: where the last convolution layer found the evidence for "
                  f"{top}, weighted by how much each of its maps counts for {top}."
                  if cam is not None else
                  "Grad-CAM needs convolution layers; this network has none."))

maps = dv.conv_feature_maps(reader, x)
if maps:
    st.markdown("**Feature maps of your digit, convolution by convolution**")
    st.caption("Each map is one learned filter slid over the layer's input, then the "
               "activation: bright (yellow) where the filter's pattern is found, dark where not. "
               "Each map has its own scale; hover for its range.")
    for label, layer_maps in maps:
        cols, tile = fmv.maps_grid_layout(len(layer_maps))
        n, h, w = layer_maps.shape
        st.markdown(f"{label} — {n} maps of {w}×{h}")
        st.plotly_chart(ic.image_grid_figure(list(layer_maps[:64]),
                                             titles=[f"#{i + 1}" for i in range(min(n, 64))],
                                             cols=cols, cmap="viridis", tile_px=tile,
                                             uirevision=f"draw_maps_{label}"),
                        key=key(f"maps:{label}"), config=PLOT_CONFIG)
else:
    st.caption("This network is a multi-layer perceptron: it flattens the 28×28 picture into "
               "784 numbers, so it has no feature maps. The saliency map above shows which "
               "pixels it weighed.")
