"""The server's one place that makes jobs: the backend, the admission queue and the run store
chosen from the settings (core.jobs.settings), created once per process."""

from __future__ import annotations

import threading
from typing import Any

from core.jobs.admission import Admission
from core.jobs.process import ProcessBackend, warm_up
from core.jobs.ray_backend import RayBackend
from core.jobs.remote import RemoteJob
from core.jobs.runs import RunStore
from core.jobs.settings import Settings, settings
from core.threads import available_cores
from core.train import Job

_lock = threading.Lock()
_made: dict[str, Any] = {}


def _once(name: str, make) -> Any:
    with _lock:
        if name not in _made:
            _made[name] = make()
        return _made[name]


def backend(s: Settings | None = None):
    s = s or settings()

    def make():
        if s.backend == "ray":
            return RayBackend(s.ray_address)

        threading.Thread(target=warm_up, daemon=True, name="playground-forkserver").start()
        return ProcessBackend()

    return _once(f"backend:{s.backend}:{s.ray_address}", make)


def admission(s: Settings | None = None) -> Admission:
    s = s or settings()
    cores = available_cores()
    return _once(f"admission:{s.max_jobs}:{s.worker_threads}", lambda: Admission(
        s.max_jobs, cores=cores, reserve=1 if cores <= 4 and s.backend == "process" else 0,
        max_threads=s.worker_threads))


def run_store(s: Settings | None = None) -> RunStore:
    s = s or settings()
    return _once(f"runs:{s.run_ttl_s}:{s.run_memory_bytes}",
                 lambda: RunStore(s.run_ttl_s, s.run_memory_bytes))


def make_job(config, dataset=None, *, owner_timeout_s: float | None = None,
             warm_start=None, continue_from=None):
    """A new job (not started) on the configured backend; `continue_from` a job of either
    kind. Raises ConfigError for an impossible network or one over the size cap."""
    s = settings()
    if s.backend == "thread":
        if continue_from is not None and not isinstance(continue_from, Job):
            continue_from = continue_from.handover()
        return Job(config, dataset, owner_timeout_s=owner_timeout_s, warm_start=warm_start,
                   continue_from=continue_from)

    return RemoteJob(config, dataset, backend=backend(s), admission=admission(s),
                     owner_timeout_s=owner_timeout_s, warm_start=warm_start,
                     continue_from=continue_from, max_params=s.max_job_params,
                     threads=s.worker_threads)
