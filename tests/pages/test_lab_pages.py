"""The Learning-rate and Optimizers labs under `streamlit.testing.v1.AppTest`: both pages
render, their controls are there, the regime and divergence messages follow the rate, the
range test runs and its rate reaches the Playground, three side-by-side jobs train, the
optimizer race runs, and the landscape of a Playground run is computed.

Pages are reached through app.py as a student reaches them; AppTest matches a page by its
registered path only after a first run, so each test runs Home first. Tabs are lazy (only the
open one runs), so the tests open a tab by setting its key.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from core.train import Job, run_to_end
from playground.jobs import SessionJobs
from tests.core.helpers import dense, make_config
from tests.pages.live import live_data

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT_S = 60


def _errors(at: AppTest) -> str:
    return "\n".join(e.message + "\n" + (e.stack_trace and "".join(e.stack_trace) or "")
                     for e in at.exception)


def open_lab(page: str, state: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.switch_page(page).run()
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


def texts(elements: Any) -> str:
    return "\n".join(e.value for e in elements)


# ----- Learning rate ---------------------------------------------------------------------------
def test_learning_rate_page_reports_regimes_and_divergence() -> None:
    at = open_lab("app_pages/learning_rate.py")
    assert at.title[0].value == "Learning rate"
    assert [t.label for t in at.tabs] == ["Overshoot and undershoot", "LR range test",
                                         "Side by side"]
    lr = by_label(at.select_slider, "Learning rate")
    assert lr.value == 0.3
    assert by_label(at.select_slider, "Curvature L").value == 1.0
    assert by_label(at.metric, "2/L (stability limit)").value == "2"
    assert "Small: crawling" in texts(at.info)

    lr.set_value(1.0)
    run(at)
    assert "About 1/L: the fastest" in texts(at.success)
    by_label(at.select_slider, "Learning rate").set_value(1.5)
    run(at)
    assert "oscillating but converging" in texts(at.warning)
    assert not at.error
    by_label(at.select_slider, "Learning rate").set_value(2.5)
    run(at)
    errors = texts(at.error)
    assert "Too large: diverging" in errors and "**Diverged** after 15 steps" in errors

    by_label(at.radio, "Surface").set_value("2-D bowl")
    run(at)
    assert by_label(at.select_slider, "Condition number κ").value == 10
    by_label(at.select_slider, "Learning rate").set_value(1.5)
    run(at)
    assert "flat direction" in "\n".join(c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 2


def test_range_test_runs_and_its_rate_reaches_the_playground() -> None:
    at = open_lab("app_pages/learning_rate.py", {"lr:tab": "LR range test",
                                                 "lr:sweep_steps": 100, "lr:start_lr": 1e-4})
    assert "No Playground setup in this session yet" in "\n".join(c.value for c in at.caption)
    at.button(key="lr:run_range").click()
    run(at)
    result = at.session_state["lab:range"]["result"]
    assert len(result.lrs) > 50 and result.suggestion is not None
    assert "Suggested learning rate" in texts(at.success)
    rate = float(f"{result.suggestion:.2g}")
    apply = at.button(key="lr:apply")
    assert apply.label == f"Apply {rate:g} to the Playground"
    apply.click()
    run(at)
    assert at.session_state["_config.playground"]["training"]["lr"] == rate
    assert f"now {rate:g}" in texts(at.info)

    at.switch_page("app_pages/playground_2d.py")
    run(at)
    assert by_label(at.select_slider, "Learning rate").value == rate


def test_side_by_side_trains_three_rates_from_the_same_weights(started_jobs: list[Job]) -> None:
    small = make_config({"name": "xor", "samples": 60}, {"layers": [dense(4)]},
                        {"optimizer": "sgd", "lr": 0.1, "epochs": 5, "device": "cpu"})
    at = open_lab("app_pages/learning_rate.py", {"lr:tab": "Side by side",
                                                 "_config.playground": small.to_dict(),
                                                 "lr:epochs": 3})
    rates = [e.value for e in at.number_input if e.label.startswith("lr, ")]
    assert rates == [0.01, 0.1, 1.0]
    at.button(key="lr:side_train").click()
    run(at)
    assert len(started_jobs) == 3
    deadline = time.monotonic() + 30
    while not all(job.done for job in started_jobs):
        assert time.monotonic() < deadline, [job.state for job in started_jobs]
        time.sleep(0.05)
    run(at)
    assert [job.config.training.lr for job in started_jobs] == [0.01, 0.1, 1.0]
    first = started_jobs[0].initial_state
    for job in started_jobs[1:]:
        assert all((job.initial_state[k] == v).all() for k, v in first.items())
    assert all(job.epoch == 3 for job in started_jobs)
    live = live_data(at, "lr_side_live")
    assert live["scene"]["labels"] == ["too small (lr 0.01)", "suggested (lr 0.1)",
                                       "too large (lr 1)"]
    runs = live["reply"]["frame"]["runs"]
    assert [run["epoch"] for run in runs] == [3, 3, 3]
    assert [len(rows) for rows in live["reply"]["rows"]] == [3, 3, 3]  # every curve point


# ----- Optimizers ----------------------------------------------------------------------------
def test_optimizers_page_races_and_reports() -> None:
    at = open_lab("app_pages/optimizers.py", {"opt:steps": 200})
    assert at.title[0].value == "Optimizers"
    assert by_label(at.selectbox, "Surface").value == "rosenbrock"
    boxes = {c.label.strip("*"): c.value for c in at.checkbox}
    assert boxes == {"SGD": True, "SGD + momentum": True, "Nesterov": False, "AdaGrad": False,
                     "Adadelta": False, "RMSProp": True, "Adam": True, "AdamW": False}
    assert "Pick the optimizers" in texts(at.info)

    by_label(at.selectbox, "Surface").set_value("two_minima")
    run(at)
    assert at.session_state["opt:start_x"] == 1.8  # the surface's own start and rates
    assert at.session_state["opt:lr.sgd"] == 0.05
    at.button(key="opt:race").click()
    run(at)
    summary = texts(at.markdown)
    assert "Stuck in the local minimum: SGD" in summary
    assert "SGD + momentum" in summary
    assert len(at.dataframe) == 1

    by_label(at.selectbox, "Surface").set_value("saddle")
    run(at)
    assert "Escaped the saddle" in texts(at.markdown)
    at.toggle(key="opt:show3d").set_value(True)
    run(at)
    assert len(at.get("plotly_chart")) == 2


def test_optimizers_page_shows_the_landscape_of_a_playground_run() -> None:
    at = open_lab("app_pages/optimizers.py", {"opt:tab": "The real thing: your network"})
    assert "Train a network on the **Playground** first" in texts(at.info)

    job = run_to_end(make_config({"name": "circle", "samples": 100, "noise": 0.1},
                                 {"layers": [dense(4)]},
                                 {"optimizer": "adam", "lr": 0.03, "epochs": 6,
                                  "device": "cpu"}))
    registry = SessionJobs()
    registry.replace("playground", job)
    at.session_state["_session_jobs"] = registry
    at.session_state["opt:resolution"] = 11
    run(at)
    assert "after **6 epochs**" in texts(at.markdown)
    at.button(key="opt:landscape").click()
    run(at)
    land = at.session_state["lab:landscape"]
    assert land["plane"].losses.shape == (11, 11) and land["checkpoints"] == 7
    assert "Computed at epoch 6" in "\n".join(c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 2

    at.session_state["opt:directions"] = "pca"
    at.button(key="opt:landscape").click()
    run(at)
    assert at.session_state["lab:landscape"]["plane"].directions == "pca"
    assert not at.error
