"""Lesson 6: any network of the playground as the Keras and PyTorch code a student would type."""

from __future__ import annotations

import copy
import json

import streamlit as st

from core.codegen import NetworkShape, keras_code, pytorch_code, summary
from core.config import RunConfig
from core.data import load_dataset
from core.errors import ConfigError
from core.models.assets import assets_dir
from core.models.model_io import read_metadata
from playground.images.image_setup import STARTERS, default_image_config
from playground.lessons.lesson_widgets import lesson_threads, notice, try_on_images
from playground.presets import PRESETS

SHIPPED = {"mnist_mlp": "The lecture's MLP 784-16-16-10 (shipped, MNIST)",
           "mnist_cnn": "The shipped MNIST CNN", "galaxy_cnn": "The shipped galaxy CNN"}
lesson_threads()


@st.cache_data(show_spinner=False, max_entries=64)
def _toy_shape(dataset_json: str) -> NetworkShape:
    return NetworkShape.of(load_dataset(RunConfig.from_dict(
        {"dataset": json.loads(dataset_json)}).dataset))


def toy_shape(config: RunConfig) -> NetworkShape:
    """Inputs and classes of a 2-D playground dataset (generating 500 points is instant)."""
    return _toy_shape(json.dumps(config.to_dict()["dataset"], sort_keys=True))


def mlp_on_mnist() -> RunConfig:
    config = default_image_config("mnist")
    config.network.layers = copy.deepcopy(STARTERS["mlp"][1])
    return config


def sources() -> dict[str, tuple[RunConfig | None, NetworkShape | None, str | None]]:
    """label → (config, data shape, problem): shipped models, this session's pages, presets."""
    out: dict[str, tuple[RunConfig | None, NetworkShape | None, str | None]] = {}
    for name, label in SHIPPED.items():
        path = assets_dir() / f"{name}.safetensors"
        if path.is_file():
            meta = read_metadata(path)
            out[label] = (meta["config"], NetworkShape.of_model_file(meta), None)
    for page, label in (("playground", "Your Playground setup"),
                        ("images", "Your Train-on-images setup")):
        data = st.session_state.get(f"_config.{page}")
        if data is None:
            continue
        try:
            config = RunConfig.from_dict(copy.deepcopy(data))
        except (ConfigError, TypeError) as exc:
            out[label] = (None, None, f"that setup is not valid yet ({exc})")
            continue
        jobs = st.session_state.get("_session_jobs")
        job = jobs.get(page) if jobs is not None else None
        if job is not None and job.config.dataset == config.dataset:
            out[label] = (config, NetworkShape.of(job.dataset), None)
        elif page == "playground":
            out[label] = (config, None, None)
        else:
            out[label] = (config, None, "load its data on the Train on images page first "
                                        "(the code needs the picture size and classes)")
    for preset in PRESETS.values():
        config = preset.config()
        out[f"Playground preset: {preset.title}"] = (config, None, None)
    return out


st.title("The code you would write")
st.markdown(
    "Every network in this playground is plain data, and the same data can be written out as "
    "code: Keras `Sequential`, as the lecture decks write it, and PyTorch, which is what the "
    "playground really runs. Both are generated from the configuration by `core/codegen.py`; "
    "the tests run the PyTorch code and check it builds the same model.")
options = sources()
choice = st.selectbox("Network", list(options), key="code:source")
config, shape, problem = options[choice]
if config is not None and shape is None and problem is None:
    shape = toy_shape(config)
if problem or config is None or shape is None:
    st.warning(f"{choice}: {problem}")
    st.stop()
try:
    built = summary(config, shape)
except ConfigError as exc:
    st.error(f"This network cannot be built: {exc}")
    st.stop()

tab_keras, tab_torch, tab_summary = st.tabs(["Keras", "PyTorch", "model.summary()"])
with tab_keras:
    keras_text = keras_code(config, shape)
    st.code(keras_text, language="python", line_numbers=True)
    st.download_button("Download keras_model.py", keras_text, file_name="keras_model.py",
                       mime="text/x-python", icon=":material/download:", key="code:dl_keras",
                       on_click="ignore")
    st.caption("Keras wants images as height × width × channels; the playground (like "
               "PyTorch) keeps channels first.")
with tab_torch:
    torch_text = pytorch_code(config, shape)
    st.code(torch_text, language="python", line_numbers=True)
    st.download_button("Download torch_model.py", torch_text, file_name="torch_model.py",
                       mime="text/x-python", icon=":material/download:", key="code:dl_torch",
                       on_click="ignore")
    st.caption("The output layer gives raw scores; the sigmoid or softmax sits inside the loss "
               "(more stable), and the playground applies it only to show probabilities.")
with tab_summary:
    st.dataframe([{"Layer (type)": r.label,
                   "Output shape": "(None, " + ", ".join(map(str, r.output_shape)) + ")",
                   "Param #": r.params} for r in built.summary], hide_index=True,
                 column_config={"Param #": st.column_config.NumberColumn(format="localized")})
    st.metric("Total parameters", f"{built.total_params:,}")
    if any(r.label == "BatchNorm" for r in built.summary):
        st.caption("Keras lists each batch-norm layer's running mean and variance as extra "
                   "non-trainable parameters (2 per channel); torch keeps them as buffers, so "
                   "they are not counted here.")
notice([
    "The lecture's 784-16-16-10 MLP has 784·16 + 16 + 16·16 + 16 + 16·10 + 10 = 13,002 "
    "parameters: pick it above and compare with the summary tab.",
    "In Keras the output layer carries its softmax; in PyTorch the softmax lives inside "
    "CrossEntropyLoss. Same model, two conventions.",
    "Copy the code with the button in the code box's corner, or download it as a file.",
])
try_on_images(mlp_on_mnist(), "the lecture's MLP 784-16-16-10", "code:mlp")
