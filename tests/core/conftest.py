"""Fixtures for the engine tests: one CPU thread per job, like the app on a 2-core laptop."""

from __future__ import annotations

import pytest
import torch

from core.threads import BUDGET


@pytest.fixture(scope="package", autouse=True)
def one_thread_per_job():
    """Tiny networks run 3-10x slower with 2 intra-op threads on a busy 2-core box, so the core
    tests reserve all but one core through the engine's own budget (the app reserves one for the
    UI the same way), and put the budget and torch's thread count back afterwards."""
    reserve, threads = BUDGET.reserve, torch.get_num_threads()
    BUDGET.configure(reserve=BUDGET.cores - 1)
    yield
    BUDGET.configure(reserve=reserve)
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def thread_budget_restored():
    """Every in-process `cli.main` sets the process's budget as the headless CLI wants it
    (reserve 0: all cores), and a policy test may change it too: put it back after each test,
    so the tests after them keep the one-thread budget above."""
    reserve, cores, threads = BUDGET.reserve, BUDGET.cores, torch.get_num_threads()
    yield
    if (BUDGET.reserve, BUDGET.cores) != (reserve, cores):
        BUDGET.configure(reserve=reserve, cores=cores)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def ray_backend():
    """One local Ray for the whole test session (starting one takes seconds). CI installs
    requirements-ray.txt; elsewhere the Ray variants skip, saying why."""
    pytest.importorskip("ray", reason="ray is not installed (pip install -r requirements-ray.txt)")
    import ray

    from core.jobs.ray_backend import RayBackend, ensure_ray

    ensure_ray(None, num_cpus=2)
    yield RayBackend()
    ray.shutdown()
