"""The six Lessons pages under `streamlit.testing.v1.AppTest`: each renders from the navigation,
its one thing to play with answers, and "try it" opens the matching setup.

Pages are reached through app.py as a student reaches them (Home first, then switch_page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.train import Job
from playground.jobs import SessionJobs
from playground.presets import PRESETS
from tests.core.helpers import dense, make_config

APP = str(Path(__file__).resolve().parents[2] / "app.py")
LESSONS = "app_pages/lessons/"


def _errors(at: AppTest) -> str:
    return "\n".join(e.message + "\n" + "".join(e.stack_trace or []) for e in at.exception)


def open_lesson(name: str, state: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.switch_page(LESSONS + name).run()
    assert not at.exception, _errors(at)
    return at


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, _errors(at)
    return at


def by_label(elements: Any, label: str) -> Any:
    found = [e for e in elements if e.label == label]
    assert found, f"no element labelled {label!r} among {[e.label for e in elements]}"
    return found[0]


def by_key(elements: Any, key: str) -> Any:
    found = [e for e in elements if e.key == key]
    assert found, f"no element with key {key!r}"
    return found[0]


def text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in (at.info, at.success, at.warning, at.error) for e in kind]
    return "\n".join(str(p) for p in parts)


def metric(at: AppTest, label: str) -> str:
    return by_label(at.metric, label).value


def test_perceptron_rule_steps_and_opens_the_playground(started_jobs: list[Job]) -> None:
    at = open_lesson("perceptron.py")
    assert at.title[0].value == "The perceptron"
    assert metric(at, "Corners right (AND)") == "4 of 4"
    by_key(at.radio, "pc:gate").set_value("XOR")
    assert metric(run(at), "Corners right (XOR)") == "1 of 4"
    for _ in range(4):
        by_key(at.button, "pc:step:next").click()
        run(at)
    assert "**Epoch 1, corner (1.0, 1.0)** (target 1)" in text(at)
    assert "Learned: epoch 6 had every corner right" in text(at)
    by_key(at.radio, "pc:rule_gate").set_value("XOR")
    run(at)
    assert at.session_state["pc:step"] == 0  # a new setup starts again
    assert "Not learned after 20 epochs" in text(at)
    by_label(at.button, "Try it in the Playground: " + PRESETS["perceptron-xor"].title).click()
    run(at)
    assert at.title[0].value == "Playground"
    config = at.session_state["_config.playground"]
    assert config["dataset"]["name"] == "xor" and config["network"]["layers"] == []
    assert any(PRESETS["perceptron-xor"].title in i.value for i in at.info)


def test_backprop_reveals_gradients_and_one_sgd_step() -> None:
    at = open_lesson("backprop.py")
    for _ in range(5):
        by_key(at.button, "bp:graph_step:next").click()
        run(at)
    assert "All done: ∂f/∂x = -4, ∂f/∂y = -4, ∂f/∂z = 3." in text(at)
    assert "∂f/∂x = ∂f/∂q · ∂q/∂x = -4 · 1 = -4" in text(at)
    by_key(at.number_input, "bp:z").set_value(2.0)
    run(at)
    assert at.session_state["bp:graph_step"] == 0
    assert metric(at, "Loss before") == "0.03503"
    assert metric(at, "Loss after one SGD step") == "0.02617"
    assert not at.warning
    by_key(at.number_input, "bp:lr").set_value(20.0)
    run(at)
    assert metric(at, "Loss after one SGD step") == "0.09129"
    assert "The loss went **up**" in at.warning[0].value


def test_functions_gallery_dead_relus_and_losses(started_jobs: list[Job]) -> None:
    jobs = SessionJobs()
    relu = make_config({"name": "circle"}, {"layers": [dense(6, "relu"), dense(6, "relu")]})
    jobs.replace("playground", Job(relu))
    at = open_lesson("functions.py", {"_session_jobs": jobs})
    assert len([c for c in at.get("plotly_chart")]) >= 9 + 2 + 1
    assert "Your Playground run (epoch 0)" in [h.value for h in at.subheader]
    assert "units dead." in text(at)
    by_key(at.selectbox, "fn:loss").set_value("bce")
    run(at)
    by_key(at.slider, "fn:at:bce").set_value(0.5)
    run(at)
    assert "loss **0.6931**, gradient **2**." in text(at)  # label 0: push p down
    by_key(at.radio, "fn:label:bce").set_value(1.0)
    run(at)
    assert "loss **0.6931**, gradient **-2**." in text(at)


def test_convolution_pixel_by_hand_matches_torch() -> None:
    at = open_lesson("convolution.py")
    assert metric(at, "By hand (sum of products)") == metric(at, "torch.nn.functional.conv2d")
    by_key(at.slider, "cv:stride").set_value(2)
    run(at)
    assert any(r"\right\rfloor + 1 = 14" in latex.value for latex in at.latex)
    assert metric(at, "By hand (sum of products)") == metric(at, "torch.nn.functional.conv2d")
    assert metric(at, "Conv2D: 16 filters of 3×3") == "160"
    assert "112" in " ".join(latex.value for latex in at.latex)  # the decks' pooling example


def test_gradients_train_and_explode() -> None:
    at = open_lesson("gradients.py")
    assert metric(at, "Step") == "0"
    assert float(metric(at, "‖∇W₁‖ / ‖∇W_out‖")) < 1e-4  # sigmoid, 10 layers: vanished
    by_key(at.button, "gf:train").click()
    run(at)
    assert metric(at, "Step") == "50"
    by_key(at.radio, "gf:act").set_value("relu")
    by_key(at.radio, "gf:init").set_value("too big (normal, std 1.5)")
    run(at)
    assert metric(at, "Step") == "0"
    by_key(at.button, "gf:train").click()
    run(at)
    assert "The gradients exploded" in text(at)


@pytest.mark.parametrize("source", ["The lecture's MLP 784-16-16-10 (shipped, MNIST)",
                                    "Your Playground setup"])
def test_code_page_generates_code_and_summary(source: str) -> None:
    playground = make_config({"name": "spiral"}, {"layers": [dense(8), dense(8)]}).to_dict()
    at = open_lesson("code.py", {"_config.playground": playground})
    by_key(at.selectbox, "code:source").set_value(source)
    run(at)
    keras, torch_code = (c.value for c in at.code)
    if source.startswith("The lecture's"):
        assert metric(at, "Total parameters") == "13,002"
        assert "nn.Linear(784, 16)," in torch_code and "layers.Flatten()," in keras
    else:
        assert metric(at, "Total parameters") == f"{2 * 8 + 8 + 8 * 8 + 8 + 8 + 1:,}"
        assert "keras.Input(shape=(2,))," in keras and "nn.Linear(2, 8)," in torch_code
