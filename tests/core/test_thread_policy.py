"""Who reserves what of the process's thread budget (core/threads.py): the app keeps one core
for the UI on machines with at most 4 cores, none on bigger ones, decided once per process
(playground/jobs.py configure_threads); the headless CLI reserves none, whatever ran before
it. And the in-process CLI tests leave the budget as they found it (tests/core/conftest.py)."""

from __future__ import annotations

import json

import pytest
import torch

import core.threads
from core import cli
from core.threads import BUDGET
from tests.core.helpers import dense, make_config


@pytest.fixture
def configure_threads(monkeypatch: pytest.MonkeyPatch):
    """The app's configure_threads, as if this process had not called it yet (put back after)."""
    from playground import jobs

    monkeypatch.setattr(jobs.configure_threads, "done", False, raising=False)
    # the tests below set the machine's core count on core.threads; the app asks it there
    monkeypatch.setattr(jobs, "available_cores", lambda: core.threads.available_cores())
    return jobs.configure_threads


@pytest.mark.parametrize(("cores", "reserve"), [(1, 1), (2, 1), (4, 1), (5, 0), (16, 0)])
def test_the_app_keeps_a_core_for_the_ui_on_small_machines(
        configure_threads, monkeypatch: pytest.MonkeyPatch, cores: int, reserve: int) -> None:
    BUDGET.configure(reserve=3 - reserve)  # anything else: the policy must set it
    monkeypatch.setattr(core.threads, "available_cores", lambda: cores)
    configure_threads()
    assert BUDGET.reserve == reserve
    assert torch.get_num_threads() == BUDGET.threads_for(BUDGET.running)


def test_the_app_decides_once_per_process(configure_threads,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.threads, "available_cores", lambda: 16)
    configure_threads()
    assert BUDGET.reserve == 0
    BUDGET.configure(reserve=2)  # e.g. a test or a tool chose otherwise since
    monkeypatch.setattr(core.threads, "available_cores", lambda: 2)
    configure_threads()  # every page run calls it: it must not decide again (that gives 1)
    assert BUDGET.reserve == 2


def _commands(tmp_path) -> dict[str, list[str]]:
    config = tmp_path / "tiny.json"
    config.write_text(make_config({"name": "xor", "samples": 40}, {"layers": [dense(2)]},
                                  {"epochs": 1, "device": "cpu"}).to_json())
    missing = str(tmp_path / "missing.safetensors")  # the predictors configure, then load
    picture = str(tmp_path / "picture.png")
    return {"train": ["train", str(config), "--out", str(tmp_path / "tiny.safetensors")],
            "lr-find": ["lr-find", str(config), "--steps", "10"],
            "predict-digit": ["predict-digit", picture, "--model", missing],
            "predict-galaxy": ["predict-galaxy", picture, "--model", missing]}


@pytest.mark.parametrize("command", ["train", "lr-find", "predict-digit", "predict-galaxy"])
def test_the_cli_reserves_no_core(tmp_path, capsys, command: str) -> None:
    BUDGET.configure(reserve=1, cores=max(2, BUDGET.cores))  # as the app leaves it
    code = cli.main(_commands(tmp_path)[command])
    out = capsys.readouterr()
    assert code in (0, cli.EXIT_BAD_INPUT), out
    if code == 0:
        assert json.loads(out.out.splitlines()[-1])["event"] == "end"
    assert BUDGET.reserve == 0
    assert torch.get_num_threads() == BUDGET.threads_for(BUDGET.running) == BUDGET.cores


def test_after_a_cli_test_the_budget_is_as_the_tests_set_it() -> None:
    """Runs after the CLI tests above (file order): the autouse fixture put the budget back
    to the one-thread setting of tests/core/conftest.py."""
    assert BUDGET.reserve == BUDGET.cores - 1
    assert torch.get_num_threads() == 1
