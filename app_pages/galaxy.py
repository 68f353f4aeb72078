"""Classify galaxies: upload sky pictures (JPEG, PNG, TIFF, FITS) and see the network's
morphology call, how sure it is and where it looked; fine-tune it on your own classes. Layout
and widgets only: reading and framing are core.galaxies.sky_files / core.galaxies.galaxy_prep, the
models
core.galaxies.galaxy and core.models.transfer, the arrays and tables
playground.galaxies.galaxy_views."""

from __future__ import annotations

import streamlit as st

from core.galaxies.galaxy import PrepOptions, check_galaxy_model
from core.galaxies.galaxy_prep import FRAMINGS, STRETCHES
from core.models.assets import assets_dir
from playground import model_catalogue as catalogue
from playground.galaxies import galaxy_views as gv
from playground.galaxies.galaxy_tune import tune_panel
from playground.jobs import configure_threads, session_jobs
from playground.literal import literal
from playground.model_upload import uploaded_models

PAGE = "galaxy"
UPLOAD_TYPES = ["jpg", "jpeg", "png", "tif", "tiff", "gif", "fits", "fit", "fts"]
configure_threads()
state = st.session_state


def key(name: str) -> str:
    return f"{PAGE}:{name}"


# ----- which model ------------------------------------------------------------------------------
jobs = session_jobs()
choices = list(gv.shipped_choices())
own_job = gv.session_galaxy_job(jobs)
if own_job is not None:
    choices.append(gv.Choice("yours", "Your model (trained this session on the Images page)"))
tune_job = jobs.get(gv.TUNE_JOB)
if tune_job is not None and tune_job.history:
    names = ", ".join(tune_job.dataset.class_names)
    choices.append(gv.Choice("tuned", f"Fine-tuned on your classes ({names})"))


def _galaxy_check(built, meta) -> None:
    check_galaxy_model(built.head, meta["input_shape"], meta["class_names"], "this model")


with st.sidebar:
    choices += [gv.Choice(*entry) for entry in
                uploaded_models(PAGE, _galaxy_check, "an image classifier")]

st.title("Classify galaxies")
st.caption("Upload a galaxy picture — an SDSS or Legacy Survey cut-out, a Hubble press image, a "
           "FITS file from your own research — and see the network's morphology call, how sure "
           "it is, and which pixels drove it.")

if not choices:
    st.error(f"No galaxy model is here: the shipped galaxy CNN (`galaxy_cnn.safetensors`) is "
             f"missing from `{assets_dir()}`, and no galaxy model was trained in this session "
             "(train one on the Train on images page, with Galaxy Zoo data).",
             icon=":material/error:")
    st.stop()

keys = [c.key for c in choices]
labels = {c.key: c.label for c in choices}
catalogue.settle_choice(PAGE, keys)

with st.sidebar:
    chosen = st.radio("Model", keys, key=key("model"), format_func=labels.__getitem__)
    with st.expander("Preparation", expanded=True, icon=":material/tune:"):
        framing = st.selectbox("Framing", list(FRAMINGS), key=key("framing"),
                               format_func=FRAMINGS.__getitem__,
                               help="The training galaxies fill a similar share of every "
                                    "cut-out; auto finds your galaxy and frames it the same way.")
        zoom = 1.0
        if framing == "manual":
            zoom = st.slider("Keep this share of the picture", 0.05, 2.0, 0.5, 0.05,
                             key=key("zoom"), help="Of the shorter side, around the centre; "
                             "above 1 pads with sky.")
        stretch = st.selectbox("Stretch (FITS and 16-bit data)", list(STRETCHES),
                               key=key("stretch"), format_func=STRETCHES.__getitem__)
        low, high = st.slider("Clip to percentiles", 0.0, 100.0, (10.0, 99.8), 0.1,
                              key=key("clip"), help="Raw values below the low percentile show "
                              "as black sky, above the high one as white. 8-bit photos are "
                              "used as they are.")
        cube = st.radio("FITS cubes", ["one plane", "three planes as RGB"], key=key("cube"),
                        horizontal=True)
        if cube == "one plane":
            plane, rgb = st.number_input("Plane", 0, 999, 0, key=key("plane")), None
        else:
            cols = st.columns(3)
            rgb = tuple(int(c.number_input(band, 0, 999, i, key=key(f"rgb{i}")))
                        for i, (c, band) in enumerate(zip(cols, ("R", "G", "B"), strict=True)))
            plane = None

options = PrepOptions(framing=framing, zoom=float(zoom), stretch=stretch, low=float(low),
                      high=float(high), plane=None if plane is None else int(plane), rgb=rgb)
try:
    model, model_key = gv.resolve_model(chosen, choices, own_job, tune_job)
except Exception as exc:  # noqa: BLE001 - a broken model file must not take the page down
    st.error(f"This model cannot be used: {literal(exc)}", icon=":material/error:")
    st.stop()
card = gv.card_line(model)
if card:
    st.caption(card)
for note in gv.unreliable_notes(model).values():
    st.warning(note, icon=":material/warning:")

classify_tab, tune_tab = st.tabs([":material/travel_explore: Classify",
                                  ":material/school: Fine-tune on your own classes"])

with classify_tab:
    files = gv.uploaded("Galaxy pictures (JPEG, PNG, TIFF, GIF or FITS; several at once)",
                        UPLOAD_TYPES, key("uploads"))
    buttons = st.columns([1, 1, 3])
    if buttons[0].button("Try an example", icon=":material/casino:", key=key("example"),
                         help="Random galaxies of each class from the held-out test split "
                              "(the model never trained on them)."):
        message = gv.add_examples(model)
        if message:
            st.warning(literal(message), icon=":material/cloud_off:")
    examples = state.get("galaxy:examples", [])
    if examples and buttons[1].button("Clear examples", icon=":material/close:",
                                      key=key("clear")):
        state["galaxy:examples"] = []
        st.rerun()
    files += [(name, data) for name, data, _ in examples]
    truth = {name: true for name, _, true in examples}
    if not files:
        st.info("Upload one or more pictures, or press **Try an example**.",
                icon=":material/upload:")
    else:
        with st.spinner("Reading, framing and classifying…"):
            results = [gv.classify_cached(name, data, model, model_key, options)
                       for name, data in files]
        for r in results:
            if r.error:
                st.error(f"**{literal(r.file)}**: {literal(r.error)}",
                         icon=":material/broken_image:")
        good = [r for r in results if r.prediction is not None]
        if len(results) > 1:
            gv.results_table(results, truth)
        if good:
            shown = good[0]
            if len(good) > 1:
                names = [r.file for r in good]
                pick = st.selectbox("Look closer at", names, key=key("detail"))
                shown = good[names.index(pick)] if pick in names else good[0]
            gv.detail_view(shown, model, truth.get(shown.file))

with tune_tab:
    tune_panel(PAGE, model, chosen, options)
    if tune_job is not None and tune_job.history and chosen != "tuned":
        st.button("Classify with the fine-tuned model", icon=":material/arrow_upward:",
                  key=key("use_tuned"), on_click=lambda: state.update({key("select"): "tuned"}))
