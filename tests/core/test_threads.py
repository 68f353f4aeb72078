"""ThreadBudget: the arithmetic, and that acquire/release really set torch's thread count."""

from __future__ import annotations

import pytest
import torch

from core.threads import BUDGET, ThreadBudget, available_cores
from core.train import Job
from tests.core.helpers import dense, make_config, wait_for


@pytest.fixture
def restore_threads():
    original = torch.get_num_threads()
    yield original
    torch.set_num_threads(original)


@pytest.mark.parametrize(("cores", "reserve", "running", "expected"), [
    (2, 1, 1, 1), (2, 1, 0, 1), (2, 0, 1, 2), (2, 0, 2, 1), (2, 0, 3, 1),
    (8, 0, 3, 2), (8, 0, 1, 8), (8, 2, 2, 3), (8, 0, 9, 1), (4, 4, 1, 1), (1, 3, 1, 1),
])
def test_threads_for(cores, reserve, running, expected):
    assert ThreadBudget(cores=cores, reserve=reserve).threads_for(running) == expected


def test_defaults_to_the_available_cores():
    assert ThreadBudget().cores == available_cores() >= 1
    assert BUDGET.cores == available_cores()


def test_acquire_and_release_apply_torch_threads(restore_threads):
    budget = ThreadBudget(cores=4, reserve=0)
    budget.acquire()
    assert budget.running == 1 and torch.get_num_threads() == 4
    budget.acquire()
    assert budget.running == 2 and torch.get_num_threads() == 2
    budget.acquire()
    assert budget.running == 3 and torch.get_num_threads() == 1
    budget.release()
    assert torch.get_num_threads() == 2
    budget.release()
    budget.release()
    assert budget.running == 0 and torch.get_num_threads() == 4
    budget.release()  # more releases than acquires never go below zero
    assert budget.running == 0
    budget.configure(reserve=1)
    assert torch.get_num_threads() == 3
    budget.configure(cores=2)
    assert torch.get_num_threads() == 1 and (budget.cores, budget.reserve) == (2, 1)


def test_a_job_holds_its_budget_while_its_thread_lives(restore_threads):
    budget = ThreadBudget(cores=2, reserve=1)
    job = Job(make_config({"name": "xor", "samples": 40}, {"layers": [dense(2)]}),
              budget=budget)
    assert budget.running == 0
    job.start(paused=True)
    wait_for(lambda: budget.running == 1, what="the job to acquire its budget")
    job.step()
    wait_for(lambda: job.epoch == 1, what="one epoch")
    assert job.threads == 1  # applied inside the job's own thread
    job.stop(wait=True)
    assert budget.running == 0 and job.state == "stopped"


def test_every_running_job_follows_a_budget_change_in_its_own_thread(restore_threads):
    """torch's thread count is per thread: a job started alone keeps 2 threads unless it
    re-applies the budget itself when a second job arrives."""
    budget = ThreadBudget(cores=2, reserve=0)
    config = make_config({"name": "xor", "samples": 40}, {"layers": [dense(2)]},
                         {"epochs": 1_000_000})
    first, second = Job(config, budget=budget), Job(config, budget=budget)
    first.start()
    wait_for(lambda: first.threads == 2, what="the lone job to use both cores")
    second.start()
    wait_for(lambda: first.threads == 1 and second.threads == 1,
             what="both jobs to drop to one thread each")
    second.stop(wait=True)
    wait_for(lambda: first.threads == 2, what="the remaining job to take both cores back")
    first.stop(wait=True)
