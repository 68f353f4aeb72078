"""The Draw a digit page under `streamlit.testing.v1.AppTest`.

AppTest cannot draw with a mouse, so the canvas is faked: the page calls the component through
`playground.digits.draw_canvas.canvas`, which these tests replace with a function returning what the
component returns after a stroke (an object whose `image_data` is the RGBA canvas)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from playground.digits import draw_canvas
from tests.pages.apptest import run_clean

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "draw.py")
ASSETS = ROOT / "assets"
TIMEOUT_S = 90

pytestmark = pytest.mark.skipif(not (ASSETS / "mnist_cnn.safetensors").is_file(),
                                reason="the shipped MNIST models are not in assets/")


def canvas_rgba(strokes, width: int = 22) -> np.ndarray:
    """What the component sends: a 280×280 opaque RGBA canvas, white strokes on black."""
    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    d = ImageDraw.Draw(im)
    for pts in strokes:
        d.line(pts, fill=(255, 255, 255, 255), width=width, joint="curve")
    return np.asarray(im)


ONE = [[(150, 50), (140, 235)]]
SEVEN = [[(70, 60), (210, 60), (120, 240)]]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch):
    """Set `drawn.image` to the canvas the fake component returns (None: nothing sent yet)."""
    holder = SimpleNamespace(image=None, calls=[])

    def fake_canvas(*, stroke_width: int, key: str, size: int = 280):
        holder.calls.append({"stroke_width": stroke_width, "key": key})
        return SimpleNamespace(image_data=holder.image, json_data=None)

    monkeypatch.setattr(draw_canvas, "canvas", fake_canvas)
    return holder


def _open() -> AppTest:
    return run_clean(AppTest.from_file(PAGE, default_timeout=TIMEOUT_S))


def _predicted(at: AppTest) -> int | None:
    for md in at.markdown:
        if 'class="draw-digit"' in md.value:
            return int(md.value.split('aria-label="predicted digit ')[1][0])
    return None


def _texts(at: AppTest) -> str:
    return " ".join([i.value for i in at.info] + [c.value for c in at.caption]
                    + [w.value for w in at.warning] + [s.value for s in at.success])


def test_empty_canvas_invites_to_draw(drawn):
    at = _open()
    assert "Draw a digit" in at.title[0].value
    assert any("Draw a digit" in i.value for i in at.info)
    assert _predicted(at) is None
    assert drawn.calls and drawn.calls[-1]["stroke_width"] == 22
    # the model picker: the shipped CNN first and chosen, the MLP beside it
    picker = at.sidebar.radio[0]
    assert picker.value == "mnist_cnn"
    assert picker.options[0].startswith("MNIST CNN (99")
    assert picker.options[1].startswith("MNIST MLP 784-16-16-10")
    # a blank canvas sent by the component (after "reset canvas") is no drawing either
    drawn.image = canvas_rgba([])
    run_clean(at)
    assert _predicted(at) is None and any("Draw a digit" in i.value for i in at.info)


def test_a_drawn_one_and_seven_are_read(drawn):
    drawn.image = canvas_rgba(ONE)
    at = _open()
    assert _predicted(at) == 1
    assert len(at.get("plotly_chart")) >= 3  # what it sees, pixels, feature maps
    assert "The other models read: MNIST MLP 784-16-16-10: **1**" in _texts(at)
    drawn.image = canvas_rgba(SEVEN)
    run_clean(at)
    assert _predicted(at) == 7
    # the same drawing through the MLP: no feature maps, a sentence says why
    at.sidebar.radio[0].set_value("mnist_mlp")
    run_clean(at)
    assert _predicted(at) == 7
    assert "has no feature maps" in _texts(at)


def test_the_clear_button_gives_a_fresh_canvas(drawn):
    drawn.image = canvas_rgba(ONE)
    at = _open()
    first_key = drawn.calls[-1]["key"]
    drawn.image = None  # a new canvas has sent nothing
    at.button(key="draw:clear").click()
    run_clean(at)
    assert drawn.calls[-1]["key"] != first_key
    assert any("Draw a digit" in i.value for i in at.info)


def test_teach_by_mistakes_collects_downloads_and_fine_tunes(drawn):
    drawn.image = canvas_rgba(SEVEN)
    at = _open()
    assert _predicted(at) == 7
    at.pills(key="draw:right").set_value("2")
    run_clean(at)
    at.button(key="draw:save").click()
    run_clean(at)
    assert "Saved as a 2: 1 drawing in your collection." in _texts(at)
    at.button(key="draw:save").click()
    run_clean(at)
    assert "already in your collection as a 2" in _texts(at)
    collection = at.session_state["draw:collection"]
    assert len(collection) == 1 and collection[0]["label"] == 2
    assert collection[0]["predicted"] == 7
    # the download is a zip with the PNG and labels.csv
    zipped = collection_zip_from_state(collection)
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        assert zf.namelist() == ["drawing_001_label_2.png", "labels.csv"]
    # fine-tune (few steps to keep it quick): the copy becomes the chosen model
    at.slider(key="draw:steps").set_value(30)
    at.select_slider(key="draw:lr").set_value(3e-3)
    run_clean(at)
    at.button(key="draw:tune").click()
    run_clean(at)
    assert at.sidebar.radio[0].value == "tuned"
    assert at.sidebar.radio[0].options[-1] == "Fine-tuned on your drawings"
    assert "Before fine-tuning, MNIST CNN read this drawing as a **7**" in _texts(at)
    assert _predicted(at) == 2
    # forgetting the copy goes back to the shipped CNN
    at.button(key="draw:forget_tuned").click()
    run_clean(at)
    assert len(at.sidebar.radio[0].options) == 2
    assert at.sidebar.radio[0].value == "mnist_cnn" and _predicted(at) == 7


def collection_zip_from_state(collection: list[dict]) -> bytes:
    from core.pictures.digits import collection_zip

    images = [item["image"].astype(np.float32) / 255 for item in collection]
    return collection_zip(images, [i["label"] for i in collection],
                          [i["predicted"] for i in collection])


def test_the_sessions_own_mnist_model_joins_the_picker(drawn):
    """A model trained this session on MNIST (the images page's job) is offered and used; one
    trained on another data set is not."""
    import copy

    import torch

    from core.models.model_io import load_model
    from playground import jobs as session

    built, meta = load_model(ASSETS / "mnist_mlp.safetensors")

    def fake_job(dataset_name: str) -> SimpleNamespace:
        dataset = SimpleNamespace(input_shape=(1, 28, 28), class_names=[str(d) for d in range(10)],
                                  normalization=(None, None))
        config = SimpleNamespace(dataset=SimpleNamespace(name=dataset_name))
        return SimpleNamespace(
            dataset=dataset, config=config, head=built.head, built=built, epoch=3,
            step_count=1200, state="paused", stop=lambda *a, **k: None,
            clone_model=lambda: copy.deepcopy(built.model).to(torch.device("cpu")))

    drawn.image = canvas_rgba(SEVEN)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT_S)
    jobs = session.SessionJobs()
    jobs.replace("images", fake_job("mnist"))
    at.session_state[session._KEY] = jobs
    run_clean(at)
    picker = at.sidebar.radio[0]
    assert picker.options[-1] == "Your model (trained this session on MNIST)"
    picker.set_value("yours")
    run_clean(at)
    assert _predicted(at) == 7
    assert "weights after epoch 3 (paused)" in _texts(at)

    other = AppTest.from_file(PAGE, default_timeout=TIMEOUT_S)
    jobs = session.SessionJobs()
    jobs.replace("images", fake_job("galaxy_zoo"))
    other.session_state[session._KEY] = jobs
    run_clean(other)
    assert len(other.sidebar.radio[0].options) == 2
